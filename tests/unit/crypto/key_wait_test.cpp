// KeyWait (libwzp/crypto/key_wait.hpp): what it keeps, gives back, evicts
// and expires, with explicit times. Items are plain ints so every packet
// taken in can be followed to where it came out.
#include "libwzp/crypto/key_wait.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace wzp::crypto {
namespace {

constexpr uint64_t kMs = 1'000'000;

TEST(KeyWait, ReleasesOneStreamInArrivalOrderAndKeepsTheOthers) {
  KeyWait<int> wait;
  std::vector<int> dropped;
  wait.hold(7, 0, 100, 1, dropped);
  wait.hold(9, 1 * kMs, 100, 2, dropped);
  wait.hold(7, 2 * kMs, 100, 3, dropped);
  wait.hold(7, 3 * kMs, 100, 4, dropped);
  EXPECT_TRUE(dropped.empty());
  EXPECT_EQ(wait.streams(), (std::vector<uint32_t>{7, 9}));
  EXPECT_EQ(wait.release(7), (std::vector<int>{1, 3, 4}));
  EXPECT_EQ(wait.streams(), (std::vector<uint32_t>{9}));
  EXPECT_EQ(wait.packets(), 1u);
  EXPECT_EQ(wait.bytes(), 100u);
  EXPECT_TRUE(wait.release(7).empty());
  EXPECT_EQ(wait.counts().held, 4u);
  EXPECT_EQ(wait.counts().released, 3u);
}

TEST(KeyWait, ExpiresOnlyWhatIsOlderThanTheHoldTime) {
  KeyWait<int> wait(KeyWaitLimits{.hold_ns = 1000 * kMs});
  std::vector<int> dropped;
  wait.hold(7, 0, 10, 1, dropped);
  wait.hold(7, 500 * kMs, 10, 2, dropped);
  wait.hold(8, 900 * kMs, 10, 3, dropped);
  wait.expire(999 * kMs, dropped);
  EXPECT_TRUE(dropped.empty());
  wait.expire(1000 * kMs, dropped);
  EXPECT_EQ(dropped, (std::vector<int>{1}));
  wait.expire(1500 * kMs, dropped);
  EXPECT_EQ(dropped, (std::vector<int>{1, 2}));
  EXPECT_EQ(wait.counts().expired, 2u);
  // A time that steps back (packet timestamps) expires nothing.
  wait.expire(100 * kMs, dropped);
  EXPECT_EQ(wait.packets(), 1u);
  EXPECT_EQ(wait.release(8), (std::vector<int>{3}));
}

TEST(KeyWait, AStreamOverItsShareLosesItsOwnOldest) {
  KeyWait<int> wait(KeyWaitLimits{.packets_per_stream = 3, .packets = 100});
  std::vector<int> dropped;
  wait.hold(9, 0, 10, 90, dropped);
  for (int i = 1; i <= 5; ++i) wait.hold(7, i * kMs, 10, i, dropped);
  EXPECT_EQ(dropped, (std::vector<int>{1, 2}));
  EXPECT_EQ(wait.counts().evicted, 2u);
  EXPECT_EQ(wait.release(7), (std::vector<int>{3, 4, 5}));
  EXPECT_EQ(wait.release(9), (std::vector<int>{90}));  // the other stream untouched
}

TEST(KeyWait, AFloodOfForgedStreamsIsBoundedInCountAndBytes) {
  KeyWaitLimits limits{.packets_per_stream = 100, .packets = 50, .bytes = 20'000};
  KeyWait<int> wait(limits);
  std::vector<int> dropped;
  for (int i = 0; i < 10'000; ++i) {
    wait.hold(static_cast<uint32_t>(i), static_cast<uint64_t>(i), 300, i, dropped);
    ASSERT_LE(wait.packets(), limits.packets);
    ASSERT_LE(wait.bytes(), limits.bytes);
  }
  // 20'000 / 300: 66 fit by bytes, 50 by count; the oldest went first.
  EXPECT_EQ(wait.packets(), 50u);
  EXPECT_EQ(wait.counts().evicted, 10'000u - 50u);
  EXPECT_EQ(dropped.size(), 10'000u - 50u);
  for (size_t i = 0; i < dropped.size(); ++i) ASSERT_EQ(dropped[i], static_cast<int>(i));
  // By bytes: large packets push out more than one each.
  KeyWait<int> bytes_bound(KeyWaitLimits{.packets = 1000, .bytes = 1000});
  std::vector<int> out;
  for (int i = 0; i < 10; ++i) bytes_bound.hold(1, 0, 100, i, out);
  bytes_bound.hold(2, 0, 450, 10, out);
  EXPECT_EQ(out, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(bytes_bound.bytes(), 950u);
  // One packet larger than every limit is refused, not held.
  bytes_bound.hold(3, 0, 1001, 11, out);
  EXPECT_EQ(out.back(), 11);
  EXPECT_EQ(bytes_bound.counts().refused, 1u);
  EXPECT_EQ(bytes_bound.bytes(), 950u);
}

TEST(KeyWait, EveryItemComesBackExactlyOnce) {
  KeyWait<int> wait(
      KeyWaitLimits{.packets_per_stream = 4, .packets = 10, .bytes = 5000, .hold_ns = 50 * kMs});
  std::vector<int> dropped, released;
  int next = 0;
  for (uint64_t t = 0; t < 1000 * kMs; t += 3 * kMs) {
    wait.hold(static_cast<uint32_t>(next % 5), t, static_cast<size_t>(100 + next % 700), next,
              dropped);
    ++next;
    wait.expire(t, dropped);
    if (next % 17 == 0) {
      auto out = wait.release(static_cast<uint32_t>(next % 5));
      released.insert(released.end(), out.begin(), out.end());
    }
  }
  wait.clear(dropped);
  std::vector<int> all = dropped;
  all.insert(all.end(), released.begin(), released.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(next));
  for (int i = 0; i < next; ++i) ASSERT_EQ(all[i], i);
  const auto &c = wait.counts();
  EXPECT_EQ(c.held, static_cast<uint64_t>(next));
  EXPECT_EQ(c.released + c.expired + c.evicted, c.held);
  EXPECT_GT(c.released, 0u);
  EXPECT_GT(c.expired, 0u);
  EXPECT_GT(c.evicted, 0u);
  EXPECT_TRUE(wait.empty());
  EXPECT_EQ(wait.bytes(), 0u);
}

}  // namespace
}  // namespace wzp::crypto
