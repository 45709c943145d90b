#include "libwzp/quality/plausible_loss.hpp"

#include <algorithm>
#include <cmath>

namespace wzp::quality {

std::optional<double> plausible_loss(const RelayView &stretch, const PlausibilityConfig &config) {
  if (stretch.downstream.sent < config.min_downstream) return std::nullopt;
  // A packet reaches the member if it crosses both legs.
  const double seen = 1.0 - (1.0 - stretch.upstream.loss()) * (1.0 - stretch.downstream.loss());
  const double spread = std::sqrt(seen * (1.0 - seen) / static_cast<double>(config.report_packets));
  return std::min(1.0, std::max(config.floor, seen + config.deviations * spread));
}

bool LossCheck::clamp(PathObservation &report, const RelayView &totals) {
  const std::optional<double> bound = plausible_loss(totals - checked_, config_);
  double allowed = 0;
  if (bound) {
    checked_ = totals;
    // The relay settles a datagram to the member an RTT and a loss
    // detection after the member missed it, so a report may describe the
    // stretch before: the worse of the two is allowed.
    allowed = std::max(*bound, previous_bound_.value_or(0.0));
    previous_bound_ = *bound;
  } else {
    // Too little was sent to the member to judge: it cannot have lost more
    // than the last stretch judged allowed (the floor before any). Standing
    // as it was, a lie in a room where nobody talked moved everyone.
    allowed = previous_bound_.value_or(config_.floor);
  }
  if (report.loss <= allowed) return false;
  report.loss = allowed;
  return true;
}

bool clamp_delay(PathObservation &report, const LegDelay &relay) {
  if (relay.rtt_ms <= 0) return false;
  constexpr double kFactor = 2.0, kRttMarginMs = 100, kJitterMarginMs = 50;
  const auto rtt_bound = static_cast<uint32_t>(kFactor * relay.rtt_ms + kRttMarginMs);
  const auto jitter_bound =
      static_cast<uint32_t>(kFactor * relay.rtt_variance_ms + kJitterMarginMs);
  const bool implausible = report.rtt_ms > rtt_bound || report.jitter_ms > jitter_bound;
  report.rtt_ms = std::min(report.rtt_ms, rtt_bound);
  report.jitter_ms = std::min(report.jitter_ms, jitter_bound);
  return implausible;
}

}  // namespace wzp::quality
