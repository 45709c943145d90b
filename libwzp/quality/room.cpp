#include "libwzp/quality/room.hpp"

#include <algorithm>

namespace wzp::quality {

std::optional<Tier> weakest_link(std::span<const Tier> tiers) {
  if (tiers.empty()) return std::nullopt;
  return *std::min_element(tiers.begin(), tiers.end());
}

RoomQuality::RoomQuality(const ControllerConfig &config)
    : config_(config), room_tier_(std::min(config.initial, config.ceiling)) {}

std::optional<Tier> RoomQuality::join(uint32_t participant, Micros now) {
  participants_.try_emplace(participant, config_, now);
  return recompute();
}

std::optional<Tier> RoomQuality::leave(uint32_t participant) {
  participants_.erase(participant);
  return recompute();
}

std::optional<Tier> RoomQuality::on_report(uint32_t participant, Micros now,
                                           const PathObservation &report) {
  auto found = participants_.find(participant);
  if (found == participants_.end()) return std::nullopt;  // not (or no longer) in the room
  found->second.on_report(now, report);
  return recompute();
}

std::optional<Tier> RoomQuality::tick(Micros now) {
  for (auto &[id, controller] : participants_) controller.tick(now);
  return recompute();
}

std::optional<Tier> RoomQuality::participant_tier(uint32_t participant) const {
  auto found = participants_.find(participant);
  if (found == participants_.end()) return std::nullopt;
  return found->second.committed_tier();
}

std::optional<Tier> RoomQuality::recompute() {
  // Probes are a participant's own business: only committed tiers count.
  Tier weakest = std::min(config_.initial, config_.ceiling);
  if (!participants_.empty()) {
    weakest = kHighestTier;
    for (const auto &[id, controller] : participants_) {
      weakest = std::min(weakest, controller.committed_tier());
    }
  }
  if (weakest == room_tier_) return std::nullopt;
  room_tier_ = weakest;
  return room_tier_;
}

}  // namespace wzp::quality
