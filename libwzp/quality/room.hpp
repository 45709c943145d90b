// Weakest-link quality for a room: everyone sends at the tier the worst
// placed participant can receive, so one controller per participant (fed by
// that participant's reports) and the room tier is their minimum. A change
// of room tier is a directive to broadcast.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>

#include "libwzp/quality/controller.hpp"

namespace wzp::quality {

// The lowest of `tiers`, or nullopt for none.
std::optional<Tier> weakest_link(std::span<const Tier> tiers);

class RoomQuality {
 public:
  explicit RoomQuality(const ControllerConfig &config = {});

  // Each returns the new room tier when it changed (the directive to send).
  std::optional<Tier> join(uint32_t participant, Micros now);
  std::optional<Tier> leave(uint32_t participant);
  std::optional<Tier> on_report(uint32_t participant, Micros now, const PathObservation &report);
  std::optional<Tier> tick(Micros now);

  // The tier everyone sends at; the configured initial tier in an empty room.
  Tier room_tier() const { return room_tier_; }
  std::optional<Tier> participant_tier(uint32_t participant) const;
  size_t size() const { return participants_.size(); }

 private:
  std::optional<Tier> recompute();

  ControllerConfig config_;
  std::map<uint32_t, QualityController> participants_;
  Tier room_tier_;
};

}  // namespace wzp::quality
