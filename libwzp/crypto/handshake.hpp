// The call handshake: signed ephemeral X25519 over a transcript, carried
// opaquely by signaling (base64 in its JSON). Three messages:
//   offer   caller -> callee  (caller's ephemeral key and what it supports)
//   answer  callee -> caller  (callee's ephemeral key, the choices, a key confirmation)
//   confirm caller -> callee  (the caller's key confirmation)
// Byte layouts and the key schedule are in docs/crypto.md, "Call handshake".
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

#include "libwzp/crypto/hkdf.hpp"
#include "libwzp/crypto/identity.hpp"
#include "libwzp/crypto/media.hpp"
#include "libwzp/crypto/session.hpp"

namespace wzp::crypto {

using CallId = std::array<uint8_t, 16>;
using EphemeralKey = std::array<uint8_t, 32>;

enum class HandshakeError : uint8_t {
  kOk,
  kMalformed,        // not a handshake message, truncated, or a list too long
  kUnexpectedType,   // e.g. an answer where an offer was expected
  kBadSignature,     // the transcript signature does not verify
  kWrongPeer,        // signed by someone other than the expected peer
  kNotForUs,         // the offer names another recipient
  kWrongCall,        // call id or offer hash does not match our offer
  kReplay,           // an offer seen before
  kStale,            // timestamp too far from our clock
  kNoCommonVersion,  // no protocol version both sides support
  kNoCommonProfile,  // no quality profile both sides support
  kDowngrade,        // the answer's choice is not the best common one
  kWeakKey,          // an ephemeral key of low order
  kConfirmFailed,    // key confirmation mismatch: the keys differ
  kBadState,         // message arrived out of order or twice
};
const char *to_string(HandshakeError error);

enum class HandshakeType : uint8_t { kOffer = 1, kAnswer = 2, kConfirm = 3 };

// Lists in preference order, most preferred first.
struct Offerings {
  std::vector<uint8_t> versions;  // protocol versions
  std::vector<uint8_t> codecs;    // wire codec ids
  std::vector<uint8_t> profiles;  // quality profiles
};
inline constexpr size_t kMaxListSize = 16;

// One parsed message. Spans point into the input.
struct HandshakeMessage {
  HandshakeType type = HandshakeType::kOffer;
  CallId call_id{};
  uint64_t timestamp_ms = 0;
  SigningPublicKey sender{};
  Fingerprint recipient{};  // offer only
  Hash offer_hash{};        // answer only
  EphemeralKey ephemeral{};
  Offerings offerings;
  uint8_t chosen_version = 0, chosen_profile = 0;  // answer only
  Signature signature{};
  Hash confirm{};                        // answer and confirm
  std::span<const uint8_t> signed_part;  // the bytes the signature covers, minus the context
};
HandshakeError parse_handshake(std::span<const uint8_t> bytes, HandshakeMessage &out);

// Both sides run the same negotiation over the signed lists: the highest
// common version, and the first of the caller's profiles the callee has.
struct Negotiated {
  uint8_t version = 0, profile = 0;
  std::vector<uint8_t> codecs;  // common codecs in the caller's order
};
HandshakeError negotiate(const Offerings &caller, const Offerings &callee, Negotiated &out);

// What a completed handshake yields.
struct CallKeys {
  TrafficSecret send{}, receive{};
  Negotiated negotiated;
  Fingerprint peer{};
  void wipe();
};

// The media session of a call from its handshake: our sending key, and the
// peer as the receiver's only sender (id 0). Hand it to wzpencrypt and
// wzpdecrypt (plugins/gstwzp/wzpcryptcontext.h).
std::shared_ptr<MediaSession> make_call_session(const CallKeys &keys, SendConfig send_config = {},
                                                ReceiveConfig receive_config = {});

// Remembers recent offers so a replayed one is refused: offers older than
// `max_skew_ms` are refused as stale, so only that span needs remembering.
class ReplayGuard {
 public:
  explicit ReplayGuard(uint64_t max_skew_ms = 120'000, size_t capacity = 4096);
  HandshakeError admit(const HandshakeMessage &offer, uint64_t now_ms);

 private:
  uint64_t max_skew_ms_;
  size_t capacity_;
  std::deque<std::pair<uint64_t, Hash>> seen_;  // timestamp, offer hash
};

class HandshakeInitiator {
 public:
  HandshakeInitiator(const Identity &me, const CallId &call_id, const Fingerprint &callee,
                     Offerings offerings, uint64_t now_ms);
  ~HandshakeInitiator();
  const std::vector<uint8_t> &offer() const { return offer_; }
  // Checks the answer; on success fills `confirm` (to send) and `keys`.
  HandshakeError on_answer(std::span<const uint8_t> answer, std::vector<uint8_t> &confirm,
                           CallKeys &keys);

 private:
  const Identity &me_;
  CallId call_id_;
  Fingerprint callee_;
  Offerings offerings_;
  std::array<uint8_t, 32> ephemeral_secret_{};
  std::vector<uint8_t> offer_;
  bool done_ = false;
};

class HandshakeResponder {
 public:
  // `expected_caller` is checked when given (signaling knows who is calling).
  HandshakeResponder(const Identity &me, Offerings offerings, ReplayGuard &guard);
  ~HandshakeResponder();
  HandshakeError on_offer(std::span<const uint8_t> offer, uint64_t now_ms,
                          const Fingerprint *expected_caller, std::vector<uint8_t> &answer);
  // Checks the caller's key confirmation; only then are the keys handed out.
  HandshakeError on_confirm(std::span<const uint8_t> confirm, CallKeys &keys);

 private:
  const Identity &me_;
  Offerings offerings_;
  ReplayGuard &guard_;
  CallId call_id_{};
  CallKeys pending_;
  Hash expected_confirm_{};
  enum class State { kWaitOffer, kWaitConfirm, kDone } state_ = State::kWaitOffer;
};

}  // namespace wzp::crypto
