#include "libwzp/quality/tier.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace wzp::quality {
namespace {

// More loss buys more repair; longer frames at low rates keep per-packet
// overhead from swamping the audio. The lossy tiers protect with a sliding
// window (W 8): live, it took 50 % bursty loss from ~500-900 to ~400 ms
// mouth to ear (docs/fec-window.md). Each tier's max_loss is where its FEC
// still plays >= 99.5 % of frames through bursty loss (docs/quality.md: the
// ladder); above 5 % loss only the low-rate tiers can afford the repair
// that takes. What a repair packet covers must fit inside the jitter
// buffer's delay budget, or recovered frames arrive after their time.
constexpr std::array<TierProfile, 6> kLadder{{
    {Tier::kCatastrophic, "catastrophic", Codec::kCodec2, wire::codec::kCodec2_1200, 1200, 80, 4,
     6.0, 1, 8, 1.0, UINT32_MAX, UINT32_MAX},
    {Tier::kDegraded, "degraded", Codec::kOpus, wire::codec::kOpus, 6000, 40, 4, 2.5, 1, 8, 0.30,
     2000, 300},
    {Tier::kGood, "good", Codec::kOpus, wire::codec::kOpus, 24000, 20, 5, 0.4, 1, 0, 0.05, 1200,
     120},
    {Tier::kStudio32k, "studio32k", Codec::kOpus, wire::codec::kOpus, 32000, 20, 8, 0.3, 1, 0,
     0.035, 400, 60},
    {Tier::kStudio48k, "studio48k", Codec::kOpus, wire::codec::kOpus, 48000, 20, 10, 0.25, 1, 0,
     0.02, 300, 40},
    {Tier::kStudio64k, "studio64k", Codec::kOpus, wire::codec::kOpus, 64000, 20, 10, 0.2, 1, 0,
     0.01, 200, 30},
}};

uint32_t bitrate_with_overhead(const TierProfile &p, uint32_t overhead_bytes) {
  const double packets_per_second = 1000.0 / p.frame_ms * (1.0 + p.repair_ratio);
  const double payload_bytes = p.bitrate_bps / 8.0 * p.frame_ms / 1000.0;
  return static_cast<uint32_t>(
      std::ceil(packets_per_second * (payload_bytes + overhead_bytes) * 8));
}

}  // namespace

uint32_t TierProfile::wire_bitrate_bps() const {
  return bitrate_with_overhead(*this, kDatagramOverheadBytes + kTransportOverheadBytes);
}

uint32_t TierProfile::datagram_bitrate_bps() const {
  return bitrate_with_overhead(*this, kDatagramOverheadBytes);
}

const TierProfile &profile(Tier tier) { return kLadder[static_cast<size_t>(tier)]; }

std::span<const TierProfile> ladder() { return kLadder; }

std::string_view to_string(Tier tier) { return profile(tier).name; }

std::optional<Tier> tier_from_string(std::string_view name) {
  for (const auto &p : kLadder) {
    if (p.name == name) return p.tier;
  }
  return std::nullopt;
}

std::optional<Tier> tier_above(Tier tier) {
  if (tier == kHighestTier) return std::nullopt;
  return static_cast<Tier>(static_cast<uint8_t>(tier) + 1);
}

std::optional<Tier> tier_below(Tier tier) {
  if (tier == kLowestTier) return std::nullopt;
  return static_cast<Tier>(static_cast<uint8_t>(tier) - 1);
}

PathObservation PathObservation::from(const wire::QualityReport &report) {
  return PathObservation{report.loss_fraction(), report.rtt_ms, report.jitter_ms,
                         report.bandwidth_kbps};
}

PathObservation PathObservation::worst(const PathObservation &a, const PathObservation &b) {
  uint32_t bandwidth = std::min(a.bandwidth_kbps, b.bandwidth_kbps);
  if (bandwidth == 0) bandwidth = std::max(a.bandwidth_kbps, b.bandwidth_kbps);
  return PathObservation{std::max(a.loss, b.loss), std::max(a.rtt_ms, b.rtt_ms),
                         std::max(a.jitter_ms, b.jitter_ms), bandwidth};
}

bool sustains(const TierProfile &p, const PathObservation &o, double margin) {
  if (p.tier == kLowestTier) return true;  // the floor: nothing is more robust
  const bool bandwidth_ok =
      o.bandwidth_kbps == 0 || uint64_t{o.bandwidth_kbps} * 1000 * margin >= p.wire_bitrate_bps();
  return o.loss <= p.max_loss * margin && o.rtt_ms <= p.max_rtt_ms * margin &&
         o.jitter_ms <= p.max_jitter_ms * margin && bandwidth_ok;
}

Tier classify(const PathObservation &observation, double margin) {
  for (size_t i = kLadder.size(); i-- > 0;) {
    if (sustains(kLadder[i], observation, margin)) return kLadder[i].tier;
  }
  return kLowestTier;
}

}  // namespace wzp::quality
