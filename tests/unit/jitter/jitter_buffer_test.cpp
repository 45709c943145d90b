#include "libwzp/jitter/jitter_buffer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "tests/unit/jitter/units.hpp"

namespace wzp::jitter {
namespace {

using Kind = Action::Kind;

// Drives a buffer in simulated time, as the element does, and remembers
// which cookies came back.
struct Harness {
  explicit Harness(JitterConfig config = {})
      : buffer(config, [this](uint64_t cookie) { released.push_back(cookie); }) {}

  // Runs the buffer up to the arrival, then inserts.
  InsertResult push(uint32_t sequence, uint32_t timestamp, int64_t arrival_ns) {
    drain(arrival_ns);
    return buffer.insert(Frame{sequence, timestamp, kTicks, sequence}, arrival_ns);
  }
  // Everything due up to `until`, each at its own time.
  std::vector<Action> drain(int64_t until) {
    std::vector<Action> out;
    for (;;) {
      Action a = buffer.next(now);
      if (a.kind != Kind::kWait) {
        out.push_back(a);
      } else if (a.time_ns <= until) {
        now = std::max(now, a.time_ns);
      } else {
        break;
      }
    }
    now = std::max(now, until);
    return out;
  }

  int64_t now = 0;
  // Declared first: the buffer releases into it when destroyed.
  std::vector<uint64_t> released;
  JitterBuffer buffer;
};

TEST(JitterBuffer, PlaysTheFirstFrameAfterTheStartDelay) {
  Harness h;
  EXPECT_EQ(h.push(7, 1000, 5 * kMs), InsertResult::kStored);
  Action wait = h.buffer.next(5 * kMs);
  ASSERT_EQ(wait.kind, Kind::kWait);
  EXPECT_EQ(wait.time_ns, 85 * kMs);
  EXPECT_EQ(h.buffer.latency_ns(), 80 * kMs);
  Action play = h.buffer.next(85 * kMs);
  ASSERT_EQ(play.kind, Kind::kPlay);
  EXPECT_EQ(play.cookie, 7u);
  EXPECT_EQ(play.duration_ns, 20 * kMs);
  EXPECT_TRUE(play.discont);
}

TEST(JitterBuffer, ReordersWithinTheDelay) {
  Harness h;
  h.push(1, 0, 0);
  h.push(3, 2 * kTicks, 40 * kMs);
  h.push(2, kTicks, 45 * kMs);
  auto actions = h.drain(120 * kMs);
  ASSERT_EQ(actions.size(), 3u);
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(actions[i].kind, Kind::kPlay);
    EXPECT_EQ(actions[i].cookie, i + 1);
    EXPECT_EQ(actions[i].time_ns, 80 * kMs + i * 20 * kMs);
  }
  EXPECT_EQ(h.buffer.stats().reordered, 1u);
}

TEST(JitterBuffer, ConcealsAMissingFrameAtItsTimeAndCountsItsLateArrival) {
  // At its delay limit the buffer cannot wait for the missing frame.
  Harness h(JitterConfig{.max_latency_ns = 80 * kMs});
  h.push(1, 0, 0);
  h.push(3, 2 * kTicks, 40 * kMs);
  auto actions = h.drain(120 * kMs);
  ASSERT_EQ(actions.size(), 3u);
  EXPECT_EQ(actions[1].kind, Kind::kConceal);
  EXPECT_EQ(actions[1].conceal, Action::Conceal::kLost);
  EXPECT_EQ(actions[1].time_ns, 100 * kMs);
  EXPECT_EQ(actions[1].duration_ns, 20 * kMs);
  EXPECT_EQ(actions[1].sequence, 2u);
  EXPECT_EQ(actions[2].cookie, 3u);
  EXPECT_EQ(h.push(2, kTicks, 115 * kMs), InsertResult::kLate);
  auto stats = h.buffer.stats();
  EXPECT_EQ(stats.concealed, 1u);
  EXPECT_EQ(stats.late, 1u);
  EXPECT_EQ(stats.played, 2u);
}

TEST(JitterBuffer, WaitsForAMissingFrameThatLaterFramesOvertook) {
  // Below its limit the buffer waits for frame 2 (as for a frame FEC is
  // still recovering) instead of declaring it lost when frame 3 is here.
  Harness h;
  h.push(1, 0, 0);
  h.push(3, 2 * kTicks, 40 * kMs);
  auto actions = h.drain(115 * kMs);
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[1].kind, Kind::kConceal);
  EXPECT_EQ(actions[1].conceal, Action::Conceal::kExpand);
  EXPECT_EQ(actions[1].time_ns, 100 * kMs);
  EXPECT_EQ(h.push(2, kTicks, 115 * kMs), InsertResult::kStored);
  actions = h.drain(140 * kMs);
  ASSERT_EQ(actions.size(), 2u);
  EXPECT_EQ(actions[0].cookie, 2u);
  EXPECT_EQ(actions[0].time_ns, 120 * kMs);
  EXPECT_EQ(actions[1].cookie, 3u);
  auto stats = h.buffer.stats();
  EXPECT_EQ(stats.played, 3u);
  EXPECT_EQ(stats.late, 0u);
  EXPECT_EQ(stats.concealed, 0u);
  EXPECT_EQ(stats.expanded, 1u);
}

