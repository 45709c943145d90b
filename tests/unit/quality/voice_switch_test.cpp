// The codec-switch rules apart from GStreamer: which encoder's frames go out
// around a switch, and how decoded buffers are joined.
#include "libwzp/quality/voice_switch.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <vector>

namespace wzp::quality {
namespace {

constexpr uint64_t kMs = 1'000'000;

// Feeds both branches the way a tee does (branch 0's output of an input
// buffer first) and returns the frames that went out as (branch, pts, end).
struct Out {
  int branch;
  uint64_t pts;
  uint64_t end;
};
std::vector<Out> run(EncoderSwitch &sw, uint64_t frame0, uint64_t frame1, uint64_t until,
                     uint64_t request_at, int request_branch, uint64_t offset0 = 0) {
  std::vector<Out> out;
  uint64_t next0 = offset0, next1 = 0;
  for (uint64_t t = 10 * kMs; t <= until; t += 10 * kMs) {  // 10 ms input buffers
    if (t == request_at) sw.request(request_branch);
    for (; next0 + frame0 <= t; next0 += frame0) {
      if (sw.admit(0, next0, frame0)) out.push_back({0, next0, next0 + frame0});
    }
    for (; next1 + frame1 <= t; next1 += frame1) {
      if (sw.admit(1, next1, frame1)) out.push_back({1, next1, next1 + frame1});
    }
  }
  return out;
}

void expect_gapless(const std::vector<Out> &out, uint64_t until) {
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.front().pts, 0u);
  for (size_t i = 1; i < out.size(); ++i) EXPECT_EQ(out[i].pts, out[i - 1].end) << "frame " << i;
  EXPECT_GE(out.back().end + 80 * kMs, until);
}

TEST(EncoderSwitch, SwitchesAtASharedBoundaryWithoutGapOrOverlap) {
  EncoderSwitch sw(0);
  auto out = run(sw, 20 * kMs, 40 * kMs, 1000 * kMs, 330 * kMs, 1);
  expect_gapless(out, 1000 * kMs);
  EXPECT_EQ(sw.active(), 1);
  EXPECT_EQ(sw.switches(), 1u);
  EXPECT_EQ(out.front().branch, 0);
  EXPECT_EQ(out.back().branch, 1);
}

TEST(EncoderSwitch, SwitchesBackFromLongerFrames) {
  EncoderSwitch sw(1);
  auto out = run(sw, 60 * kMs, 40 * kMs, 1000 * kMs, 250 * kMs, 0);
  expect_gapless(out, 1000 * kMs);
  EXPECT_EQ(sw.active(), 0);
}

// Opus's grid sits 13.5 ms off Codec2's (its first frame loses the
// look-ahead): the cut leaves the smallest hole there is, never an overlap.
TEST(EncoderSwitch, OffsetGridsCutWithASmallHoleBothWays) {
  for (int to : {1, 0}) {
    EncoderSwitch sw(1 - to, 15 * kMs);
    auto out = run(sw, 20 * kMs, 40 * kMs, 1000 * kMs, 330 * kMs, to, 13'500'000);
    EXPECT_EQ(sw.switches(), 1u);
    uint64_t holes = 0;
    for (size_t i = 1; i < out.size(); ++i) {
      ASSERT_GE(out[i].pts, out[i - 1].end) << "overlap at frame " << i;
      holes += out[i].pts - out[i - 1].end;
    }
    EXPECT_EQ(holes, sw.gap_total());
    EXPECT_LE(holes, 15 * kMs);
  }
}

TEST(EncoderSwitch, WithoutPatienceLeftAnyHoleIsTaken) {
  EncoderSwitch sw(0, 0, 2);
  auto out = run(sw, 20 * kMs, 40 * kMs, 1000 * kMs, 330 * kMs, 1, 13'500'000);
  EXPECT_EQ(sw.switches(), 1u);
  EXPECT_GT(sw.gap_total(), 0u);
}

TEST(EncoderSwitch, TheInactiveBranchNeverGoesOutWithoutARequest) {
  EncoderSwitch sw(0);
  auto out = run(sw, 20 * kMs, 40 * kMs, 500 * kMs, 0, 0);
  for (const auto &o : out) EXPECT_EQ(o.branch, 0);
  EXPECT_EQ(sw.switches(), 0u);
}

TEST(EncoderSwitch, ARequestBackBeforeTheCutCancelsIt) {
  EncoderSwitch sw(0);
  sw.request(1);
  EXPECT_TRUE(sw.pending());
  sw.request(0);
  EXPECT_FALSE(sw.pending());
  sw.request(7);  // no such branch
  EXPECT_FALSE(sw.pending());
}

// In silence with DTX, Codec2 (branch 1) sends only a SID frame every
// 400 ms while Opus (branch 0) still has a frame every 20 ms: the element
// lets the switch see each Opus frame before it drops a DTX packet.
std::vector<Out> run_silence(EncoderSwitch &sw, uint64_t until, uint64_t request_at,
                             int request_branch) {
  std::vector<Out> out;
  for (uint64_t t = 0; t < until; t += 20 * kMs) {
    if (t == request_at) sw.request(request_branch);
    if (sw.admit(0, t, 20 * kMs)) out.push_back({0, t, t + 20 * kMs});
    if (t % (400 * kMs) == 0 && sw.admit(1, t, 40 * kMs)) out.push_back({1, t, t + 40 * kMs});
  }
  return out;
}

TEST(EncoderSwitch, InSilenceASwitchFromCodec2CutsAtItsNextSidFrame) {
  EncoderSwitch sw(1, 15 * kMs);
  auto out = run_silence(sw, 2000 * kMs, 500 * kMs, 0);
  EXPECT_EQ(sw.active(), 0);
  EXPECT_EQ(sw.switches(), 1u);
  EXPECT_EQ(sw.gap_total(), 0u);  // the SID ends on Opus's grid
  // Codec2's SID frames up to and including the one at 800 ms, then Opus
  // from the end of that SID, every frame.
  uint64_t next_opus = 840 * kMs;
  for (const Out &o : out) {
    if (o.branch == 1) {
      EXPECT_LE(o.pts, 800 * kMs);
    } else {
      EXPECT_EQ(o.pts, next_opus);
      next_opus = o.end;
    }
  }
  EXPECT_EQ(next_opus, 2000 * kMs);
}

TEST(EncoderSwitch, InSilenceASwitchToCodec2GoesOutWithItsNextSidFrame) {
  EncoderSwitch sw(0, 15 * kMs);
  auto out = run_silence(sw, 2000 * kMs, 500 * kMs, 1);
  EXPECT_EQ(sw.active(), 1);
  EXPECT_EQ(sw.switches(), 1u);
  // Opus up to the cut on Codec2's grid at 520 ms, nothing out of order,
  // then Codec2's SID frames from 800 ms (the silence between sends nothing).
  uint64_t end = 0;
  for (const Out &o : out) {
    EXPECT_GE(o.pts, end);
    end = o.end;
    if (o.branch == 0) {
      EXPECT_LT(o.pts, 520 * kMs);
    } else {
      EXPECT_GE(o.pts, 800 * kMs);
    }
  }
  EXPECT_EQ(out.back().branch, 1);
}

TEST(VoiceJoiner, ContinuousBuffersPassUntouched) {
  VoiceJoiner joiner(48, 48000);
  std::vector<int16_t> a(480, 1000);
  auto plan = joiner.plan(0, a.size());
  EXPECT_EQ(plan.skip + plan.fill, 0u);
  joiner.process(0, a.data(), a.size());
  plan = joiner.plan(480, a.size());
  EXPECT_EQ(plan.skip + plan.fill, 0u);
  joiner.process(0, a.data(), a.size());
  EXPECT_EQ(a[0], 1000);
  EXPECT_EQ(*joiner.next_position(), 960);
}

TEST(VoiceJoiner, OverlapIsTrimmedAndGapIsFilled) {
  VoiceJoiner joiner(48, 48000);
  std::vector<int16_t> a(480, 0);
  joiner.plan(0, a.size());
  joiner.process(0, a.data(), a.size());
  EXPECT_EQ(joiner.plan(470, 480).skip, 10u);
  EXPECT_EQ(joiner.samples_trimmed(), 10u);
  joiner.process(0, a.data() + 10, 470);
  auto plan = joiner.plan(1000, 480);
  EXPECT_EQ(plan.fill, 50u);
  std::vector<int16_t> gap(plan.fill);
  joiner.fill(gap.data(), gap.size());
  EXPECT_EQ(joiner.samples_filled(), 50u);
  EXPECT_EQ(*joiner.next_position(), 1000);
}

TEST(VoiceJoiner, AGapTooLongToFillJumpsAhead) {
  VoiceJoiner joiner(48, 100);
  std::vector<int16_t> a(480, 0);
  joiner.plan(0, a.size());
  joiner.process(0, a.data(), a.size());
  auto plan = joiner.plan(10'000, 480);
  EXPECT_EQ(plan.fill, 0u);
  EXPECT_EQ(joiner.gaps_skipped(), 1u);
  EXPECT_EQ(*joiner.next_position(), 10'000);
}

TEST(VoiceJoiner, AStepAtASourceSwitchBleedsOffWithoutAClick) {
  VoiceJoiner joiner(96, 48000);
  std::vector<int16_t> a(480, 8000), b(480, -8000);
  joiner.plan(0, a.size());
  joiner.process(0, a.data(), a.size());
  joiner.plan(480, b.size());
  joiner.process(1, b.data(), b.size());
  EXPECT_EQ(joiner.source_switches(), 1u);
  EXPECT_EQ(joiner.largest_step(), 16000u);
  int largest = std::abs(b[0] - a.back());
  for (size_t i = 1; i < b.size(); ++i) largest = std::max(largest, std::abs(b[i] - b[i - 1]));
  // 16000 spread over 96 samples: about 167 per sample, not one jump.
  EXPECT_LE(largest, 170);
  EXPECT_EQ(b.back(), -8000);
}

}  // namespace
}  // namespace wzp::quality
