#include "libwzp/quality/plausible_loss.hpp"

#include <cmath>

namespace wzp::quality {

PacketCounts StreamArrivals::on_packet(uint32_t sequence, bool forwarded) {
  PacketCounts added{.sent = 0, .arrived = forwarded ? 1u : 0u};
  const bool first = !unwrapper_.started();
  const int64_t extended = unwrapper_.peek(sequence);
  if (first || extended > newest_) {
    added.sent = first ? 1 : static_cast<uint64_t>(extended - newest_);
    newest_ = extended;
  }
  unwrapper_.commit(sequence, extended);
  totals_ += added;
  return added;
}

std::optional<double> plausible_loss(const RelayView &stretch, const PlausibilityConfig &config) {
  if (stretch.downstream.sent < config.min_downstream) return std::nullopt;
  // A packet reaches the member if it crosses both legs.
  const double seen = 1.0 - (1.0 - stretch.upstream.loss()) * (1.0 - stretch.downstream.loss());
  const double spread = std::sqrt(seen * (1.0 - seen) / static_cast<double>(config.report_packets));
  return std::min(1.0, std::max(config.floor, seen + config.deviations * spread));
}

bool LossCheck::clamp(PathObservation &report, const RelayView &totals) {
  const std::optional<double> bound = plausible_loss(totals - checked_, config_);
  if (!bound) return false;
  checked_ = totals;
  if (report.loss <= *bound) return false;
  report.loss = *bound;
  return true;
}

}  // namespace wzp::quality