// DTX: the sender stops for 400 ms, the next frame (next sequence number)
// comes 60 ms later than the others. Output leaves at time - latency_ns(),
// which changes at the re-anchor: the output timeline must still be
// seamless from the last concealment into the talkspurt.
TEST(JitterBuffer, ATalkspurtAfterSilenceContinuesTheOutputTimeline) {
  Harness h;
  for (uint32_t i = 0; i < 10; ++i) h.push(i, i * kTicks, i * 20 * kMs + 10 * kMs);
  const uint32_t resume_slot = 30;
  const int64_t arrival = resume_slot * 20 * kMs + 70 * kMs;
  int64_t output_end = -1;
  auto record = [&](const Action &a) {
    int64_t start = a.time_ns - h.buffer.latency_ns();
    if (output_end >= 0) {
      EXPECT_EQ(start, output_end) << a.sequence;
    }
    output_end = start + a.duration_ns;
  };
  for (;;) {
    Action a = h.buffer.next(h.now);
    if (a.kind != Kind::kWait) {
      record(a);
    } else if (a.time_ns < arrival) {
      h.now = a.time_ns;
    } else {
      break;
    }
  }
  h.now = arrival;
  h.buffer.insert(Frame{10, resume_slot * kTicks, kTicks, 10}, arrival);
  bool filled = false;
  for (;;) {
    Action a = h.buffer.next(h.now);
    if (a.kind == Kind::kPlay) {
      // The speech frames had no gaps between them; this one follows the fill.
      EXPECT_EQ(a.time_ns - h.buffer.latency_ns(), output_end);
      EXPECT_EQ(a.sequence, 10u);
      break;
    }
    if (a.kind == Kind::kConceal) {
      filled |= a.conceal == Action::Conceal::kSilence;
      output_end = a.time_ns - h.buffer.latency_ns() + a.duration_ns;
    } else {
      ASSERT_NE(a.time_ns, JitterBuffer::kNever);
      h.now = a.time_ns;
    }
  }
  EXPECT_TRUE(filled);
}

TEST(JitterBuffer, CountsDuplicatesHeldAndPlayed) {
  Harness h;
  h.push(1, 0, 0);
  EXPECT_EQ(h.push(1, 0, 1 * kMs), InsertResult::kDuplicate);
  h.drain(80 * kMs);
  EXPECT_EQ(h.push(1, 0, 90 * kMs), InsertResult::kDuplicate);
  EXPECT_EQ(h.buffer.stats().duplicates, 2u);
  EXPECT_EQ(h.buffer.stats().played, 1u);
}

