// Weakest-link quality for a room: everyone sends at the tier the worst
// placed participant can receive, so one controller per participant (fed by
// that participant's reports) and the room tier follows their minimum. A
// change of room tier is a directive to broadcast: it changes codec and FEC
// for everyone, so the room moves more reluctantly than one controller
// (RoomPolicy): down once a member has kept a lower tier for a while, up
// only after the whole room has been better for a long while.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "libwzp/quality/controller.hpp"
#include "libwzp/quality/packet_counts.hpp"

namespace wzp::quality {

// The lowest of `tiers`, or nullopt for none.
std::optional<Tier> weakest_link(std::span<const Tier> tiers);

struct RoomPolicy {
  // A member's step down counts for the room once its controller has kept
  // it this long: twice what the controller needs to undo a step
  // (good_to_step_up reports, one a second), so the dip that follows a few
  // outlier reports does not move everyone.
  Micros member_down_hold{std::chrono::seconds(10)};
  // A member's path is unknown when it joins; a step down in its first
  // `newcomer_window` is what its path is, not an outlier, and every second
  // the room waits is heard by that member as concealment (a member behind
  // 50 % bursty loss heard 93 % with the full hold, 99.7-100 % in a room at
  // catastrophic from the start: docs/rooms.md). Its step counts once kept
  // for `newcomer_down_hold`, whatever the room's own hold.
  Micros newcomer_window{std::chrono::seconds(15)};
  Micros newcomer_down_hold{std::chrono::seconds(2)};
  // In the same window the relay's own count of the newcomer's leg
  // (RoomQuality::on_leg) moves the room at once: it needs no reports,
  // which ride the lossy path and wait for a controller's streak. A
  // direction counts once this many of its packets have settled: about a
  // second of one degraded stream (87 packets/s), where a loss figure's
  // spread is a few percent (more in bursts), against the 30 % that
  // degraded's limit and a clean path lie apart.
  uint64_t newcomer_leg_packets = 100;
  // A leg far past the room's tier says so sooner: from this many packets
  // a direction counts when its loss is at least `newcomer_leg_early_factor`
  // times the room tier's max_loss (45 % at degraded). The lossy member of
  // the sweep concealed half as much in the room's first seconds when the
  // step came before the others had joined (docs/rooms.md, "The late room
  // step"), and her leg's 100 packets often came after.
  uint64_t newcomer_leg_early_packets = 50;
  double newcomer_leg_early_factor = 1.5;
  // After any change the room keeps its tier at least this long before
  // stepping down (a joiner, whose path is unknown, aside).
  Micros room_down_hold{std::chrono::seconds(5)};
  // Up, one tier: the room has kept its tier this long and every member's
  // controller has been at the tier above (or better) for this long.
  Micros up_hold{std::chrono::seconds(30)};
};

// A room's members start where calls do, protected (kCallStartTier): a
// room moves only on evidence that lasted, so starting at good cost a
// lossy member ~20 s of concealment and two steps down (docs/rooms.md,
// "Tier changes on a steady lossy path"); a clean room climbs after
// up_hold instead.
inline ControllerConfig room_controller_config() {
  return ControllerConfig{.initial = kCallStartTier};
}

// What the relay counted itself of a member's leg since the member joined:
// its media reaching the relay (sequence gaps) and the relay's datagrams
// reaching it (acknowledged, against lost or dropped unsent).
struct LegCounts {
  PacketCounts up;
  PacketCounts down;
};

class RoomQuality {
 public:
  explicit RoomQuality(const ControllerConfig &config = room_controller_config(),
                       const RoomPolicy &policy = {});

  // Each returns the new room tier when it changed (the directive to send).
  // A joiner counts at the initial tier at once (nothing is known of its
  // path); when a member leaves, the room rises at once to what the rest
  // have held for `up_hold`, judged at the latest time given to any call.
  std::optional<Tier> join(uint32_t participant, Micros now);
  std::optional<Tier> leave(uint32_t participant);
  std::optional<Tier> on_report(uint32_t participant, Micros now, const PathObservation &report);
  std::optional<Tier> tick(Micros now);
  // In a member's newcomer_window: a direction of its leg with
  // newcomer_leg_packets settled whose loss the room's tier does not
  // sustain moves the room at once, to the tier that loss does. After it,
  // the member's reports decide (the leg's loss is in them), and the room
  // climbs as ever when they have been better for up_hold.
  std::optional<Tier> on_leg(uint32_t participant, Micros now, const LegCounts &leg);

  // The tier everyone sends at; the configured initial tier in an empty room.
  Tier room_tier() const { return room_tier_; }
  // The member the last change is down to: whose tier stepped the room
  // down, who joined or who left; nullopt for a step up, which the whole
  // room earns, and for an emptied room.
  std::optional<uint32_t> cause() const { return cause_; }
  // When the room tier last changed (or the room was made).
  Micros tier_since() const { return room_since_; }
  std::optional<Tier> participant_tier(uint32_t participant) const;
  size_t size() const { return participants_.size(); }

 private:
  struct Member {
    Member(const ControllerConfig &config, Micros now);
    // Records the controller's committed tier after a call; forgets what
    // lies before `keep_since` (but the tier in effect then).
    void record(Micros now, Micros keep_since);
    // The best and the worst committed tier in effect at any time in [since, now].
    Tier highest_since(Micros since) const;
    Tier lowest_since(Micros since) const;

    QualityController controller;
    Micros joined;
    std::vector<std::pair<Micros, Tier>> committed;  // (since, tier), oldest first
  };

  std::optional<Tier> decide(Micros now);
  std::optional<Tier> change_to(Tier tier, Micros now, std::optional<uint32_t> cause);
  Tier initial_tier() const { return std::min(config_.initial, config_.ceiling); }

  ControllerConfig config_;
  RoomPolicy policy_;
  std::map<uint32_t, Member> participants_;
  Tier room_tier_;
  Micros room_since_{0};
  Micros latest_{0};  // the latest time any call gave
  std::optional<uint32_t> cause_;
};

}  // namespace wzp::quality
