// The transport's loss over recent time, from its running totals.
#include "libwzp/quality/loss_window.hpp"

#include <gtest/gtest.h>

namespace wzp::quality {
namespace {

TEST(LossWindow, ReportsTheShareLostSinceTheLastFigure) {
  LossWindow window(20);
  EXPECT_DOUBLE_EQ(*window.update(30, 70), 0.7);
  // The path cleared: the next figure is the new loss, not the lifetime's.
  EXPECT_DOUBLE_EQ(*window.update(130, 70), 0.0);
}

TEST(LossWindow, WaitsForEnoughSettledDatagrams) {
  LossWindow window(20);
  EXPECT_FALSE(window.update(5, 5));
  // The ten so far count towards the next figure.
  EXPECT_DOUBLE_EQ(*window.update(10, 10), 0.5);
  EXPECT_FALSE(window.update(10, 10));
}

TEST(LossWindow, StartsOverWhenTheTotalsGoBack) {
  LossWindow window(4);
  EXPECT_DOUBLE_EQ(*window.update(100, 100), 0.5);
  EXPECT_DOUBLE_EQ(*window.update(3, 1), 0.25);
}

}  // namespace
}  // namespace wzp::quality
