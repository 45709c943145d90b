// Echoes of sent packets on a fixed schedule: decided from explicit times,
// without a clock or a socket.
#include "libwzp/quic/echo_schedule.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/quic/units.hpp"

namespace wzp::quic {
namespace {

using Packet = std::vector<uint8_t>;

// What send_due sent at `now`.
std::vector<Packet> due(EchoSchedule &schedule, uint64_t now, bool allowed = true) {
  std::vector<Packet> sent;
  schedule.send_due(now, [&](std::span<const uint8_t> packet) {
    if (allowed) sent.emplace_back(packet.begin(), packet.end());
    return allowed;
  });
  return sent;
}

TEST(EchoSchedule, EachCopyGoesOutOneIntervalAfterTheLast) {
  EchoSchedule schedule;
  schedule.add(Packet{1, 2, 3}, 1000 * kMs, 3, 100 * kMs);
  EXPECT_EQ(schedule.next_due_ns(), 1100 * kMs);
  EXPECT_TRUE(due(schedule, 1099 * kMs).empty());
  EXPECT_EQ(due(schedule, 1100 * kMs), std::vector<Packet>{Packet({1, 2, 3})});
  EXPECT_EQ(schedule.next_due_ns(), 1200 * kMs);
  // A late wake-up sends one copy, not the ones it missed, and the next
  // copy is an interval after it: copies never bunch into one burst.
  EXPECT_EQ(due(schedule, 1350 * kMs).size(), 1u);
  EXPECT_EQ(schedule.next_due_ns(), 1450 * kMs);
  EXPECT_EQ(due(schedule, 1450 * kMs).size(), 1u);
  EXPECT_EQ(schedule.size(), 0u);
  EXPECT_EQ(schedule.next_due_ns(), UINT64_MAX);
  EXPECT_TRUE(due(schedule, 5000 * kMs).empty());
}

TEST(EchoSchedule, PacketsKeepTheirOwnIntervalsAndOrder) {
  EchoSchedule schedule;
  schedule.add(Packet{1}, 0, 1, 100 * kMs);
  schedule.add(Packet{2}, 20 * kMs, 2, 50 * kMs);  // due at 70 and 120
  EXPECT_EQ(schedule.next_due_ns(), 70 * kMs);
  EXPECT_EQ(due(schedule, 70 * kMs), std::vector<Packet>{Packet{2}});
  EXPECT_EQ(due(schedule, 120 * kMs), (std::vector<Packet>{Packet{1}, Packet{2}}));
  EXPECT_EQ(schedule.size(), 0u);
}

TEST(EchoSchedule, NoCopiesMeansNothingKept) {
  EchoSchedule schedule;
  schedule.add(Packet{1}, 0, 0, 100 * kMs);
  EXPECT_EQ(schedule.size(), 0u);
  EXPECT_EQ(schedule.next_due_ns(), UINT64_MAX);
}

TEST(EchoSchedule, ARefusedCopyEndsThatPacketsEchoes) {
  EchoSchedule schedule;
  schedule.add(Packet{1}, 0, 4, 100 * kMs);
  EXPECT_TRUE(due(schedule, 100 * kMs, /*allowed=*/false).empty());
  EXPECT_EQ(schedule.size(), 0u);
}

TEST(EchoSchedule, AtMostMaxPacketsAreEchoedAtOnce) {
  EchoSchedule schedule(2);
  schedule.add(Packet{1}, 0, 1, 100 * kMs);
  schedule.add(Packet{2}, 0, 1, 100 * kMs);
  schedule.add(Packet{3}, 0, 1, 100 * kMs);  // a bulk transfer's third packet: not copied
  EXPECT_EQ(schedule.size(), 2u);
  EXPECT_EQ(due(schedule, 100 * kMs), (std::vector<Packet>{Packet{1}, Packet{2}}));
  schedule.add(Packet{4}, 100 * kMs, 1, 100 * kMs);  // room again once those are done
  EXPECT_EQ(due(schedule, 200 * kMs), std::vector<Packet>{Packet{4}});
}

TEST(EchoSchedule, CopiesStopOnceThePeerHasThePacketsBytes) {
  EchoSchedule schedule(4);
  // Signaling packets tagged with the stream offset their bytes end at.
  schedule.add(Packet{1}, 0, 8, 100 * kMs, 300);
  schedule.add(Packet{2}, 10 * kMs, 8, 100 * kMs, 700);
  schedule.add(Packet{3}, 20 * kMs, 8, 100 * kMs);  // no tag: only its copies end it
  EXPECT_EQ(due(schedule, 100 * kMs), std::vector<Packet>{Packet{1}});
  // An acknowledgement short of packet 2's end leaves it copied; packet 1 is done.
  schedule.acknowledged(500);
  EXPECT_EQ(due(schedule, 200 * kMs), (std::vector<Packet>{Packet{2}, Packet{3}}));
  // Its slot is free for the next message at once, not 8 intervals on.
  schedule.add(Packet{4}, 200 * kMs, 8, 100 * kMs, 900);
  schedule.add(Packet{5}, 200 * kMs, 8, 100 * kMs, 1000);
  EXPECT_EQ(schedule.size(), 4u);
  schedule.acknowledged(1000);
  EXPECT_EQ(schedule.size(), 1u);
  EXPECT_EQ(due(schedule, 300 * kMs), std::vector<Packet>{Packet{3}});
}

TEST(EchoSchedule, ClearDropsEverything) {
  EchoSchedule schedule;
  schedule.add(Packet{1}, 0, 4, 100 * kMs);
  schedule.add(Packet{2}, 0, 4, 100 * kMs);
  schedule.clear();
  EXPECT_TRUE(due(schedule, 100 * kMs).empty());
  EXPECT_EQ(schedule.next_due_ns(), UINT64_MAX);
}

}  // namespace
}  // namespace wzp::quic
