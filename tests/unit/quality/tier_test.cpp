#include "libwzp/quality/tier.hpp"

#include <gtest/gtest.h>

#include "libwzp/jitter/jitter_buffer.hpp"

namespace wzp::quality {
namespace {

TEST(QualityTier, LadderMatchesTheBrief) {
  ASSERT_EQ(ladder().size(), 6u);
  EXPECT_EQ(profile(Tier::kCatastrophic).codec, Codec::kCodec2);
  EXPECT_EQ(profile(Tier::kCatastrophic).wire_codec, wire::codec::kCodec2_1200);
  EXPECT_EQ(profile(Tier::kCatastrophic).bitrate_bps, 1200u);
  EXPECT_EQ(profile(Tier::kDegraded).bitrate_bps, 6000u);
  EXPECT_EQ(profile(Tier::kGood).bitrate_bps, 24000u);
  EXPECT_EQ(profile(Tier::kStudio32k).bitrate_bps, 32000u);
  EXPECT_EQ(profile(Tier::kStudio48k).bitrate_bps, 48000u);
  EXPECT_EQ(profile(Tier::kStudio64k).bitrate_bps, 64000u);
  for (Tier t : {Tier::kDegraded, Tier::kGood, Tier::kStudio64k}) {
    EXPECT_EQ(profile(t).codec, Codec::kOpus);
    EXPECT_EQ(profile(t).wire_codec, wire::codec::kOpus);
  }
  EXPECT_TRUE(profile(Tier::kStudio32k).is_studio());
  EXPECT_FALSE(profile(Tier::kGood).is_studio());
}

// FEC recovers a frame only once enough of its group's repair has arrived,
// which is paced over the next group: both must fit in the jitter buffer's
// largest delay with 300 ms left for the path's own jitter, or recovered
// frames come after their time.
TEST(QualityTier, EveryFecGroupFitsTheJitterBuffersDelayBudget) {
  const int64_t max_delay_ms = jitter::JitterConfig{}.max_latency_ns / 1'000'000;
  for (const TierProfile &p : ladder()) {
    EXPECT_LE(int64_t{p.recovery_span_ms()} + 300, max_delay_ms)
        << p.name << ": " << p.recovery_span_ms() << " ms";
  }
}

TEST(QualityTier, HigherTiersCostMoreAndNeedABetterPath) {
  for (size_t i = 1; i < ladder().size(); ++i) {
    const TierProfile &lower = ladder()[i - 1], &higher = ladder()[i];
    EXPECT_EQ(static_cast<size_t>(higher.tier), i);
    EXPECT_GT(higher.wire_bitrate_bps(), lower.wire_bitrate_bps()) << higher.name;
    EXPECT_LT(higher.max_loss, lower.max_loss) << higher.name;
    EXPECT_LT(higher.max_rtt_ms, lower.max_rtt_ms) << higher.name;
    EXPECT_LE(higher.max_jitter_ms, lower.max_jitter_ms) << higher.name;
    EXPECT_LE(higher.repair_ratio, lower.repair_ratio) << higher.name;
    EXPECT_LE(higher.interleave_depth, lower.interleave_depth) << higher.name;
    // Repair must outweigh the loss the tier accepts, or FEC cannot keep up.
    EXPECT_GT(higher.repair_ratio / (1 + higher.repair_ratio), higher.max_loss) << higher.name;
  }
  // Even the floor, with six repair packets per frame, fits the warzone
  // profile's 200 kbit/s twice over.
  EXPECT_LT(profile(Tier::kCatastrophic).wire_bitrate_bps(), 100'000u);
}

TEST(QualityTier, ClassifiesPaths) {
  EXPECT_EQ(classify({}), Tier::kStudio64k);
  EXPECT_EQ(classify({.loss = 0.02}), Tier::kStudio48k);
  EXPECT_EQ(classify({.loss = 0.03}), Tier::kStudio32k);
  EXPECT_EQ(classify({.loss = 0.05}), Tier::kGood);
  EXPECT_EQ(classify({.loss = 0.10}), Tier::kDegraded);
  EXPECT_EQ(classify({.loss = 0.30}), Tier::kDegraded);
  EXPECT_EQ(classify({.loss = 0.60}), Tier::kCatastrophic);
  EXPECT_EQ(classify({.rtt_ms = 500}), Tier::kGood);
  EXPECT_EQ(classify({.rtt_ms = 900}), Tier::kDegraded);
  EXPECT_EQ(classify({.rtt_ms = 5000}), Tier::kCatastrophic);
  EXPECT_EQ(classify({.jitter_ms = 100}), Tier::kGood);
  EXPECT_EQ(classify({.bandwidth_kbps = 79}), Tier::kDegraded);
  EXPECT_EQ(classify({.bandwidth_kbps = 50}), Tier::kCatastrophic);
  EXPECT_EQ(classify({.bandwidth_kbps = 30}), Tier::kCatastrophic);
  EXPECT_EQ(classify({.bandwidth_kbps = 0}), Tier::kStudio64k);  // unknown is no limit
}

TEST(QualityTier, MarginTightensTheLimits) {
  const PathObservation near_the_edge{.loss = 0.045};
  EXPECT_TRUE(sustains(profile(Tier::kGood), near_the_edge));
  EXPECT_FALSE(sustains(profile(Tier::kGood), near_the_edge, 0.8));
  EXPECT_TRUE(sustains(profile(Tier::kCatastrophic), {.loss = 1.0, .rtt_ms = 60000}, 0.5));
}

TEST(QualityTier, ObservationsFromReportsAndWorstOfTwo) {
  wire::QualityReport report;
  report.loss_q8 = 64;
  report.rtt_ms = 400;
  report.jitter_ms = 20;
  report.bandwidth_kbps = 300;
  PathObservation seen = PathObservation::from(report);
  EXPECT_DOUBLE_EQ(seen.loss, 0.25);
  EXPECT_EQ(seen.rtt_ms, 400u);
  EXPECT_EQ(seen.jitter_ms, 20u);
  EXPECT_EQ(seen.bandwidth_kbps, 300u);

  PathObservation worst = PathObservation::worst(
      seen, {.loss = 0.1, .rtt_ms = 600, .jitter_ms = 5, .bandwidth_kbps = 0});
  EXPECT_DOUBLE_EQ(worst.loss, 0.25);
  EXPECT_EQ(worst.rtt_ms, 600u);
  EXPECT_EQ(worst.jitter_ms, 20u);
  EXPECT_EQ(worst.bandwidth_kbps, 300u);  // unknown does not erase a known bandwidth
  EXPECT_EQ(PathObservation::worst({.bandwidth_kbps = 100}, {.bandwidth_kbps = 80}).bandwidth_kbps,
            80u);
}

TEST(QualityTier, NamesAndNeighbours) {
  for (const auto &p : ladder()) EXPECT_EQ(tier_from_string(to_string(p.tier)), p.tier);
  EXPECT_FALSE(tier_from_string("platinum"));
  EXPECT_FALSE(tier_above(kHighestTier));
  EXPECT_FALSE(tier_below(kLowestTier));
  EXPECT_EQ(tier_above(Tier::kGood), Tier::kStudio32k);
  EXPECT_EQ(tier_below(Tier::kGood), Tier::kDegraded);
}

}  // namespace
}  // namespace wzp::quality
