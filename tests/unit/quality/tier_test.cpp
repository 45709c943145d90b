#include "libwzp/quality/tier.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <utility>

#include "libwzp/jitter/jitter_buffer.hpp"

namespace wzp::quality {
namespace {

// Rules the ladder keeps whatever its numbers (which docs/quality.md
// derives): ordered, each step up sounds better and is protected less, and
// every tier's wire codec is the codec and rate it claims.
TEST(QualityTier, LadderIsOrderedFromRobustToBestSounding) {
  ASSERT_EQ(ladder().size(), static_cast<size_t>(kHighestTier) + 1);
  EXPECT_EQ(ladder().front().tier, kLowestTier);
  for (size_t i = 0; i < ladder().size(); ++i) {
    const TierProfile &p = ladder()[i];
    EXPECT_EQ(static_cast<size_t>(p.tier), i);
    EXPECT_EQ(&profile(p.tier), &p);
    EXPECT_GT(p.frame_ms, 0u) << p.name;
    EXPECT_GE(p.block_frames, 1u) << p.name;
    EXPECT_GE(p.interleave_depth, 1u) << p.name;
    EXPECT_GT(p.repair_ratio, 0.0) << p.name << ": every tier is protected";
    if (i == 0) continue;
    const TierProfile &lower = ladder()[i - 1];
    EXPECT_GT(p.bitrate_bps, lower.bitrate_bps) << p.name;
    EXPECT_LE(p.frame_ms, lower.frame_ms) << p.name;
    EXPECT_LE(p.repair_ratio / (1 + p.repair_ratio), lower.repair_ratio / (1 + lower.repair_ratio))
        << p.name;
    EXPECT_LE(p.window_frames > 0, lower.window_frames > 0)
        << p.name << ": the sliding window is for the lossy end";
  }
}

// The wire codec id a receiver decodes by matches the tier's codec and, for
// Codec2, its mode's bit rate (docs/PROTOCOL.md, codec ids).
TEST(QualityTier, WireCodecMatchesCodecAndRate) {
  const std::pair<uint8_t, uint32_t> codec2_modes[] = {
      {wire::codec::kCodec2_3200, 3200}, {wire::codec::kCodec2_2400, 2400},
      {wire::codec::kCodec2_1600, 1600}, {wire::codec::kCodec2_1400, 1400},
      {wire::codec::kCodec2_1300, 1300}, {wire::codec::kCodec2_1200, 1200},
      {wire::codec::kCodec2_700C, 700}};
  for (const TierProfile &p : ladder()) {
    if (p.codec == Codec::kOpus) {
      EXPECT_EQ(p.wire_codec, wire::codec::kOpus) << p.name;
      continue;
    }
    auto mode = std::find_if(std::begin(codec2_modes), std::end(codec2_modes),
                             [&](const auto &m) { return m.first == p.wire_codec; });
    ASSERT_NE(mode, std::end(codec2_modes)) << p.name << ": not a Codec2 id";
    EXPECT_EQ(mode->second, p.bitrate_bps) << p.name;
  }
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

// A path right at a tier's limits (and with just its wire bitrate) is
// classified as that tier: the higher ones ask more. A little worse on any
// one axis drops below it.
TEST(QualityTier, ClassifiesAPathAtEachTiersLimits) {
  EXPECT_EQ(classify({}), kHighestTier);
  EXPECT_EQ(classify({.bandwidth_kbps = 0}), kHighestTier) << "unknown bandwidth is no limit";
  EXPECT_EQ(
      classify({.loss = 1.0, .rtt_ms = UINT32_MAX, .jitter_ms = UINT32_MAX, .bandwidth_kbps = 1}),
      kLowestTier);
  for (const TierProfile &p : ladder()) {
    if (p.tier == kLowestTier) continue;  // the floor sustains anything
    const uint32_t kbps = (p.wire_bitrate_bps() + 999) / 1000;
    const PathObservation at_limits{.loss = p.max_loss,
                                    .rtt_ms = p.max_rtt_ms,
                                    .jitter_ms = p.max_jitter_ms,
                                    .bandwidth_kbps = kbps};
    EXPECT_EQ(classify(at_limits), p.tier) << p.name;
    PathObservation worse = at_limits;
    worse.loss = p.max_loss + 0.001;
    EXPECT_LT(classify(worse), p.tier) << p.name << ": loss";
    worse = at_limits;
    worse.rtt_ms = p.max_rtt_ms + 1;
    EXPECT_LT(classify(worse), p.tier) << p.name << ": rtt";
    worse = at_limits;
    worse.jitter_ms = p.max_jitter_ms + 1;
    EXPECT_LT(classify(worse), p.tier) << p.name << ": jitter";
    worse = at_limits;
    worse.bandwidth_kbps = p.wire_bitrate_bps() / 1000 - 1;
    EXPECT_LT(classify(worse), p.tier) << p.name << ": bandwidth";
  }
}

// More loss never classifies higher.
TEST(QualityTier, ClassificationFallsWithLoss) {
  Tier previous = kHighestTier;
  for (int permille = 0; permille <= 1000; ++permille) {
    const Tier tier = classify({.loss = permille / 1000.0});
    EXPECT_LE(tier, previous) << permille << " permille";
    previous = tier;
  }
  EXPECT_EQ(previous, kLowestTier);
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
