#include "libwzp/stream/stream_sender.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace wzp::stream {
namespace {

constexpr uint64_t kMs = 1'000'000;

StreamSenderConfig config(size_t capacity, uint64_t max_age_ms, size_t max_unsent) {
  StreamSenderConfig c;
  c.capacity = capacity;
  c.max_datagram_size = 100;
  c.max_age_ns = max_age_ms * kMs;
  c.max_unsent_bytes = max_unsent;
  return c;
}

std::vector<uint8_t> packet(uint8_t tag) { return std::vector<uint8_t>(40, tag); }

TEST(StreamSender, WritesInOrderWhileTheKernelHasRoom) {
  StreamSender sender(config(8, 400, 1000));
  for (uint8_t i = 0; i < 3; ++i) ASSERT_TRUE(sender.push(packet(i), 0));
  for (uint8_t i = 0; i < 3; ++i) {
    auto next = sender.next(1 * kMs, 0);
    ASSERT_EQ(next.size(), 40u);
    EXPECT_EQ(next[0], i);
    sender.taken();
  }
  EXPECT_TRUE(sender.next(1 * kMs, 0).empty());
  EXPECT_EQ(sender.written(), 3u);
}

// A lost segment holds the kernel's bytes unacknowledged: nothing more is
// written behind it, the media waits in our queue instead.
TEST(StreamSender, HoldsBackWhileTheKernelHoldsTooMuch) {
  StreamSender sender(config(8, 400, 1000));
  ASSERT_TRUE(sender.push(packet(1), 0));
  EXPECT_TRUE(sender.next(10 * kMs, 1000).empty());
  EXPECT_EQ(sender.size(), 1u);
  auto next = sender.next(20 * kMs, 999);
  ASSERT_EQ(next.size(), 40u);
  EXPECT_EQ(next[0], 1);
}

// What waited past its deadline behind the stall is dropped unwritten; what
// is still fresh goes once the kernel drains.
TEST(StreamSender, DropsWhatWaitedPastItsDeadlineBeforeWritingIt) {
  StreamSender sender(config(8, 100, 1000));
  ASSERT_TRUE(sender.push(packet(1), 0));
  ASSERT_TRUE(sender.push(packet(2), 50 * kMs));
  ASSERT_TRUE(sender.push(packet(3), 120 * kMs));
  EXPECT_TRUE(sender.next(130 * kMs, 5000).empty());  // stalled
  auto next = sender.next(160 * kMs, 0);              // drained: 1 and 2 are stale
  ASSERT_EQ(next.size(), 40u);
  EXPECT_EQ(next[0], 3);
  EXPECT_EQ(sender.counters().dropped_stale, 2u);
}

// A long stall fills the queue: the oldest make room for the newest.
TEST(StreamSender, PrefersTheNewestWhenTheQueueIsFull) {
  StreamSender sender(config(3, 10'000, 1000));
  for (uint8_t i = 0; i < 6; ++i) ASSERT_TRUE(sender.push(packet(i), i * kMs));
  EXPECT_EQ(sender.counters().dropped_full, 3u);
  for (uint8_t expected = 3; expected < 6; ++expected) {
    auto next = sender.next(10 * kMs, 0);
    ASSERT_EQ(next.size(), 40u);
    EXPECT_EQ(next[0], expected);
    sender.taken();
  }
}

TEST(StreamSender, RefusesAndCountsAnOversizedDatagram) {
  StreamSender sender(config(3, 100, 1000));
  EXPECT_FALSE(sender.push(std::vector<uint8_t>(101, 0), 0));
  EXPECT_EQ(sender.counters().dropped_oversized, 1u);
  EXPECT_TRUE(sender.empty());
}

}  // namespace
}  // namespace wzp::stream
