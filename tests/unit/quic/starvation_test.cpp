// When a connection counts as starved: decided from its running datagram
// totals and explicit times, without a clock.
#include "libwzp/quic/starvation.hpp"

#include <gtest/gtest.h>

#include "tests/unit/quic/units.hpp"

namespace wzp::quic {
namespace {

constexpr uint64_t kWindow = 500 * kMs;

TEST(StarvationWatch, HalfTheMediaDroppedUnsentOverHalfASecondIsStarvation) {
  StarvationWatch watch;
  EXPECT_FALSE(watch.starved(0, 0, 0));
  EXPECT_FALSE(watch.starved(kWindow - 1, 50, 30));  // the window is not over yet
  EXPECT_TRUE(watch.starved(kWindow, 50, 25));
}

TEST(StarvationWatch, ADatagramHeldBackTooLongIsStarvationAtOnce) {
  StarvationWatch watch;
  watch.starved(0, 0, 0);
  EXPECT_FALSE(watch.starved(10 * kMs, 5, 0, 149 * kMs));
  EXPECT_TRUE(watch.starved(20 * kMs, 6, 0, 150 * kMs)) << "before the window ends";
  // Not again within the minimum interval, however long the wait.
  EXPECT_FALSE(watch.starved(1000 * kMs, 60, 0, 400 * kMs));
  EXPECT_TRUE(watch.starved(2020 * kMs, 200, 0, 150 * kMs));
}

// After a window that lost under 5 % of its datagrams a wait of 10 ms is
// enough (ProbeRTT on a clean long path); after a lossy one, 150 ms again.
TEST(StarvationWatch, OnACleanPathAShortWaitIsStarvation) {
  StarvationWatch watch;
  watch.starved(0, 0, 0, 0, 0);
  EXPECT_FALSE(watch.starved(10 * kMs, 5, 0, 10 * kMs, 0)) << "no clean window seen yet";
  EXPECT_FALSE(watch.starved(kWindow, 50, 0, 0, 2));  // 2 of 50 lost: clean
  EXPECT_TRUE(watch.starved(kWindow + 10 * kMs, 55, 0, 10 * kMs, 2));
  EXPECT_FALSE(watch.starved(3000 * kMs, 100, 0, 0, 10));  // 8 of 45 lost: lossy
  EXPECT_FALSE(watch.starved(3010 * kMs, 105, 0, 149 * kMs, 10));
  EXPECT_TRUE(watch.starved(3020 * kMs, 110, 0, 150 * kMs, 10));
}

// Under loss the short wait holds too while no signaling waits for its
// acknowledgement: restarts then delay nothing reliable (docs/quic.md).
TEST(StarvationWatch, UnderLossAShortWaitIsStarvationWhileSignalingIsIdle) {
  StarvationWatch watch;
  watch.starved(0, 0, 0, 0, 0);
  EXPECT_FALSE(watch.starved(kWindow, 50, 0, 0, 10));  // 10 of 50 lost: lossy
  EXPECT_FALSE(watch.starved(kWindow + 10 * kMs, 55, 0, 10 * kMs, 10, false));
  EXPECT_TRUE(watch.starved(kWindow + 20 * kMs, 60, 0, 10 * kMs, 10, true));
}

TEST(StarvationWatch, WaitingCountsOnlyWhenAsked) {
  StarvationWatch watch(StarvationConfig{.max_wait_ns = 0});
  watch.starved(0, 0, 0);
  EXPECT_FALSE(watch.starved(10 * kMs, 5, 0, 900 * kMs));
}

TEST(StarvationWatch, LessThanHalfDroppedIsNot) {
  StarvationWatch watch;
  watch.starved(0, 0, 0);
  EXPECT_FALSE(watch.starved(kWindow, 50, 24));
  // Each window is judged on its own datagrams: 26 of the next 50.
  EXPECT_TRUE(watch.starved(2 * kWindow, 100, 50));
}

TEST(StarvationWatch, TooFewDatagramsToJudge) {
  StarvationWatch watch;
  watch.starved(0, 0, 0);
  EXPECT_FALSE(watch.starved(kWindow, 9, 9));
  EXPECT_TRUE(watch.starved(2 * kWindow, 19, 19));
}

TEST(StarvationWatch, NotAgainWithinTheMinimumInterval) {
  StarvationWatch watch;
  watch.starved(0, 0, 0);
  ASSERT_TRUE(watch.starved(1000 * kMs, 50, 50));
  EXPECT_FALSE(watch.starved(2000 * kMs, 100, 100));  // 1 s after the restart
  EXPECT_FALSE(watch.starved(2500 * kMs, 150, 150));
  EXPECT_TRUE(watch.starved(3000 * kMs, 200, 200));  // 2 s after it
}

TEST(StarvationWatch, ThresholdsAreSettings) {
  StarvationWatch watch(
      {.window_ns = 500 * kMs, .unsent_share = 0.9, .min_datagrams = 4, .min_interval_ns = 0});
  watch.starved(0, 0, 0);
  EXPECT_FALSE(watch.starved(500 * kMs, 10, 8));
  EXPECT_TRUE(watch.starved(1000 * kMs, 20, 17));
  EXPECT_TRUE(watch.starved(1500 * kMs, 30, 26));
}

TEST(StarvationWatch, ATimeGoingBackwardsStartsAWindow) {
  StarvationWatch watch;
  watch.starved(5000 * kMs, 0, 0);
  EXPECT_FALSE(watch.starved(1000 * kMs, 50, 50));
  EXPECT_TRUE(watch.starved(1000 * kMs + kWindow, 100, 100));
}

}  // namespace
}  // namespace wzp::quic
