// The relay's check of the loss a room member reports.
#include "libwzp/quality/plausible_loss.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace wzp::quality {
namespace {

const PlausibilityConfig kConfig;

// Two standard deviations of a 50-packet figure around `loss`.
double with_spread(double loss) { return loss + 2 * std::sqrt(loss * (1 - loss) / 50); }

TEST(StreamArrivals, GapsAreLostAndALatePacketFillsItsGap) {
  StreamArrivals stream;
  for (uint32_t sequence : {10u, 11u, 14u}) stream.on_packet(sequence, true);
  EXPECT_EQ(stream.totals().sent, 5u);
  EXPECT_EQ(stream.totals().arrived, 3u);
  const PacketCounts late = stream.on_packet(13, true);
  EXPECT_EQ(late.sent, 0u);
  EXPECT_EQ(late.arrived, 1u);
  EXPECT_DOUBLE_EQ(stream.totals().loss(), 1.0 / 5);
}

TEST(StreamArrivals, APacketTheRelayDroppedIsLostToTheMembers) {
  StreamArrivals stream;
  stream.on_packet(1, true);
  const PacketCounts policed = stream.on_packet(2, false);
  EXPECT_EQ(policed.sent, 1u);
  EXPECT_EQ(policed.arrived, 0u);
  EXPECT_DOUBLE_EQ(stream.totals().loss(), 0.5);
}

TEST(StreamArrivals, SequenceNumbersWrap) {
  StreamArrivals stream;
  stream.on_packet(0xffffffffu, true);
  stream.on_packet(1, true);
  EXPECT_EQ(stream.totals().sent, 3u);
  EXPECT_EQ(stream.totals().arrived, 2u);
}

TEST(ClampDelay, FiguresFarBeyondTheRelaysOwnAreClamped) {
  PathObservation made_up{.loss = 0.01, .rtt_ms = 2000, .jitter_ms = 400};
  EXPECT_TRUE(clamp_delay(made_up, {.rtt_ms = 100, .rtt_variance_ms = 10}));
  EXPECT_EQ(made_up.rtt_ms, 300u);
  EXPECT_EQ(made_up.jitter_ms, 70u);
  // The two ends' estimates differ a little: that is believed.
  PathObservation honest{.loss = 0.01, .rtt_ms = 130, .jitter_ms = 30};
  EXPECT_FALSE(clamp_delay(honest, {.rtt_ms = 100, .rtt_variance_ms = 10}));
  EXPECT_EQ(honest.rtt_ms, 130u);
  // No sample at the relay: nothing to check against.
  EXPECT_FALSE(clamp_delay(made_up = {.rtt_ms = 2000}, {}));
  EXPECT_EQ(made_up.rtt_ms, 2000u);
}

TEST(PlausibleLoss, CleanLegsAllowOnlyTheFloor) {
  const RelayView clean{.upstream = {100, 100}, .downstream = {50, 50}};
  EXPECT_DOUBLE_EQ(*plausible_loss(clean), kConfig.floor);
}

TEST(PlausibleLoss, TheTwoLegsLossesCombine) {
  // 20 % lost before the relay, 25 % of the rest after it: 40 % in all.
  const RelayView lossy{.upstream = {100, 80}, .downstream = {100, 75}};
  EXPECT_NEAR(*plausible_loss(lossy), with_spread(0.4), 1e-12);
}

TEST(PlausibleLoss, TooFewDatagramsToTheMemberSayNothing) {
  const RelayView quiet{.upstream = {100, 100},
                        .downstream = {kConfig.min_downstream - 1, kConfig.min_downstream - 1}};
  EXPECT_FALSE(plausible_loss(quiet));
}

TEST(LossCheck, AFalseReportOnCleanLegsIsClamped) {
  LossCheck check(RelayView{});
  PathObservation report{.loss = 1.0, .rtt_ms = 80};
  EXPECT_TRUE(check.clamp(report, {.upstream = {50, 50}, .downstream = {50, 50}}));
  EXPECT_DOUBLE_EQ(report.loss, kConfig.floor);
  EXPECT_EQ(report.rtt_ms, 80u);
}

TEST(LossCheck, LossTheRelaySeesIsBelievedAndStillPullsTheTierDown) {
  LossCheck check(RelayView{});
  // The relay's datagrams to the member: 40 % lost.
  const RelayView lossy{.upstream = {50, 50}, .downstream = {50, 30}};
  PathObservation honest{.loss = 0.5};
  EXPECT_FALSE(check.clamp(honest, lossy));
  EXPECT_DOUBLE_EQ(honest.loss, 0.5);

  PathObservation exaggerated{.loss = 1.0};
  EXPECT_TRUE(check.clamp(exaggerated, {.upstream = {100, 100}, .downstream = {100, 60}}));
  EXPECT_NEAR(exaggerated.loss, with_spread(0.4), 1e-12);
  EXPECT_EQ(classify(exaggerated), Tier::kCatastrophic);
}

TEST(LossCheck, EachReportIsJudgedOnTheLastTwoStretches) {
  LossCheck check(RelayView{.upstream = {1000, 1000}, .downstream = {1000, 1000}});
  // The leg broke: 60 % of the next 50 datagrams lost.
  PathObservation broken{.loss = 0.6};
  EXPECT_FALSE(check.clamp(broken, {.upstream = {1050, 1050}, .downstream = {1050, 1020}}));
  // And cleared. The relay settles its datagrams an RTT and a loss detection
  // after the member misses them, so the next report may still describe the
  // lossy second: it stands.
  PathObservation lagging{.loss = 0.6};
  EXPECT_FALSE(check.clamp(lagging, {.upstream = {1100, 1100}, .downstream = {1100, 1100}}));
  // Two clean stretches on, it no longer does.
  PathObservation after{.loss = 0.6};
  EXPECT_TRUE(check.clamp(after, {.upstream = {1150, 1150}, .downstream = {1150, 1150}}));
  EXPECT_DOUBLE_EQ(after.loss, kConfig.floor);
}

// Issue 13: a member reporting 100 % loss in a room where nobody talked was
// believed, since nothing had been sent to it to judge the report by; the
// room went to catastrophic with no packet lost anywhere.
TEST(LossCheck, AStretchThatSaysTooLittleIsHeldToTheLastJudgedOne) {
  LossCheck check(RelayView{});
  PathObservation early{.loss = 1.0};
  EXPECT_TRUE(check.clamp(early, {.upstream = {10, 10}, .downstream = {10, 10}}));
  EXPECT_DOUBLE_EQ(early.loss, kConfig.floor) << "nothing judged yet: the floor";
  // The stretch runs on to the next report, and is judged then.
  PathObservation next{.loss = 0.5};
  EXPECT_FALSE(
      check.clamp(next, {.upstream = {30, 30}, .downstream = {kConfig.min_downstream, 10}}));
  EXPECT_DOUBLE_EQ(next.loss, 0.5);
  // A quiet stretch after a lossy one: the lossy one's bound holds.
  PathObservation quiet{.loss = 0.5};
  EXPECT_FALSE(
      check.clamp(quiet, {.upstream = {31, 31}, .downstream = {kConfig.min_downstream + 1, 11}}));
  EXPECT_DOUBLE_EQ(quiet.loss, 0.5);
}

}  // namespace
}  // namespace wzp::quality
