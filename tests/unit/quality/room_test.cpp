#include "libwzp/quality/room.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace wzp::quality {
namespace {

using std::chrono::seconds;

TEST(WeakestLink, IsTheLowestTier) {
  EXPECT_FALSE(weakest_link({}));
  std::vector<Tier> tiers{Tier::kStudio64k, Tier::kDegraded, Tier::kGood};
  EXPECT_EQ(weakest_link(tiers), Tier::kDegraded);
}

TEST(RoomQuality, FollowsTheWeakestParticipantAndRecoversWhenItLeaves) {
  RoomQuality room;
  EXPECT_EQ(room.room_tier(), Tier::kGood);
  EXPECT_FALSE(room.join(1, seconds(0)));
  EXPECT_FALSE(room.join(2, seconds(0)));
  const PathObservation clean{}, lossy{.loss = 0.3};
  EXPECT_FALSE(room.on_report(1, seconds(1), clean));
  EXPECT_FALSE(room.on_report(2, seconds(1), lossy));
  EXPECT_FALSE(room.on_report(2, seconds(2), lossy));
  EXPECT_EQ(room.on_report(2, seconds(3), lossy), Tier::kDegraded);
  EXPECT_EQ(room.room_tier(), Tier::kDegraded);
  EXPECT_EQ(room.participant_tier(1), Tier::kGood);
  EXPECT_EQ(room.participant_tier(2), Tier::kDegraded);
  EXPECT_EQ(room.leave(2), Tier::kGood);
  EXPECT_EQ(room.size(), 1u);
}

TEST(RoomQuality, ReportsFromStrangersChangeNothing) {
  RoomQuality room;
  room.join(1, seconds(0));
  for (int i = 1; i <= 5; ++i) EXPECT_FALSE(room.on_report(7, seconds(i), {.loss = 0.9}));
  EXPECT_EQ(room.room_tier(), Tier::kGood);
  EXPECT_FALSE(room.participant_tier(7));
  EXPECT_FALSE(room.leave(7));
}

TEST(RoomQuality, SilenceFromOneParticipantLowersTheRoom) {
  RoomQuality room;
  room.join(1, seconds(0));
  room.join(2, seconds(0));
  for (int i = 1; i <= 7; ++i) room.on_report(1, seconds(i), {});
  // Participant 2 never reports: after the grace, three silent seconds step it down.
  EXPECT_EQ(room.tick(seconds(7)), Tier::kDegraded);
  EXPECT_EQ(room.participant_tier(1), Tier::kGood);
}

TEST(RoomQuality, AnEmptyRoomReturnsToTheInitialTier) {
  RoomQuality room(ControllerConfig{.initial = Tier::kStudio32k});
  room.join(1, seconds(0));
  for (int i = 1; i <= 3; ++i) room.on_report(1, seconds(i), {.loss = 0.6});
  EXPECT_EQ(room.room_tier(), Tier::kCatastrophic);
  EXPECT_EQ(room.leave(1), Tier::kStudio32k);
}

}  // namespace
}  // namespace wzp::quality
