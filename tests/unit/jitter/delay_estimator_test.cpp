#include "libwzp/jitter/delay_estimator.hpp"

#include <gtest/gtest.h>

#include <random>

#include "tests/unit/jitter/units.hpp"

namespace wzp::jitter {
namespace {

constexpr int64_t kFrame = 20 * kMs;

TEST(DelayEstimator, StartsAtTheStartDelay) {
  DelayEstimator estimator(EstimatorConfig{});
  EXPECT_EQ(estimator.target_delay(), 80 * kMs);
  EXPECT_FALSE(estimator.has_base());
}

TEST(DelayEstimator, SteadyPathNeedsOneBucket) {
  DelayEstimator estimator(EstimatorConfig{});
  for (int i = 0; i < 500; ++i) estimator.observe(i * kFrame, 50 * kMs + (i % 3) * kMs);
  EXPECT_EQ(estimator.base_transit(), 50 * kMs);
  EXPECT_EQ(estimator.target_delay(), 20 * kMs);
}

TEST(DelayEstimator, TargetCoversTheQuantileOfUniformJitter) {
  DelayEstimator estimator(EstimatorConfig{});
  std::mt19937 rng(1);
  std::uniform_int_distribution<int64_t> jitter(0, 100 * kMs);
  for (int i = 0; i < 3000; ++i) estimator.observe(i * kFrame, 30 * kMs + jitter(rng));
  // The 95th percentile of U(0, 100 ms) is 95 ms: the bucket edge above it.
  EXPECT_EQ(estimator.target_delay(), 100 * kMs);
}

TEST(DelayEstimator, ForgetsOldJitter) {
  DelayEstimator estimator(EstimatorConfig{});
  std::mt19937 rng(2);
  std::uniform_int_distribution<int64_t> jitter(0, 200 * kMs);
  int i = 0;
  for (; i < 1000; ++i) estimator.observe(i * kFrame, jitter(rng));
  EXPECT_GE(estimator.target_delay(), 180 * kMs);
  for (; i < 4000; ++i) estimator.observe(i * kFrame, 0);
  EXPECT_EQ(estimator.target_delay(), 20 * kMs);
}

TEST(DelayEstimator, RelearningForgetsTheOldPathOnlyOnceTheNewOneIsKnown) {
  EstimatorConfig config;
  config.quantile = 0.99;
  config.overtaken_memory_ns = 0;
  DelayEstimator estimator(config);
  // 5 s where every fifth frame comes 400 ms late, as FEC too weak for the
  // path rebuilds them; then a new tier whose frames all come on time.
  int i = 0;
  for (; i < 250; ++i) estimator.observe(i * kFrame, 50 * kMs + (i % 5 == 0 ? 400 * kMs : 0));
  EXPECT_EQ(estimator.target_delay(), 420 * kMs);
  estimator.relearn();
  for (; i < 250 + 245; ++i) estimator.observe(i * kFrame, 50 * kMs);
  EXPECT_EQ(estimator.target_delay(), 420 * kMs);  // 4.9 s: the old tail still counts
  for (; i < 250 + 255; ++i) estimator.observe(i * kFrame, 50 * kMs);
  EXPECT_EQ(estimator.target_delay(), 20 * kMs);  // 5 s: the new path's own
}

TEST(DelayEstimator, BaseFollowsARouteChange) {
  DelayEstimator estimator(EstimatorConfig{});
  int i = 0;
  for (; i < 500; ++i) estimator.observe(i * kFrame, 100 * kMs);
  for (; i < 1000; ++i) estimator.observe(i * kFrame, 300 * kMs);
  // The window is 5 s (250 frames): the base has moved up.
  EXPECT_EQ(estimator.base_transit(), 300 * kMs);
}

TEST(DelayEstimator, ClampsToLimits) {
  EstimatorConfig config;
  config.min_delay_ns = 60 * kMs;
  config.max_delay_ns = 150 * kMs;
  DelayEstimator estimator(config);
  for (int i = 0; i < 500; ++i) estimator.observe(i * kFrame, 0);
  EXPECT_EQ(estimator.target_delay(), 60 * kMs);
  for (int i = 500; i < 1500; ++i) estimator.observe(i * kFrame, (i % 2) * 900 * kMs);
  EXPECT_EQ(estimator.target_delay(), 150 * kMs);
}

// Frames FEC rebuilds come after later frames, a few in rare spikes: the
// latest of them in the last 30 s is a floor that a 0.99 quantile of all
// frames would let go, and it is forgotten once 30 s have passed.
TEST(DelayEstimator, TheLatestOvertakenFrameOfTheLast30SecondsIsAFloor) {
  EstimatorConfig config;
  config.quantile = 0.99;
  DelayEstimator estimator(config);
  int i = 0;
  for (; i < 500; ++i) estimator.observe(i * kFrame, 50 * kMs);
  ASSERT_EQ(estimator.target_delay(), 20 * kMs);
  // One rebuilt frame, 230 ms above the base.
  estimator.observe(i * kFrame, 280 * kMs, /*overtaken=*/true);
  EXPECT_EQ(estimator.target_delay(), 240 * kMs) << "the bucket above 230 ms";
  // The same frame merely late on its way, not overtaken, moves the
  // quantile much less.
  DelayEstimator plain(config);
  for (int j = 0; j <= 500; ++j) plain.observe(j * kFrame, j == 500 ? 280 * kMs : 50 * kMs);
  EXPECT_LT(plain.target_delay(), 100 * kMs);
  // 29 s on the floor holds; past 30 s it is gone.
  const int64_t spike_at = i * kFrame;
  for (++i; i * kFrame < spike_at + 29'000 * kMs; ++i) estimator.observe(i * kFrame, 50 * kMs);
  EXPECT_EQ(estimator.target_delay(), 240 * kMs);
  for (; i * kFrame < spike_at + 36'000 * kMs; ++i) estimator.observe(i * kFrame, 50 * kMs);
  EXPECT_EQ(estimator.target_delay(), 20 * kMs);
}

TEST(DelayEstimator, TheOvertakenFloorIsCappedAndCanBeOff) {
  EstimatorConfig config;
  config.quantile = 0.99;
  DelayEstimator capped(config);
  for (int i = 0; i < 500; ++i) capped.observe(i * kFrame, 50 * kMs);
  capped.observe(500 * kFrame, 950 * kMs, /*overtaken=*/true);
  EXPECT_EQ(capped.target_delay(), 260 * kMs);

  config.overtaken_memory_ns = 0;
  DelayEstimator off(config);
  for (int i = 0; i < 500; ++i) off.observe(i * kFrame, 50 * kMs);
  off.observe(500 * kFrame, 280 * kMs, /*overtaken=*/true);
  EXPECT_LT(off.target_delay(), 100 * kMs);
}

}  // namespace
}  // namespace wzp::jitter
