// Which packets carry a quality report and which received copies count
// (libwzp/quality/report_cadence.hpp).
#include "libwzp/quality/report_cadence.hpp"

#include <gtest/gtest.h>

namespace wzp::quality {
namespace {

constexpr uint32_t kRate = 48000;
constexpr uint32_t kFrame = 960;  // 20 ms

TEST(ReportSchedule, ABurstOfCopiesRightAwayThenOneBurstPerSecondOfMedia) {
  ReportSchedule schedule;
  EXPECT_EQ(schedule.for_packet(0, kRate), nullptr) << "no report set";
  const auto report = wire::QualityReport::from(0.25, 300, 20, 0);
  schedule.set(report);
  int carried = 0;
  uint32_t t = 0;
  for (; t < kRate; t += kFrame) {
    const wire::QualityReport *on_packet = schedule.for_packet(t, kRate);
    if (on_packet == nullptr) continue;
    EXPECT_EQ(*on_packet, report);
    EXPECT_LT(t, kReportRepeat * kFrame) << "the burst is the first packets after set()";
    ++carried;
  }
  EXPECT_EQ(carried, kReportRepeat);
  for (int i = 0; i < kReportRepeat; ++i, t += kFrame) {
    EXPECT_NE(schedule.for_packet(t, kRate), nullptr) << "a second of media later, copy " << i;
  }
  EXPECT_EQ(schedule.for_packet(t, kRate), nullptr);
  schedule.set(std::nullopt);
  EXPECT_EQ(schedule.for_packet(t + 10 * kRate, kRate), nullptr);
}

TEST(ReportSchedule, AMediaClockThatStepsFarBackStartsAFreshBurst) {
  ReportSchedule schedule;
  schedule.set(wire::QualityReport::from(0.1, 100, 10, 0));
  const uint32_t t = 100 * kRate;
  for (int i = 0; i < kReportRepeat; ++i)
    ASSERT_NE(schedule.for_packet(t + i * kFrame, kRate), nullptr);
  EXPECT_EQ(schedule.for_packet(t + kReportRepeat * kFrame, kRate), nullptr);
  EXPECT_NE(schedule.for_packet(0, kRate), nullptr) << "the sender restarted its clock";
}

TEST(ReportLimiter, ABurstCountsOnceAndTheNextSecondsBurstCountsAgain) {
  ReportLimiter limiter;
  int taken = 0;
  for (uint32_t second = 1; second <= 3; ++second) {
    for (int copy = 0; copy < kReportRepeat; ++copy) {
      taken += limiter.should_take(7, second * kRate + copy * kFrame, kRate) ? 1 : 0;
    }
  }
  EXPECT_EQ(taken, 3);
}

TEST(ReportLimiter, ABurstWhoseFirstCopiesWereLostStillCounts) {
  ReportLimiter limiter;
  ASSERT_TRUE(limiter.should_take(7, kRate, kRate));
  // The next burst's first four copies lost: its last one, 1080 ms of media on.
  EXPECT_TRUE(limiter.should_take(7, 2 * kRate + 4 * kFrame, kRate));
}

TEST(ReportLimiter, StreamsAreCountedApartAndARestartedClockCounts) {
  ReportLimiter limiter;
  EXPECT_TRUE(limiter.should_take(1, 50 * kRate, kRate));
  EXPECT_TRUE(limiter.should_take(2, 50 * kRate, kRate));
  EXPECT_FALSE(limiter.should_take(1, 50 * kRate + kFrame, kRate));
  EXPECT_TRUE(limiter.should_take(1, 0, kRate)) << "50 s back: the sender started over";
  // More streams than it tracks: the least recently counted gives way, and
  // a stream it forgot counts again.
  for (uint32_t stream = 10; stream < 20; ++stream) {
    EXPECT_TRUE(limiter.should_take(stream, 50 * kRate, kRate));
  }
  EXPECT_TRUE(limiter.should_take(2, 50 * kRate + kFrame, kRate));
}

}  // namespace
}  // namespace wzp::quality
