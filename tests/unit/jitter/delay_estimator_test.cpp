#include "libwzp/jitter/delay_estimator.hpp"

#include <gtest/gtest.h>

#include <random>

namespace wzp::jitter {
namespace {

constexpr int64_t kMs = 1'000'000;
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

}  // namespace
}  // namespace wzp::jitter
