#include "libwzp/quic/datagram_queue.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/quic/units.hpp"

namespace wzp::quic {
namespace {

TEST(DatagramQueue, KeepsOrderAndDropsOldestWhenFull) {
  DatagramQueue queue(3, 100, 1000 * kMs);
  for (uint8_t i = 0; i < 5; ++i) {
    std::vector<uint8_t> datagram(10, i);
    ASSERT_TRUE(queue.push(datagram, 0));
  }
  EXPECT_EQ(queue.counters().dropped_full, 2u);
  for (uint8_t expected = 2; expected < 5; ++expected) {
    auto front = queue.front(0);
    ASSERT_EQ(front.size(), 10u);
    EXPECT_EQ(front[0], expected);
    queue.pop();
  }
  EXPECT_TRUE(queue.front(0).empty());
}

TEST(DatagramQueue, PushFrontGoesAheadOfTheQueued) {
  DatagramQueue queue(3, 100, 50 * kMs);
  for (uint8_t i = 0; i < 3; ++i) queue.push(std::vector<uint8_t>(10, i), 0);
  // Full: the oldest makes room, and the request leaves first.
  ASSERT_TRUE(queue.push_front(std::vector<uint8_t>(7, 9), 30 * kMs));
  EXPECT_EQ(queue.counters().dropped_full, 1u);
  auto front = queue.front(30 * kMs);
  ASSERT_EQ(front.size(), 7u);
  EXPECT_EQ(front[0], 9);
  queue.pop();
  EXPECT_EQ(queue.front(30 * kMs)[0], 1);
  // The media behind it still goes stale by its own age.
  EXPECT_TRUE(queue.front(60 * kMs).empty());
  EXPECT_EQ(queue.counters().dropped_stale, 2u);
}

TEST(DatagramQueue, DropsStaleEntriesByDeadline) {
  DatagramQueue queue(8, 100, 50 * kMs);
  std::vector<uint8_t> datagram(20, 7);
  queue.push(datagram, 0);
  queue.push(datagram, 40 * kMs);
  auto front = queue.front(60 * kMs);  // the first is 60 ms old, the second 20 ms
  EXPECT_EQ(front.size(), 20u);
  EXPECT_EQ(queue.counters().dropped_stale, 1u);
  EXPECT_EQ(queue.size(), 1u);
}

TEST(DatagramQueue, RefusesDatagramsLargerThanASlot) {
  DatagramQueue queue(4, 100, 1000 * kMs);
  std::vector<uint8_t> big(101, 1);
  EXPECT_FALSE(queue.push(big, 0));
  EXPECT_EQ(queue.counters().dropped_oversized, 1u);
  EXPECT_TRUE(queue.empty());
}

}  // namespace
}  // namespace wzp::quic
