#include "libwzp/base/token_bucket.hpp"

#include <gtest/gtest.h>

namespace wzp::base {
namespace {

using namespace std::chrono_literals;

TEST(TokenBucket, TakesABurstThenTheRate) {
  const auto t0 = std::chrono::steady_clock::time_point{};
  TokenBucket bucket(10, 3, t0);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.take(t0));
  EXPECT_FALSE(bucket.take(t0));
  EXPECT_FALSE(bucket.take(t0 + 50ms));  // half a token back
  EXPECT_TRUE(bucket.take(t0 + 100ms));
  EXPECT_FALSE(bucket.take(t0 + 100ms));
  // A long pause fills it to the burst, no further.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.take(t0 + 10s));
  EXPECT_FALSE(bucket.take(t0 + 10s));
}

TEST(TokenBucket, TimeGoingBackwardsGivesNothing) {
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  TokenBucket bucket(10, 1, t0);
  EXPECT_TRUE(bucket.take(t0));
  EXPECT_FALSE(bucket.take(t0 - 1s));
  EXPECT_TRUE(bucket.take(t0 + 100ms));
}

}  // namespace
}  // namespace wzp::base
