// Whole traces through the buffer: the adaptive behaviour over time.
#include "libwzp/jitter/replay.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <vector>

#include "tests/unit/jitter/units.hpp"

namespace wzp::jitter {
namespace {

// Talkspurts of `talk` frames separated by `silence` skipped frames (DTX:
// the sequence continues, the timestamp jumps). `delay(i, send_ns)` is the
// network delay of frame i. `clock_skew` stretches the sender's media clock.
std::vector<Arrival> make_trace(int frames, int talk, int silence,
                                const std::function<int64_t(int, int64_t)> &delay,
                                double clock_skew = 1.0) {
  std::vector<Arrival> out;
  uint32_t sequence = 1000;
  for (int slot = 0; slot < frames; ++slot) {
    if (silence > 0 && slot % (talk + silence) >= talk) continue;
    int64_t send_ns = slot * 20 * kMs;
    auto timestamp = static_cast<uint32_t>(slot * kTicks * clock_skew);
    out.push_back(Arrival{sequence++, timestamp, kTicks, send_ns + delay(slot, send_ns)});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Arrival &a, const Arrival &b) { return a.arrival_ns < b.arrival_ns; });
  return out;
}

double late_fraction(const ReplayResult &r) {
  int missed = 0;
  for (int64_t t : r.playout_ns) missed += t < 0;
  return static_cast<double>(missed) / static_cast<double>(r.playout_ns.size());
}

TEST(Replay, UniformJitterSettlesNearItsQuantile) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int64_t> jitter(0, 80 * kMs);
  auto trace = make_trace(6000, 60, 40, [&](int, int64_t) { return 100 * kMs + jitter(rng); });
  auto result = replay(JitterConfig{}, trace, 200'000 * kMs);
  EXPECT_LT(late_fraction(result), 0.03);
  EXPECT_GE(result.stats.target_delay_ns, 60 * kMs);
  EXPECT_LE(result.stats.target_delay_ns, 100 * kMs);
  EXPECT_EQ(result.stats.restarts, 0u);
}

TEST(Replay, DelayComesDownAfterJitterCalms) {
  std::mt19937 rng(6);
  std::uniform_int_distribution<int64_t> jitter(0, 300 * kMs);
  auto trace = make_trace(9000, 60, 40,
                          [&](int i, int64_t) { return 50 * kMs + (i < 3000 ? jitter(rng) : 0); });
  auto result = replay(JitterConfig{}, trace, 400'000 * kMs);
  EXPECT_LE(result.stats.target_delay_ns, 20 * kMs);
  EXPECT_LE(result.stats.current_delay_ns, 40 * kMs);
  // Late in the trace frames play soon after they arrive.
  size_t last = trace.size() - 1;
  EXPECT_LE(result.playout_ns[last] - trace[last].arrival_ns, 40 * kMs);
}

TEST(Replay, SenderClockDriftCausesNoLoss) {
  // The sender's clock runs 0.2 % fast, for ten minutes.
  auto trace = make_trace(
      30000, 100, 50, [](int, int64_t) { return 80 * kMs; }, 1.002);
  auto result = replay(JitterConfig{}, trace, 700'000 * kMs);
  // Nothing late or lost; the only frames not played were dropped on
  // purpose to shrink the start delay.
  EXPECT_EQ(result.stats.late, 0u);
  EXPECT_EQ(result.stats.concealed, 0u);
  EXPECT_EQ(result.stats.played + result.stats.shrunk, trace.size());
  EXPECT_LE(result.stats.current_delay_ns, 60 * kMs);
}

TEST(Replay, ContinuousSpeechShrinksAnExcessDelay) {
  // No silence to adapt in, and a start delay far above what the path needs.
  JitterConfig config;
  config.latency_ns = 300 * kMs;
  auto trace = make_trace(3000, 3000, 0, [](int, int64_t) { return 40 * kMs; });
  auto result = replay(config, trace, 100'000 * kMs);
  EXPECT_GE(result.stats.shrunk, 10u);
  EXPECT_LE(result.stats.current_delay_ns, 40 * kMs);
  EXPECT_EQ(result.stats.late, 0u);
}

TEST(Replay, ContinuousSpeechShrinksByCompressingWithoutLoss) {
  // As above, with a decoder that plays frames shorter: every frame plays,
  // and the excess is gone within a few seconds instead of tens.
  JitterConfig config;
  config.latency_ns = 300 * kMs;
  config.compress_to_shrink = true;
  auto trace = make_trace(3000, 3000, 0, [](int, int64_t) { return 40 * kMs; });
  auto result = replay(config, trace, 100'000 * kMs);
  EXPECT_EQ(result.stats.shrunk, 0u);
  EXPECT_EQ(result.stats.played, trace.size());
  EXPECT_EQ(result.stats.late, 0u);
  EXPECT_GE(result.stats.compressed_ns, 200 * kMs);
  EXPECT_LE(result.stats.current_delay_ns, 40 * kMs);
  EXPECT_LE(result.playout_ns[150] - trace[150].arrival_ns, 40 * kMs);  // 3 s in
}

// 5 s of 20 ms frames of which every fifth comes 300 ms late (FEC too weak
// for the path), then 25 s of 40 ms frames (the next tier) all on time.
std::vector<Arrival> tier_change_trace() {
  std::vector<Arrival> out;
  uint32_t sequence = 0, timestamp = 0;
  for (int64_t send = 0; send < 30'000 * kMs; ++sequence) {
    const bool first_tier = send < 5'000 * kMs;
    const uint32_t ticks = first_tier ? kTicks : 2 * kTicks;
    const int64_t late = first_tier && sequence % 5 == 4 ? 300 * kMs : 0;
    out.push_back(Arrival{sequence, timestamp, ticks, send + 50 * kMs + late});
    timestamp += ticks;
    send += ticks * kMs / 48;
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Arrival &a, const Arrival &b) { return a.arrival_ns < b.arrival_ns; });
  return out;
}

TEST(Replay, ANewTierIsLearntAfreshWhereTheDelayCanBeCompressed) {
  JitterConfig config;
  config.quantile = 0.99;
  auto trace = tier_change_trace();
  auto dropping = replay(config, trace, 40'000 * kMs);
  config.compress_to_shrink = true;
  auto compressing = replay(config, trace, 40'000 * kMs);
  // Without compression the old tier's tail is kept (forgetting it would
  // cost dropped frames); with it, 8 s after the change the new tier's own
  // delay holds, and every frame still plays.
  EXPECT_GE(dropping.stats.target_delay_ns, 300 * kMs);
  EXPECT_LE(compressing.stats.target_delay_ns, 40 * kMs);
  EXPECT_LE(compressing.stats.current_delay_ns, 80 * kMs);
  EXPECT_EQ(compressing.stats.played, trace.size());
  EXPECT_EQ(compressing.stats.shrunk, 0u);
}

TEST(Replay, VideoFramesAreNeverDroppedToShrink) {
  // As above, but every frame is the next one's reference: all of them play.
  JitterConfig config;
  config.latency_ns = 300 * kMs;
  config.drop_to_shrink = false;
  auto trace = make_trace(3000, 3000, 0, [](int, int64_t) { return 40 * kMs; });
  auto result = replay(config, trace, 100'000 * kMs);
  EXPECT_EQ(result.stats.shrunk, 0u);
  EXPECT_EQ(result.stats.played, trace.size());
  EXPECT_EQ(result.stats.late, 0u);
}

TEST(Replay, AStallBeyondTheTargetCostsItsFramesNotLastingDelay) {
  // Continuous speech; one 400 ms stall at 10 s, frames then arrive in a burst.
  auto trace = make_trace(3000, 3000, 0, [](int i, int64_t) {
    return 40 * kMs + (i >= 500 && i < 520 ? (520 - i) * 20 * kMs : 0);
  });
  auto result = replay(JitterConfig{}, trace, 100'000 * kMs);
  EXPECT_GT(result.stats.late, 0u);
  EXPECT_LE(result.stats.late, 20u);
  EXPECT_LE(result.stats.current_delay_ns, 60 * kMs);
  EXPECT_LT(late_fraction(result), 0.01);
}

TEST(Replay, ReorderingIsAbsorbed) {
  // Every tenth frame is overtaken by the next one.
  auto trace = make_trace(3000, 50, 25,
                          [](int i, int64_t) { return 60 * kMs + (i % 10 == 0 ? 30 * kMs : 0); });
  auto result = replay(JitterConfig{}, trace, 100'000 * kMs);
  EXPECT_GT(result.stats.reordered, 100u);
  EXPECT_LT(late_fraction(result), 0.01);
}

}  // namespace
}  // namespace wzp::jitter
