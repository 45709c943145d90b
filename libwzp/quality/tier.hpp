// The quality ladder: what each tier sends and what path it needs.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "libwzp/wire/header.hpp"

namespace wzp::quality {

// Ordered from the most robust to the best sounding.
enum class Tier : uint8_t {
  kCatastrophic = 0,  // Codec2 1200 bit/s
  kDegraded,          // Opus 6 kbit/s
  kGood,              // Opus 24 kbit/s
  kStudio32k,
  kStudio48k,
  kStudio64k,
};
inline constexpr Tier kLowestTier = Tier::kCatastrophic;
inline constexpr Tier kHighestTier = Tier::kStudio64k;
// Where a call starts: protected, since nothing is known of the path before
// the first reports, and the first seconds count; a clean path climbs from
// here within seconds (QualityController's up-steps).
inline constexpr Tier kCallStartTier = Tier::kDegraded;

// What a relay sees of a media packet besides its payload: the wzp full
// header 24 and the AEAD tag 16.
inline constexpr uint32_t kDatagramOverheadBytes =
    static_cast<uint32_t>(wire::kFullHeaderSize) + 16;
// What carries a datagram: IPv4 20 + UDP 8 + QUIC short header and DATAGRAM
// frame ~14.
inline constexpr uint32_t kTransportOverheadBytes = 42;

enum class Codec : uint8_t { kOpus, kCodec2 };

struct TierProfile {
  Tier tier;
  std::string_view name;
  Codec codec;
  uint8_t wire_codec;        // wzp::wire::codec id
  uint32_t bitrate_bps;      // codec bitrate
  uint16_t frame_ms;         // audio per packet
  uint16_t block_frames;     // FEC source symbols (frames) per block
  double repair_ratio;       // repair symbols per source symbol
  uint8_t interleave_depth;  // blocks interleaved on the wire
  // W > 0: a sliding window over the last W frames instead of blocks
  // (fec::EncoderConfig::window_frames), the lossy tiers' defence against
  // bursts: each frame's repair follows it, so a lost frame is rebuilt
  // within a frame or two, not after its block (docs/fec-window.md);
  // block_frames and interleave_depth then do not apply. (It replaced
  // paced block repair, which no tier uses now.)
  uint16_t window_frames;
  // The path this tier stays on: loss, RTT and jitter at most these.
  double max_loss;
  uint32_t max_rtt_ms;
  uint32_t max_jitter_ms;

  // Bits per second on the wire, repair symbols and per-packet overhead
  // (IP, UDP, QUIC, wzp header, AEAD tag) included.
  uint32_t wire_bitrate_bps() const;
  // Bits per second of datagrams as a relay receives them: payload and
  // repair with their wzp header and AEAD tag, without the transport's
  // overhead (what a relay polices, SenderPolicer).
  uint32_t datagram_bitrate_bps() const;
  bool is_studio() const { return tier >= Tier::kStudio32k; }
  // Media time one FEC group (D interleaved blocks of K frames) spans: the
  // encoder's max-block-time, so it never closes a group short of K.
  uint32_t group_ms() const { return uint32_t{block_frames} * interleave_depth * frame_ms; }
  // Media time from the first frame a repair packet covers until it leaves:
  // a group on blocks, the W frames a repair symbol covers on a window.
  uint32_t recovery_span_ms() const {
    return window_frames > 0 ? uint32_t{window_frames} * frame_ms : group_ms();
  }
};

const TierProfile &profile(Tier tier);
std::span<const TierProfile> ladder();
std::string_view to_string(Tier tier);
std::optional<Tier> tier_from_string(std::string_view name);
std::optional<Tier> tier_above(Tier tier);
std::optional<Tier> tier_below(Tier tier);

// One look at the path in our sending direction. Zero bandwidth means unknown.
struct PathObservation {
  double loss = 0.0;
  uint32_t rtt_ms = 0;
  uint32_t jitter_ms = 0;
  uint32_t bandwidth_kbps = 0;

  static PathObservation from(const wire::QualityReport &report);
  // The worse of two views of the same path (e.g. the peer's report and our
  // own QUIC statistics).
  static PathObservation worst(const PathObservation &a, const PathObservation &b);
};

// Whether `observation` is within the tier's limits. `margin` < 1 tightens
// them (used before moving up, so a path at a boundary does not flap).
bool sustains(const TierProfile &profile, const PathObservation &observation, double margin = 1.0);

// The highest tier the observation sustains (kCatastrophic at worst).
Tier classify(const PathObservation &observation, double margin = 1.0);

}  // namespace wzp::quality
