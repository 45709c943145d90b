// KeyWait (libwzp/crypto/key_wait.hpp): what it keeps, gives back, evicts
// and expires, with explicit times. Items are plain ints so every packet
// taken in can be followed to where it came out.
#include "libwzp/crypto/key_wait.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

// Allocations made on this thread while `counting` is set.
namespace {
thread_local bool counting = false;
std::atomic<uint64_t> allocations{0};
}  // namespace

// GCC sees the replaced new and delete inlined as malloc and free and
// warns of a mismatch that is not there: the pair below is consistent.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void *operator new(std::size_t size) {
  if (counting) ++allocations;
  if (void *p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace wzp::crypto {
namespace {

constexpr uint64_t kMs = 1'000'000;

// The packets of one stream whose key has come, at `now_ns` (0: at once).
std::vector<int> release(KeyWait<int> &wait, uint32_t stream_id, uint64_t now_ns = 0) {
  std::vector<int> out, dropped;
  wait.release([&](uint32_t id) { return id == stream_id; }, now_ns, out, dropped);
  EXPECT_TRUE(now_ns != 0 || dropped.empty());
  return out;
}

TEST(KeyWait, ReleasesOneStreamInArrivalOrderAndKeepsTheOthers) {
  KeyWait<int> wait;
  std::vector<int> dropped;
  wait.hold(7, 0, 100, 1, dropped);
  wait.hold(9, 1 * kMs, 100, 2, dropped);
  wait.hold(7, 2 * kMs, 100, 3, dropped);
  wait.hold(7, 3 * kMs, 100, 4, dropped);
  EXPECT_TRUE(dropped.empty());
  EXPECT_EQ(wait.streams(), (std::vector<uint32_t>{7, 9}));
  EXPECT_EQ(release(wait, 7), (std::vector<int>{1, 3, 4}));
  EXPECT_EQ(wait.streams(), (std::vector<uint32_t>{9}));
  EXPECT_EQ(wait.packets(), 1u);
  EXPECT_EQ(wait.bytes(), 100u);
  EXPECT_TRUE(release(wait, 7).empty());
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
  EXPECT_EQ(release(wait, 8), (std::vector<int>{3}));
}

// When the key lands, what waited release_ns or longer is dropped (as
// expired), not handed on: released with the rest it would set the start
// of the member's playout that much late.
TEST(KeyWait, WhatWaitedTooLongForItsKeyIsDroppedNotReleased) {
  KeyWait<int> wait(KeyWaitLimits{.hold_ns = 1000 * kMs, .release_ns = 200 * kMs});
  std::vector<int> dropped, out;
  wait.hold(7, 0, 10, 1, dropped);
  wait.hold(7, 150 * kMs, 10, 2, dropped);  // 200 ms when the key lands: too long
  wait.hold(7, 151 * kMs, 10, 5, dropped);
  wait.hold(8, 160 * kMs, 10, 3, dropped);
  wait.hold(7, 340 * kMs, 10, 4, dropped);
  wait.release([](uint32_t id) { return id == 7; }, 350 * kMs, out, dropped);
  EXPECT_EQ(dropped, (std::vector<int>{1, 2}));
  EXPECT_EQ(out, (std::vector<int>{5, 4}));
  EXPECT_EQ(wait.counts().expired, 2u);
  EXPECT_EQ(wait.counts().released, 2u);
  // Stream 8 has no key yet: its packet stays, whatever its age.
  EXPECT_EQ(wait.packets(), 1u);
  EXPECT_EQ(release(wait, 8, 359 * kMs), (std::vector<int>{3}));
}

TEST(KeyWait, AStreamOverItsShareLosesItsOwnOldest) {
  KeyWait<int> wait(KeyWaitLimits{.packets_per_stream = 3, .packets = 100});
  std::vector<int> dropped;
  wait.hold(9, 0, 10, 90, dropped);
  for (int i = 1; i <= 5; ++i) wait.hold(7, i * kMs, 10, i, dropped);
  EXPECT_EQ(dropped, (std::vector<int>{1, 2}));
  EXPECT_EQ(wait.counts().evicted, 2u);
  EXPECT_EQ(release(wait, 7), (std::vector<int>{3, 4, 5}));
  EXPECT_EQ(release(wait, 9), (std::vector<int>{90}));  // the other stream untouched
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
      wait.release([&](uint32_t id) { return id == static_cast<uint32_t>(next % 5); }, t, released,
                   dropped);
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

TEST(KeyWait, TheRingWrapsAroundInArrivalOrder) {
  // Four slots; the oldest leaves by eviction, by release from the middle
  // and by expiry, so the ring's head goes round it several times.
  KeyWait<int> wait(KeyWaitLimits{.packets_per_stream = 4, .packets = 4, .hold_ns = 100 * kMs});
  std::vector<int> dropped;
  for (int i = 0; i < 6; ++i) wait.hold(static_cast<uint32_t>(i % 2), i * kMs, 10, i, dropped);
  EXPECT_EQ(dropped, (std::vector<int>{0, 1}));  // evicted, oldest first
  EXPECT_EQ(wait.counts().evicted, 2u);
  EXPECT_EQ(wait.streams(), (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(release(wait, 0), (std::vector<int>{2, 4}));  // gaps in the middle close
  for (int i = 6; i < 9; ++i) wait.hold(7, i * kMs, 10, i, dropped);
  EXPECT_EQ(dropped, (std::vector<int>{0, 1, 3}));  // full again: the oldest (stream 1) goes
  EXPECT_EQ(wait.streams(), (std::vector<uint32_t>{1, 7}));
  EXPECT_EQ(wait.packets(), 4u);
  EXPECT_EQ(wait.bytes(), 40u);
  wait.expire(106 * kMs, dropped);  // those of 5 and 6 ms are 100 ms old
  EXPECT_EQ(dropped, (std::vector<int>{0, 1, 3, 5, 6}));
  for (int i = 9; i < 13; ++i) wait.hold(8, 110 * kMs, 10, i, dropped);
  EXPECT_EQ(dropped, (std::vector<int>{0, 1, 3, 5, 6, 7, 8}));
  EXPECT_EQ(release(wait, 8), (std::vector<int>{9, 10, 11, 12}));
  EXPECT_TRUE(wait.empty());
  EXPECT_EQ(wait.bytes(), 0u);
  const auto &c = wait.counts();
  EXPECT_EQ(c.held, 13u);
  EXPECT_EQ(c.released + c.expired + c.evicted, c.held);
}

TEST(KeyWait, HoldingReleasingAndExpiringAllocateNothing) {
  // The ring is allocated when constructed; with the caller's output
  // vectors reserved, the streaming thread's calls allocate nothing.
  KeyWait<int> wait(KeyWaitLimits{.packets_per_stream = 3, .packets = 8, .hold_ns = 10 * kMs});
  std::vector<int> dropped, released;
  dropped.reserve(32);
  released.reserve(32);
  const uint64_t before = allocations.load();
  counting = true;
  for (int round = 0; round < 1000; ++round) {
    for (int i = 0; i < 10; ++i) {
      wait.hold(static_cast<uint32_t>(i % 3), static_cast<uint64_t>(round) * kMs, 10, i, dropped);
    }
    wait.release([&](uint32_t id) { return id == static_cast<uint32_t>(round % 3); },
                 static_cast<uint64_t>(round) * kMs, released, dropped);
    // Every seventh round, a time the whole ring is too old for.
    wait.expire(static_cast<uint64_t>(round + (round % 7 == 0 ? 20 : 0)) * kMs, dropped);
    dropped.clear();
    released.clear();
  }
  counting = false;
  EXPECT_EQ(allocations.load(), before);
  EXPECT_GT(wait.counts().released, 0u);
  EXPECT_GT(wait.counts().evicted, 0u);
  EXPECT_GT(wait.counts().expired, 0u);
}

}  // namespace
}  // namespace wzp::crypto
