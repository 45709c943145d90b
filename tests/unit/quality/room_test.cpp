#include "libwzp/quality/room.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

namespace wzp::quality {
namespace {

using std::chrono::seconds;

TEST(WeakestLink, IsTheLowestTier) {
  EXPECT_FALSE(weakest_link({}));
  std::vector<Tier> tiers{Tier::kStudio64k, Tier::kDegraded, Tier::kGood};
  EXPECT_EQ(weakest_link(tiers), Tier::kDegraded);
}

// Reports once a second from every member; tick before them, as the daemon
// does. Returns the times (in seconds) the room tier changed.
struct Room {
  RoomQuality quality;
  std::vector<int> changes;
  int now = 0;

  explicit Room(std::vector<uint32_t> members, const ControllerConfig &config = {})
      : quality(config) {
    for (uint32_t id : members) quality.join(id, seconds(0));
  }
  // One second: every (member, report) pair.
  void second(const std::vector<std::pair<uint32_t, PathObservation>> &reports) {
    ++now;
    bool changed = quality.tick(seconds(now)).has_value();
    for (const auto &[id, report] : reports) {
      changed |= quality.on_report(id, seconds(now), report).has_value();
    }
    if (changed) changes.push_back(now);
  }
  void seconds_of(int count, const std::vector<std::pair<uint32_t, PathObservation>> &reports) {
    for (int i = 0; i < count; ++i) second(reports);
  }
};

const PathObservation kCleanPath{.loss = 0.01, .rtt_ms = 40, .jitter_ms = 8};
const PathObservation kLossy{.loss = 0.2, .rtt_ms = 330, .jitter_ms = 25};  // degraded's
const PathObservation kCollapse{.loss = 0.6, .rtt_ms = 330, .jitter_ms = 25};

// Modelled on issue 19: member 3 behind loss=0.3,burst=3,delay=150ms,
// jitter=20ms,rate=200kbps. Per second, the loss (%) its reports carry
// wanders with the bursts and with what the room sends it, and members 1
// and 2 see some of its stream's loss. The old policy (the room follows
// every committed step of the weakest controller at once) swung 11 times
// in these 90 s.
const std::vector<int> kLossOfMember3 = {
    2,  3,  1,  2,  3,  2,  1,  2,  3,  2,  // no keys yet: nothing lossy to hear
    9,  7,  11, 8,  6,  10, 9,  12, 7,  8,  22, 35, 28, 19, 31, 26, 9,  7,  11, 8,
    10, 6,  9,  48, 55, 42, 61, 38, 25, 30, 22, 18, 28, 31, 24, 10, 8,  11, 7,  9,
    10, 6,  24, 33, 27, 20, 29, 36, 22, 30, 9,  11, 8,  10, 7,  9,  11, 8,  6,  10,
    26, 31, 19, 44, 52, 47, 30, 28, 22, 25, 11, 9,  8,  10, 7,  9,  12, 8,  6,  10,
};
const std::vector<int> kLossOfMembers1And2 = {
    1,  0,  1,  0,  1,  1,  0,  1,  0,  1,  4,  3,  5,  2,  4,  3, 2,  4,  3,  5,  12, 17, 14,
    18, 16, 11, 9,  13, 16, 12, 10, 8,  14, 17, 15, 19, 12, 10, 8, 11, 9,  12, 16, 14, 13, 10,
    7,  11, 12, 9,  10, 8,  14, 18, 16, 12, 19, 17, 13, 15, 7,  9, 8,  10, 6,  8,  9,  7,  5,
    8,  14, 16, 19, 17, 12, 15, 18, 16, 13, 14, 9,  7,  8,  10, 6, 9,  8,  7,  5,  8,
};

// The traces were written against a ladder whose good tier took up to 15 %
// loss and degraded up to 40 %; a value keeps its place relative to
// today's limits (5 % and 30 %, tier.cpp).
double on_todays_ladder(int old_percent) {
  const double x = old_percent;
  if (x <= 15) return x / 3 / 100;
  if (x <= 40) return (5 + (x - 15)) / 100;
  return (30 + (x - 40)) / 100;
}

TEST(RoomQuality, AMemberOnABurstyLossyPathChangesTheRoomAtMostOnceIn30Seconds) {
  ASSERT_EQ(kLossOfMember3.size(), kLossOfMembers1And2.size());
  Room room({1, 2, 3});
  std::vector<Tier> tiers;
  for (size_t i = 0; i < kLossOfMember3.size(); ++i) {
    const PathObservation near{
        .loss = on_todays_ladder(kLossOfMembers1And2[i]), .rtt_ms = 40, .jitter_ms = 8};
    const PathObservation far{
        .loss = on_todays_ladder(kLossOfMember3[i]), .rtt_ms = 330, .jitter_ms = 25};
    const size_t before = room.changes.size();
    room.second({{1, near}, {2, near}, {3, far}});
    if (room.changes.size() > before) tiers.push_back(room.quality.room_tier());
  }
  for (size_t i = 1; i < room.changes.size(); ++i) {
    EXPECT_GE(room.changes[i] - room.changes[i - 1], 30)
        << "changes at " << room.changes[i - 1] << " s and " << room.changes[i] << " s";
  }
  // It does follow member 3 down to the tier its controller keeps most.
  EXPECT_EQ(tiers, std::vector{Tier::kDegraded});
  EXPECT_EQ(room.quality.cause(), 3u);
}

// The room sweep's lossy member (bench/live/room_sweep.py, docs/rooms.md):
// carol behind loss=0.3,burst=3,delay=150ms,jitter=20ms,rate=200kbps
// reported 25-42 % loss, alice and bob 12-22 % (carol's stream). A room
// that starts at good came down twice, 7 s apart; one that starts where
// calls do comes down once.
TEST(RoomQuality, ASteadyLossyMemberChangesARoomThatStartsProtectedOnce) {
  const std::vector<double> carol = {0.26, 0.31, 0.42, 0.36, 0.38, 0.31, 0.25, 0.36};
  const std::vector<double> others = {0.22, 0.17, 0.20, 0.17, 0.12};
  auto run = [&](const ControllerConfig &config) {
    Room room({1, 2, 3}, config);
    for (size_t i = 0; i < 90; ++i) {
      const PathObservation near{.loss = others[i % others.size()], .rtt_ms = 40, .jitter_ms = 8};
      const PathObservation far{.loss = carol[i % carol.size()], .rtt_ms = 330, .jitter_ms = 25};
      room.second({{1, near}, {2, near}, {3, far}});
    }
    return room;
  };
  EXPECT_EQ(RoomQuality().room_tier(), kCallStartTier);
  Room protected_start = run(room_controller_config());
  EXPECT_EQ(protected_start.changes.size(), 1u);
  EXPECT_EQ(protected_start.quality.room_tier(), Tier::kCatastrophic);
  EXPECT_EQ(protected_start.quality.cause(), 3u);
  Room from_good = run(ControllerConfig{});
  ASSERT_EQ(from_good.changes.size(), 2u);
  EXPECT_LT(from_good.changes[1] - from_good.changes[0], 30);
  EXPECT_EQ(from_good.quality.room_tier(), Tier::kCatastrophic);
  std::printf("protected start: change at %d s; from good: at %d s and %d s\n",
              protected_start.changes[0], from_good.changes[0], from_good.changes[1]);
}

TEST(RoomQuality, OneBadReportDoesNotMoveTheRoom) {
  Room room({1, 2}, ControllerConfig{.ceiling = Tier::kGood});
  room.seconds_of(40, {{1, kCleanPath}, {2, kCleanPath}});
  const Tier settled = room.quality.room_tier();
  room.changes.clear();
  room.second({{1, kCleanPath}, {2, kCollapse}});
  room.seconds_of(40, {{1, kCleanPath}, {2, kCleanPath}});
  EXPECT_EQ(room.quality.room_tier(), settled);
  EXPECT_TRUE(room.changes.empty());
}

TEST(RoomQuality, AControllersBriefDipDoesNotMoveTheRoom) {
  const ControllerConfig config;
  Room room({1, 2});
  room.seconds_of(40, {{1, kLossy}, {2, kLossy}});
  ASSERT_EQ(room.quality.room_tier(), Tier::kDegraded);
  room.changes.clear();
  // Enough outliers for member 2's controller to drop to catastrophic, which
  // it undoes as soon as it can.
  room.seconds_of(config.bad_to_step_down, {{1, kLossy}, {2, kCollapse}});
  ASSERT_EQ(room.quality.participant_tier(2), Tier::kCatastrophic);
  room.seconds_of(config.good_to_step_up, {{1, kLossy}, {2, kLossy}});
  ASSERT_EQ(room.quality.participant_tier(2), Tier::kDegraded);
  room.seconds_of(40, {{1, kLossy}, {2, kLossy}});
  EXPECT_TRUE(room.changes.empty());
}

TEST(RoomQuality, ACollapseStepsTheRoomDownOnceTheControllerHasKeptItsStep) {
  const ControllerConfig config;
  const RoomPolicy policy;
  Room room({1, 2});
  room.seconds_of(60, {{1, kCleanPath}, {2, kCleanPath}});
  const Tier before = room.quality.room_tier();
  ASSERT_GT(before, Tier::kCatastrophic);
  room.changes.clear();
  const int collapsed_at = room.now + 1;
  room.seconds_of(60, {{1, kCleanPath}, {2, kCollapse}});
  // Straight down (a collapse skips the tiers between), once: after the
  // controller's bad reports and the hold its step must survive.
  const int expected =
      collapsed_at + config.bad_to_step_down - 1 +
      static_cast<int>(std::chrono::duration_cast<seconds>(policy.member_down_hold).count());
  EXPECT_EQ(room.changes, std::vector{expected});
  EXPECT_EQ(room.quality.room_tier(), Tier::kCatastrophic);
  EXPECT_EQ(room.quality.cause(), 2u);
}

// A member behind a collapsed path from its first second: its step down
// counts after the newcomer's short hold, not the 10 s a known member's
// needs; the same collapse later waits the full hold
// (ACollapseStepsTheRoomDownOnceTheControllerHasKeptItsStep).
TEST(RoomQuality, ANewcomersStepDownCountsAfterAShortHold) {
  const ControllerConfig config;
  const RoomPolicy policy;
  Room room({1, 2});
  room.seconds_of(20, {{1, kCleanPath}, {2, kCollapse}});
  const int expected =
      config.bad_to_step_down +
      static_cast<int>(std::chrono::duration_cast<seconds>(policy.newcomer_down_hold).count());
  ASSERT_FALSE(room.changes.empty());
  EXPECT_EQ(room.changes.front(), expected);
  EXPECT_LT(expected, std::chrono::duration_cast<seconds>(policy.newcomer_window).count());
  EXPECT_EQ(room.quality.room_tier(), Tier::kCatastrophic);
  EXPECT_EQ(room.quality.cause(), 2u);
  EXPECT_EQ(room.changes.size(), 1u);
}

// The relay's own count of a newcomer's leg moves the room as soon as it
// says enough, before any report can (the sweep's carol behind 50 % bursty
// loss, docs/rooms.md: ~95 % heard when her reports moved the room, 99.7 %
// and more in a room at catastrophic before the others' media reached her).
TEST(RoomQuality, ANewcomersLegMovesTheRoomAtOnce) {
  const RoomPolicy policy;
  const uint64_t enough = policy.newcomer_leg_packets;
  const PacketCounts half_lost{enough, enough / 2};
  RoomQuality room;
  ASSERT_EQ(room.room_tier(), Tier::kDegraded);
  room.join(1, seconds(0));
  room.join(2, seconds(0));
  room.join(3, seconds(0));
  // Too few packets say nothing, however many of them were lost.
  const uint64_t early = policy.newcomer_leg_early_packets;
  EXPECT_FALSE(room.on_leg(2, seconds(1), {.up = {early - 1, 0}, .down = {early - 1, 0}}));
  // Short of the full count, a loss not far past the room's tier (degraded
  // holds to 30 %; far past is 45 %) says nothing yet either.
  EXPECT_FALSE(room.on_leg(2, seconds(1), {.up = {enough - 1, (enough - 1) * 6 / 10}}));
  // A clean leg, and one within the room's tier, keep it.
  EXPECT_FALSE(room.on_leg(1, seconds(1), {.up = {enough, enough}, .down = {enough, enough}}));
  EXPECT_FALSE(room.on_leg(2, seconds(1), {.up = {enough, enough * 3 / 4}}));
  // Past its newcomer window a member's leg is in its reports.
  EXPECT_FALSE(room.on_leg(3, policy.newcomer_window, {.down = half_lost}));
  EXPECT_FALSE(room.on_leg(7, seconds(1), {.down = half_lost}));  // a stranger
  // Half of either direction lost: catastrophic at once, that member's doing.
  EXPECT_EQ(room.on_leg(2, seconds(2), {.up = {enough, enough}, .down = half_lost}),
            Tier::kCatastrophic);
  EXPECT_EQ(room.cause(), 2u);
  RoomQuality alone;  // its own leg, with nobody to hear yet
  alone.join(1, seconds(0));
  EXPECT_EQ(alone.on_leg(1, seconds(1), {.up = half_lost}), Tier::kCatastrophic);
  // Far past the tier, half the packets are enough.
  RoomQuality soon;
  soon.join(1, seconds(0));
  EXPECT_EQ(soon.on_leg(1, seconds(1), {.up = {early, early / 2}}), Tier::kCatastrophic);
}

// The leg's word is a start, not a pin: when the member's reports say its
// path carries the tier above, the room climbs as ever, up_hold after the
// step, and it does not move in between.
TEST(RoomQuality, ARoomALegMovedClimbsWhenTheReportsAreBetterFor30Seconds) {
  const RoomPolicy policy;
  const int up_hold = static_cast<int>(std::chrono::duration_cast<seconds>(policy.up_hold).count());
  Room room({1, 2}, room_controller_config());
  room.second({{1, kCleanPath}, {2, kLossy}});
  const PacketCounts half_lost{policy.newcomer_leg_packets, policy.newcomer_leg_packets / 2};
  ASSERT_EQ(room.quality.on_leg(2, seconds(room.now), {.down = half_lost}), Tier::kCatastrophic);
  const int stepped = room.now;
  room.seconds_of(up_hold, {{1, kCleanPath}, {2, kLossy}});
  EXPECT_EQ(room.changes, std::vector{stepped + up_hold});
  EXPECT_EQ(room.quality.room_tier(), Tier::kDegraded);
}

TEST(RoomQuality, StepsUpOnlyAfterEveryMemberHasBeenBetterFor30Seconds) {
  const ControllerConfig config;
  const RoomPolicy policy;
  const int up_hold = static_cast<int>(std::chrono::duration_cast<seconds>(policy.up_hold).count());
  Room room({1, 2});
  room.seconds_of(60, {{1, kCleanPath}, {2, kLossy}});
  ASSERT_EQ(room.quality.room_tier(), Tier::kDegraded);
  room.changes.clear();
  // Member 2's path clears: its controller is back at good after
  // good_to_step_up reports, the room only up_hold later.
  const int cleared_at = room.now + 1;
  room.seconds_of(config.good_to_step_up, {{1, kCleanPath}, {2, kCleanPath}});
  ASSERT_EQ(room.quality.participant_tier(2), Tier::kGood);
  const int controller_up = room.now;
  room.seconds_of(up_hold - 1, {{1, kCleanPath}, {2, kCleanPath}});
  EXPECT_TRUE(room.changes.empty())
      << "up at " << room.changes.front() << " s, cleared at " << cleared_at << " s";
  room.second({{1, kCleanPath}, {2, kCleanPath}});
  EXPECT_EQ(room.changes, std::vector{controller_up + up_hold});
  EXPECT_EQ(room.quality.room_tier(), Tier::kGood);
  EXPECT_FALSE(room.quality.cause()) << "the whole room earns a step up";
  // One tier at a time: the next step waits another up_hold at least.
  room.seconds_of(up_hold - 1, {{1, kCleanPath}, {2, kCleanPath}});
  EXPECT_EQ(room.changes.size(), 1u);
}

TEST(RoomQuality, FollowsTheWeakestParticipantAndRecoversWhenItLeaves) {
  RoomQuality room(ControllerConfig{});  // from good
  EXPECT_EQ(room.room_tier(), Tier::kGood);
  EXPECT_FALSE(room.join(1, seconds(0)));
  EXPECT_FALSE(room.join(2, seconds(0)));
  const PathObservation clean{}, lossy{.loss = 0.3};
  std::optional<Tier> changed;
  int t = 1;
  for (; t <= 30 && !changed; ++t) {
    changed = room.on_report(1, seconds(t), clean);
    if (!changed) changed = room.on_report(2, seconds(t), lossy);
  }
  EXPECT_EQ(changed, Tier::kDegraded);
  for (; t <= 20; ++t) {
    EXPECT_FALSE(room.on_report(1, seconds(t), clean));
    EXPECT_FALSE(room.on_report(2, seconds(t), lossy));
  }
  EXPECT_EQ(room.room_tier(), Tier::kDegraded);
  EXPECT_GT(room.participant_tier(1), Tier::kGood);
  EXPECT_EQ(room.participant_tier(2), Tier::kDegraded);
  EXPECT_EQ(room.cause(), 2u);
  // At once, but to what member 1 has kept since it joined, not its
  // newest tier.
  EXPECT_EQ(room.leave(2), Tier::kGood);
  EXPECT_EQ(room.cause(), 2u);
  EXPECT_EQ(room.size(), 1u);
}

TEST(RoomQuality, AJoinerBringsAStudioRoomToTheInitialTierAtOnce) {
  Room room({1, 2});
  room.seconds_of(120, {{1, kCleanPath}, {2, kCleanPath}});
  ASSERT_GT(room.quality.room_tier(), Tier::kGood);
  EXPECT_EQ(room.quality.join(3, seconds(room.now)), Tier::kGood);
  EXPECT_EQ(room.quality.cause(), 3u);
}

TEST(RoomQuality, ReportsFromStrangersChangeNothing) {
  RoomQuality room(ControllerConfig{});  // from good
  room.join(1, seconds(0));
  for (int i = 1; i <= 30; ++i) EXPECT_FALSE(room.on_report(7, seconds(i), {.loss = 0.9}));
  EXPECT_EQ(room.room_tier(), Tier::kGood);
  EXPECT_FALSE(room.participant_tier(7));
  EXPECT_FALSE(room.leave(7));
}

TEST(RoomQuality, SilenceFromOneParticipantLowersTheRoom) {
  const RoomPolicy policy;
  RoomQuality room(ControllerConfig{});  // from good
  room.join(1, seconds(0));
  room.join(2, seconds(0));
  auto t = seconds(1);
  for (; t < policy.newcomer_window; t += seconds(1)) {
    room.on_report(1, t, {});
    room.on_report(2, t, {});
  }
  // Participant 2 falls silent: silent seconds step its controller below
  // the room's tier, which the room follows once kept.
  ASSERT_EQ(room.room_tier(), Tier::kGood);
  for (; room.participant_tier(2) >= Tier::kGood; t += seconds(1)) {
    ASSERT_LT(t, seconds(60));
    EXPECT_FALSE(room.tick(t)) << t.count();
    room.on_report(1, t, {});
  }
  const auto stepped = t - seconds(1);
  for (; t < stepped + policy.member_down_hold; t += seconds(1)) {
    EXPECT_FALSE(room.tick(t)) << t.count();
    room.on_report(1, t, {});
  }
  EXPECT_EQ(room.tick(stepped + policy.member_down_hold), Tier::kDegraded);
  EXPECT_GE(room.participant_tier(1), Tier::kGood);
}

TEST(RoomQuality, AnEmptyRoomReturnsToTheInitialTier) {
  RoomQuality room(ControllerConfig{.initial = Tier::kStudio32k});
  room.join(1, seconds(0));
  for (int i = 1; i <= 20; ++i) room.on_report(1, seconds(i), {.loss = 0.6});
  EXPECT_EQ(room.room_tier(), Tier::kCatastrophic);
  EXPECT_EQ(room.leave(1), Tier::kStudio32k);
}

}  // namespace
}  // namespace wzp::quality
