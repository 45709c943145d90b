// The per-packet state around media.hpp: which epoch a sender is in and when
// it rekeys, which sequences a receiver has seen, and the overlap during
// which the previous epoch is still accepted. Both classes lock internally
// so one session can be shared by several elements; all tables are sized at
// construction, so sealing and opening never allocate.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <utility>
#include <vector>

#include "libwzp/crypto/media.hpp"
#include "libwzp/crypto/replay.hpp"

namespace wzp::crypto {

struct SendConfig {
  // Rekey (ratchet to the next epoch) after this many packets or this much
  // time, whichever comes first; 0 disables that trigger. Packets are capped
  // at 2^30 so a 32-bit sequence can never wrap within one epoch.
  uint64_t rekey_packets = uint64_t{1} << 24;
  uint64_t rekey_ns = 0;
  uint32_t max_streams = 64;
};

enum class SealStatus : uint8_t {
  kOk,
  kSequenceReused,   // not newer than the stream's last sealed sequence: nonce reuse refused
  kStreamTableFull,  // more distinct streams than SendConfig::max_streams
  kEpochMismatch,    // the header's epoch cannot be rewritten and is not current
};
const char *to_string(SealStatus status);

struct SealResult {
  SealStatus status = SealStatus::kOk;
  uint32_t epoch = 0;
  bool epoch_changed = false;  // this packet started a new epoch
};

class MediaSender {
 public:
  MediaSender(const TrafficSecret &secret, uint32_t epoch = 0, SendConfig config = {});

  // Seals one packet of `stream_id`. If `epoch_byte` is given (the header's
  // key_epoch field, inside `aad`) it is set to the epoch's low byte first;
  // otherwise `header_epoch` must already match the current epoch.
  SealResult seal(uint32_t stream_id, uint32_t sequence, uint64_t now_ns, uint8_t *epoch_byte,
                  uint8_t header_epoch, std::span<const uint8_t> aad, std::span<uint8_t> payload,
                  uint8_t tag[kTagSize]);
  // Replaces the key with a fresh secret at `epoch` (a room's leave rotation).
  void install(uint32_t epoch, const TrafficSecret &secret);
  // Ratchets to the next epoch now (a room's join); returns the new epoch.
  uint32_t rekey_now(uint64_t now_ns);
  uint32_t epoch() const;
  // The current epoch and its secret, to hand to a new room member.
  std::pair<uint32_t, TrafficSecret> current_secret() const;
  ~MediaSender();

 private:
  struct StreamSlot {
    uint32_t stream_id = 0;
    uint32_t last_sequence = 0;
    bool used = false;
  };
  void advance_epoch(uint64_t now_ns);

  mutable std::mutex mutex_;
  SendConfig config_;
  EpochKeys keys_;
  uint64_t packets_in_epoch_ = 0;
  uint64_t epoch_started_ns_ = 0;
  bool epoch_clock_started_ = false;
  std::vector<StreamSlot> streams_;
};

struct ReceiveConfig {
  uint32_t replay_window = ReplayWindow::kDefaultSize;
  uint32_t max_streams = 64;  // per sender
  uint32_t max_senders = 16;
  // After an epoch change the previous epoch stays valid until this many
  // packets arrived under the new epoch or this much time passed, whichever
  // comes first; then its key is wiped.
  uint64_t overlap_packets = 1024;
  uint64_t overlap_ns = 2'000'000'000;
};

enum class OpenStatus : uint8_t {
  kOk,
  kAuthFailed,       // tag did not verify: forged, corrupted or wrong key
  kReplay,           // sequence already accepted
  kTooOld,           // sequence behind the replay window
  kUnknownSender,    // no key for the stream's sender
  kUnknownEpoch,     // epoch neither current, overlapping previous, nor next
  kStreamTableFull,  // more distinct streams than ReceiveConfig::max_streams
};
const char *to_string(OpenStatus status);

struct OpenResult {
  OpenStatus status = OpenStatus::kOk;
  uint32_t sender_id = 0;
  uint32_t epoch = 0;
  bool epoch_changed = false;  // this packet moved the sender to a new epoch
};

class MediaReceiver {
 public:
  explicit MediaReceiver(ReceiveConfig config = {});
  ~MediaReceiver();

  // Set-up calls (may allocate). A sender's keys start at `epoch`.
  bool add_sender(uint32_t sender_id, uint32_t epoch, const TrafficSecret &secret);
  // Makes `secret` the key of `epoch` for that sender: the next epoch of a
  // room's leave rotation, or a jump after a long silence.
  bool install_epoch(uint32_t sender_id, uint32_t epoch, const TrafficSecret &secret);
  void remove_sender(uint32_t sender_id);
  bool has_sender(uint32_t sender_id);
  // Whether a packet of `stream_id` has a sender key to be opened with
  // (whether it opens is up to the packet).
  bool knows_stream(uint32_t stream_id);
  // Packets of `stream_id` belong to `sender_id`. Until any route is set,
  // every stream belongs to the only sender (a call's single peer).
  void route_stream(uint32_t stream_id, uint32_t sender_id);

  // Authenticates and decrypts one packet in place. Nothing changes unless
  // the tag verifies.
  OpenResult open(uint32_t stream_id, uint32_t sequence, uint8_t epoch_byte, uint64_t now_ns,
                  std::span<const uint8_t> aad, std::span<uint8_t> payload,
                  const uint8_t tag[kTagSize]);

 private:
  struct StreamSlot {
    uint32_t stream_id = 0;
    bool used = false;
    ReplayWindow window;
  };
  struct Peer {
    uint32_t sender_id = 0;
    bool used = false;
    EpochKeys previous, current, next;
    bool next_installed = false;  // `next` came from install_epoch, not the ratchet
    uint64_t previous_deadline_ns = 0;
    uint64_t previous_packets_left = 0;
    bool previous_clock_pending = false;
    std::vector<StreamSlot> streams;
  };
  Peer *find_peer(uint32_t sender_id);
  Peer *peer_for_stream(uint32_t stream_id);
  void expire_previous(Peer &peer, uint64_t now_ns);
  void advance(Peer &peer, uint64_t now_ns);

  std::mutex mutex_;
  ReceiveConfig config_;
  std::vector<Peer> peers_;
  std::vector<std::pair<uint32_t, uint32_t>> routes_;  // stream id -> sender id
};

}  // namespace wzp::crypto

namespace wzp::crypto {

// What the wzpencrypt / wzpdecrypt elements share through a GstContext: one
// sender (absent on a receive-only session) and one receiver that knows
// every peer sender of the call or room.
struct MediaSession {
  explicit MediaSession(ReceiveConfig receive_config = {}) : receiver(receive_config) {}
  std::unique_ptr<MediaSender> sender;
  MediaReceiver receiver;
};

}  // namespace wzp::crypto