TEST(JitterBuffer, SequenceAndTimestampWrap) {
  Harness h;
  uint32_t sequence = 0xfffffff0u;
  uint32_t timestamp = 0xffffffffu - 5 * kTicks;
  std::vector<uint64_t> played;
  for (int i = 0; i < 40; ++i) {
    for (auto &a : h.drain(i * 20 * kMs)) {
      if (a.kind == Kind::kPlay) played.push_back(a.cookie);
    }
    h.push(sequence + i, timestamp + i * kTicks, i * 20 * kMs);
  }
  for (auto &a : h.drain(2000 * kMs)) {
    if (a.kind == Kind::kPlay) played.push_back(a.cookie);
  }
  ASSERT_EQ(played.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(played[i], static_cast<uint32_t>(sequence + i));
  EXPECT_EQ(h.buffer.stats().concealed, 0u);
}

TEST(JitterBuffer, ExpandsWhenDryAsFarAsTheTargetAllows) {
  JitterConfig config;
  config.min_latency_ns = 100 * kMs;  // target 100 ms: expansion up to 120 ms
  Harness h(config);
  // Past the stream's first seconds, where a missing frame is waited for
  // longer (AtTheStartAMissingFrameIsWaitedForBeyondTheTarget).
  constexpr uint32_t f = 110;  // frame 110 is due at 2300 ms
  constexpr int64_t t = 2200 * kMs;
  for (uint32_t i = 0; i < f; ++i) h.push(i, i * kTicks, i * 20 * kMs);
  h.drain(t + 90 * kMs);
  // Frame 110 (due at 2300 ms) is 10 ms late: the buffer runs dry and
  // waits one frame, concealing, then plays it.
  auto expand = h.drain(t + 100 * kMs);
  ASSERT_EQ(expand.size(), 1u);
  EXPECT_EQ(expand[0].kind, Kind::kConceal);
  EXPECT_EQ(expand[0].conceal, Action::Conceal::kExpand);
  EXPECT_EQ(expand[0].time_ns, t + 100 * kMs);
  h.push(f, f * kTicks, t + 110 * kMs);
  auto play = h.drain(t + 120 * kMs);
  ASSERT_EQ(play.size(), 1u);
  EXPECT_EQ(play[0].kind, Kind::kPlay);
  EXPECT_EQ(play[0].cookie, f);
  EXPECT_EQ(play[0].time_ns, t + 120 * kMs);
  EXPECT_EQ(h.buffer.stats().expanded, 1u);
  EXPECT_EQ(h.buffer.stats().current_delay_ns, 120 * kMs);

  // Frame 111 stalls far beyond the target (which frame 110 raised to 120
  // ms): after at most one more expansion, time moves on without it.
  auto stalled = h.drain(t + 200 * kMs);
  int expansions = 0, lost = 0;
  for (auto &a : stalled) {
    EXPECT_EQ(a.kind, Kind::kConceal);
    (a.conceal == Action::Conceal::kExpand ? expansions : lost)++;
  }
  EXPECT_LE(expansions, 1);
  EXPECT_GE(lost, 2);
  EXPECT_EQ(h.push(f + 1, (f + 1) * kTicks, t + 300 * kMs), InsertResult::kStored);
  h.drain(t + 320 * kMs);
  auto stats = h.buffer.stats();
  EXPECT_EQ(stats.late, 1u);
  EXPECT_EQ(stats.played, f + 1);
}

// A start delay far above what a steady path needs, in continuous speech.
JitterConfig overlong_start(bool compress) {
  JitterConfig config;
  config.latency_ns = 300 * kMs;
  config.compress_to_shrink = compress;
  return config;
}

TEST(JitterBuffer, ACompressedFrameMovesTheTimelineByWhatWasRemoved) {
  Harness h(overlong_start(true));
  Action first;
  for (uint32_t i = 0; i < 100 && first.compress_ns == 0; ++i) {
    const int64_t t = i * 20 * kMs + 10 * kMs;
    h.buffer.insert(Frame{i, i * kTicks, kTicks, i}, t);
    for (Action a = h.buffer.next(t); a.kind != Kind::kWait; a = h.buffer.next(t)) {
      ASSERT_EQ(a.kind, Kind::kPlay);
      if (a.compress_ns > 0) {
        first = a;
        break;
      }
    }
  }
  // It asks soon (the excess held for 200 ms), for at most half a frame.
  ASSERT_GT(first.compress_ns, 0);
  EXPECT_LE(first.time_ns, 700 * kMs);
  EXPECT_EQ(first.compress_ns, 10 * kMs);
  h.buffer.compressed(4 * kMs);
  Action next = h.buffer.next(first.time_ns + 20 * kMs);
  ASSERT_EQ(next.kind, Kind::kPlay);
  EXPECT_EQ(next.time_ns, first.time_ns + 16 * kMs);
  // More than was asked for counts as what was asked for.
  h.buffer.compressed(50 * kMs);
  Action after = h.buffer.next(next.time_ns + 20 * kMs);
  ASSERT_EQ(after.kind, Kind::kPlay);
  EXPECT_EQ(after.time_ns, next.time_ns + 10 * kMs);
  auto stats = h.buffer.stats();
  EXPECT_EQ(stats.compressed, 2u);
  EXPECT_EQ(stats.compressed_ns, 14 * kMs);
  EXPECT_EQ(stats.shrunk, 0u);
}

TEST(JitterBuffer, WithoutCompressionNoFrameIsAskedToPlayShorter) {
  Harness h(overlong_start(false));
  for (uint32_t i = 0; i < 200; ++i) {
    h.push(i, i * kTicks, i * 20 * kMs);
    for (auto &a : h.drain(i * 20 * kMs)) EXPECT_EQ(a.compress_ns, 0);
  }
  EXPECT_GT(h.buffer.stats().shrunk, 0u);
  EXPECT_EQ(h.buffer.stats().compressed, 0u);
}

TEST(JitterBuffer, DropsOnlyWhenCompressionHasNotHelpedForLong) {
  // The decoder is asked but removes nothing (loud noise-like audio).
  Harness h(overlong_start(true));
  uint64_t shrunk_at_4s = 0;
  for (uint32_t i = 0; i < 400; ++i) {
    h.push(i, i * kTicks, i * 20 * kMs);
    h.drain(i * 20 * kMs);
    if (i == 200) shrunk_at_4s = h.buffer.stats().shrunk;
  }
  EXPECT_EQ(shrunk_at_4s, 0u);
  EXPECT_GT(h.buffer.stats().shrunk, 0u);
  EXPECT_EQ(h.buffer.stats().compressed, 0u);
}

// A lossy call's first frames: FEC rebuilds frames 3-5 300 ms late, before
// the estimator has seen any such delay. In the stream's first seconds the
// buffer waits for them (expanding) instead of playing on without them; the
// same stall later, once the path is known to be steady, is given up.
TEST(JitterBuffer, AtTheStartAMissingFrameIsWaitedForBeyondTheTarget) {
  Harness h;
  for (uint32_t i = 0; i < 10; ++i) {
    if (i < 3 || i > 5) h.push(i, i * kTicks, i * 20 * kMs);
  }
  for (uint32_t i = 3; i <= 5; ++i) h.push(i, i * kTicks, 360 * kMs);
  h.drain(600 * kMs);
  auto stats = h.buffer.stats();
  EXPECT_EQ(stats.late, 0u);
  EXPECT_EQ(stats.concealed, 0u);
  EXPECT_EQ(stats.played, 10u);
  EXPECT_GT(stats.expanded, 0u);

  Harness later;
  constexpr uint32_t f = 150;  // 3 s in: the same stall
  for (uint32_t i = 0; i < f + 10; ++i) {
    if (i < f + 3 || i > f + 5) later.push(i, i * kTicks, i * 20 * kMs);
  }
  for (uint32_t i = f + 3; i <= f + 5; ++i) later.push(i, i * kTicks, (f * 20 + 360) * kMs);
  later.drain((f * 20 + 600) * kMs);
  EXPECT_GT(later.buffer.stats().late, 0u);
}

TEST(JitterBuffer, FixedModeDropsLateFramesInsteadOfWaiting) {
  JitterConfig config;
  config.mode = Mode::kFixed;
  config.latency_ns = 60 * kMs;
  Harness h(config);
  for (int i = 0; i < 10; ++i) h.push(i, i * kTicks, i * 20 * kMs);
  h.push(11, 11 * kTicks, 220 * kMs);
  h.drain(300 * kMs);
  EXPECT_EQ(h.push(10, 10 * kTicks, 300 * kMs), InsertResult::kLate);
  auto stats = h.buffer.stats();
  EXPECT_EQ(stats.expanded, 0u);
  EXPECT_EQ(stats.target_delay_ns, 60 * kMs);
  EXPECT_EQ(stats.current_delay_ns, 60 * kMs);
}

TEST(JitterBuffer, FarFutureFramesAreRejectedWithoutRestart) {
  Harness h;
  h.push(1, 0, 0);
  EXPECT_EQ(h.push(1'000'000, 5 * kTicks, 1 * kMs), InsertResult::kRejected);
  EXPECT_EQ(h.push(2, kTicks, 20 * kMs), InsertResult::kStored);
  EXPECT_EQ(h.push(3'000'000, 5 * kTicks, 21 * kMs), InsertResult::kRejected);
  auto stats = h.buffer.stats();
  EXPECT_EQ(stats.dropped, 2u);
  EXPECT_EQ(stats.restarts, 0u);
  EXPECT_EQ(h.buffer.size(), 2u);
}

TEST(JitterBuffer, ATimestampJumpIsRejected) {
  Harness h;
  h.push(1, 0, 0);
  // Sequence fits, but the timestamp says it was sent an hour from now.
  EXPECT_EQ(h.push(2, 48000u * 3600, 20 * kMs), InsertResult::kRejected);
  EXPECT_EQ(h.buffer.size(), 1u);
}

TEST(JitterBuffer, ConfirmedRestartFlushesAndStartsOver) {
  Harness h;
  for (int i = 0; i < 5; ++i) h.push(100 + i, i * kTicks, i * kMs);
  // The sender restarts: new random sequence and timestamp base.
  EXPECT_EQ(h.push(90'000'000, 123'456'789, 20 * kMs), InsertResult::kRejected);
  EXPECT_EQ(h.push(90'000'001, 123'456'789 + kTicks, 40 * kMs), InsertResult::kRejected);
  EXPECT_EQ(h.push(90'000'002, 123'456'789 + 2 * kTicks, 60 * kMs), InsertResult::kRestarted);
  EXPECT_EQ(h.push(90'000'003, 123'456'789 + 3 * kTicks, 80 * kMs), InsertResult::kStored);
  auto actions = h.drain(400 * kMs);
  ASSERT_GE(actions.size(), 2u);
  EXPECT_EQ(actions[0].kind, Kind::kPlay);
  EXPECT_EQ(actions[0].cookie, 90'000'002u);
  EXPECT_TRUE(actions[0].discont);
  auto stats = h.buffer.stats();
  EXPECT_EQ(stats.restarts, 1u);
  // The old stream's frames, never played, were handed back.
  EXPECT_EQ(h.released.size(), 5u);
}

TEST(JitterBuffer, FloodOfJunkStaysBoundedAndPlaysOn) {
  JitterConfig config;
  config.capacity = 64;
  Harness h(config);
  std::mt19937 rng(3);
  uint64_t stored = 0;
  for (int i = 0; i < 100'000; ++i) {
    auto result = h.buffer.insert(
        Frame{static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng()), 0, 0}, i * kMs);
    if (result == InsertResult::kStored || result == InsertResult::kRestarted) ++stored;
    ASSERT_LE(h.buffer.size(), 64u);
    h.drain(i * kMs);
  }
  // Then a real stream: it gets through after at most a restart.
  for (int i = 0; i < 50; ++i) h.push(5000 + i, i * kTicks, 100'000 * kMs + i * 20 * kMs);
  h.drain(200'000 * kMs);
  EXPECT_GE(h.buffer.stats().played, 45u);
  EXPECT_GT(h.buffer.stats().dropped, 0u);
}

TEST(JitterBuffer, DuplicateFloodIsCountedNotStored) {
  Harness h;
  h.push(1, 0, 0);
  for (int i = 0; i < 10'000; ++i) EXPECT_EQ(h.push(1, 0, 1 * kMs), InsertResult::kDuplicate);
  EXPECT_EQ(h.buffer.size(), 1u);
  EXPECT_EQ(h.buffer.stats().duplicates, 10'000u);
}

TEST(JitterBuffer, ClearReleasesEveryHeldFrame) {
  Harness h;
  for (int i = 0; i < 5; ++i) h.push(i, i * kTicks, 0);
  h.buffer.clear();
  EXPECT_EQ(h.released.size(), 5u);
  EXPECT_EQ(h.buffer.size(), 0u);
  EXPECT_EQ(h.buffer.next(0).kind, Kind::kWait);
}

// What one poll of the buffer produced, for comparing two ways of driving it.
struct Step {
  Kind kind;
  int64_t time_ns;
  uint64_t cookie;
  bool operator==(const Step &) const = default;
};

// Drives a buffer as wzpjitterbuffer does: it asks next() at the times of
// the waits it returns, and after an insert only when due_ns() moved
// earlier than the wait in progress. `eager` asks after every insert too.
// Both must play and conceal the same frames at the same times, and every
// finite wait must be due_ns().
std::vector<Step> drive(bool eager, const std::vector<std::pair<Frame, int64_t>> &arrivals) {
  JitterBuffer buffer(JitterConfig{}, nullptr);
  std::vector<Step> out;
  int64_t now = 0;
  int64_t waiting_until = JitterBuffer::kNever;
  auto poll = [&] {
    for (;;) {
      Action a = buffer.next(now);
      if (a.kind == Kind::kWait) {
        if (a.time_ns != JitterBuffer::kNever) {
          EXPECT_EQ(a.time_ns, buffer.due_ns());
        }
        waiting_until = a.time_ns;
        return;
      }
      out.push_back({a.kind, a.time_ns, a.cookie});
    }
  };
  auto run_until = [&](int64_t until) {
    while (waiting_until <= until) {
      now = std::max(now, waiting_until);
      poll();
    }
    now = std::max(now, until);
  };
  for (const auto &[frame, arrival] : arrivals) {
    run_until(arrival);
    buffer.insert(frame, arrival);
    if (eager || buffer.due_ns() != waiting_until) poll();
  }
  run_until(arrivals.back().second + 2'000 * kMs);
  return out;
}

TEST(JitterBuffer, AWaitStandsUnlessAnInsertMovesDue) {
  // Jitter, reordering, loss and silence gaps, with a restart in the middle.
  std::mt19937 rng(5);
  std::vector<std::pair<Frame, int64_t>> arrivals;
  uint32_t sequence = 100, timestamp = 5000;
  int64_t sent = 0;
  for (int i = 0; i < 1500; ++i) {
    if (i == 800) {
      sequence = 60000;
      timestamp = 123456;
    }
    if (rng() % 50 == 0) {  // a silence gap
      timestamp += 10 * kTicks;
      sent += 200 * kMs;
    }
    int64_t arrival = sent + 30 * kMs + static_cast<int64_t>(rng() % 80) * kMs;
    if (rng() % 10 != 0)
      arrivals.push_back({Frame{sequence, timestamp, kTicks, sequence}, arrival});
    ++sequence;
    timestamp += kTicks;
    sent += 20 * kMs;
  }
  std::stable_sort(arrivals.begin(), arrivals.end(),
                   [](const auto &a, const auto &b) { return a.second < b.second; });
  auto lazy = drive(false, arrivals);
  auto eager = drive(true, arrivals);
  EXPECT_GT(lazy.size(), 1000u);
  EXPECT_EQ(lazy, eager);
}

}  // namespace
}  // namespace wzp::jitter
