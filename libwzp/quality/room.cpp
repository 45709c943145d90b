#include "libwzp/quality/room.hpp"

#include <algorithm>

namespace wzp::quality {

std::optional<Tier> weakest_link(std::span<const Tier> tiers) {
  if (tiers.empty()) return std::nullopt;
  return *std::min_element(tiers.begin(), tiers.end());
}

namespace {

// A member's tier moves everyone's, so one report never moves it at once:
// a collapse waits for the streak like any bad report (the room's holds
// then smooth what is left).
ControllerConfig streaks_only(ControllerConfig config) {
  config.collapse_loss_excess = 1.0;
  return config;
}

}  // namespace

RoomQuality::Member::Member(const ControllerConfig &config, Micros now)
    : controller(streaks_only(config), now),
      joined(now),
      committed{{now, controller.committed_tier()}} {}

void RoomQuality::Member::record(Micros now, Micros keep_since) {
  if (controller.committed_tier() != committed.back().second) {
    committed.emplace_back(now, controller.committed_tier());
  }
  // Keep the entry in effect at keep_since and everything after it.
  auto in_effect = std::find_if(committed.begin(), committed.end(),
                                [&](const auto &entry) { return entry.first > keep_since; });
  if (in_effect - committed.begin() > 1) committed.erase(committed.begin(), in_effect - 1);
}

Tier RoomQuality::Member::highest_since(Micros since) const {
  Tier highest = kLowestTier;
  for (size_t i = 0; i < committed.size(); ++i) {
    const bool ended_before = i + 1 < committed.size() && committed[i + 1].first <= since;
    if (!ended_before) highest = std::max(highest, committed[i].second);
  }
  return highest;
}

Tier RoomQuality::Member::lowest_since(Micros since) const {
  Tier lowest = kHighestTier;
  for (size_t i = 0; i < committed.size(); ++i) {
    const bool ended_before = i + 1 < committed.size() && committed[i + 1].first <= since;
    if (!ended_before) lowest = std::min(lowest, committed[i].second);
  }
  return lowest;
}

RoomQuality::RoomQuality(const ControllerConfig &config, const RoomPolicy &policy)
    : config_(config), policy_(policy), room_tier_(initial_tier()) {}

std::optional<Tier> RoomQuality::join(uint32_t participant, Micros now) {
  latest_ = std::max(latest_, now);
  if (participants_.empty()) room_since_ = now;
  if (!participants_.try_emplace(participant, config_, now).second) return std::nullopt;
  if (initial_tier() < room_tier_) return change_to(initial_tier(), now, participant);
  return std::nullopt;
}

std::optional<Tier> RoomQuality::leave(uint32_t participant) {
  if (participants_.erase(participant) == 0) return std::nullopt;
  if (participants_.empty()) {
    if (room_tier_ == initial_tier()) return std::nullopt;
    auto changed = change_to(initial_tier(), latest_, std::nullopt);
    return changed;
  }
  // The member who held the room down is gone: the rest need not earn the
  // tier they have kept all along again.
  Tier kept = kHighestTier;
  for (const auto &[id, member] : participants_) {
    kept = std::min(kept, member.lowest_since(latest_ - policy_.up_hold));
  }
  if (kept > room_tier_) return change_to(kept, latest_, participant);
  return std::nullopt;
}

std::optional<Tier> RoomQuality::on_report(uint32_t participant, Micros now,
                                           const PathObservation &report) {
  auto found = participants_.find(participant);
  if (found == participants_.end()) return std::nullopt;  // not (or no longer) in the room
  latest_ = std::max(latest_, now);
  found->second.controller.on_report(now, report);
  found->second.record(now, now - policy_.up_hold);
  return decide(now);
}

std::optional<Tier> RoomQuality::tick(Micros now) {
  latest_ = std::max(latest_, now);
  for (auto &[id, member] : participants_) {
    member.controller.tick(now);
    member.record(now, now - policy_.up_hold);
  }
  return decide(now);
}

std::optional<Tier> RoomQuality::on_leg(uint32_t participant, Micros now, const LegCounts &leg) {
  auto found = participants_.find(participant);
  if (found == participants_.end() || now - found->second.joined >= policy_.newcomer_window) {
    return std::nullopt;
  }
  latest_ = std::max(latest_, now);
  const double far_past = policy_.newcomer_leg_early_factor * profile(room_tier_).max_loss;
  double loss = 0;
  for (const PacketCounts &direction : {leg.up, leg.down}) {
    const bool enough =
        direction.sent >= policy_.newcomer_leg_packets ||
        (direction.sent >= policy_.newcomer_leg_early_packets && direction.loss() >= far_past);
    if (enough) loss = std::max(loss, direction.loss());
  }
  const Tier sustained = classify(PathObservation{.loss = loss});
  if (sustained >= room_tier_) return std::nullopt;
  return change_to(sustained, now, participant);
}

std::optional<Tier> RoomQuality::participant_tier(uint32_t participant) const {
  auto found = participants_.find(participant);
  if (found == participants_.end()) return std::nullopt;
  return found->second.controller.committed_tier();
}

std::optional<Tier> RoomQuality::decide(Micros now) {
  // Probes are a participant's own business: only committed tiers count.
  const bool room_held = now - room_since_ >= policy_.room_down_hold;
  Tier lowest = room_tier_;
  std::optional<uint32_t> cause;
  for (const auto &[id, member] : participants_) {
    const bool newcomer = now - member.joined < policy_.newcomer_window;
    if (!newcomer && !room_held) continue;
    // What the member has kept for its hold: the best tier it was at in
    // that time, so a brief dip lower does not count.
    const Micros hold = newcomer ? policy_.newcomer_down_hold : policy_.member_down_hold;
    const Tier kept = member.highest_since(now - hold);
    if (kept < lowest) {
      lowest = kept;
      cause = id;
    }
  }
  if (lowest < room_tier_) return change_to(lowest, now, cause);

  const std::optional<Tier> above = tier_above(room_tier_);
  if (!above || *above > config_.ceiling || participants_.empty() ||
      now - room_since_ < policy_.up_hold) {
    return std::nullopt;
  }
  const Micros since = now - policy_.up_hold;
  for (const auto &[id, member] : participants_) {
    if (member.joined > since || member.lowest_since(since) < *above) return std::nullopt;
  }
  return change_to(*above, now, std::nullopt);
}

std::optional<Tier> RoomQuality::change_to(Tier tier, Micros now, std::optional<uint32_t> cause) {
  room_tier_ = tier;
  room_since_ = now;
  cause_ = cause;
  return room_tier_;
}

}  // namespace wzp::quality
