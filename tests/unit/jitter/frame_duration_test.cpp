// Frames that do not say how long they are (wzpfecdec's output: the wire
// carries no duration) last until the next frame's timestamp.
#include <gtest/gtest.h>

#include <vector>

#include "libwzp/jitter/jitter_buffer.hpp"
#include "tests/unit/jitter/units.hpp"

namespace wzp::jitter {
namespace {

constexpr uint32_t k20Ms = 960;  // at 48 kHz
constexpr uint32_t k40Ms = 1920;

std::vector<Action> drain(JitterBuffer &buffer, int64_t &now, int64_t until) {
  std::vector<Action> out;
  for (;;) {
    Action a = buffer.next(now);
    if (a.kind != Action::Kind::kWait) {
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

TEST(JitterBufferDuration, FramesWithoutADurationLastUntilTheNextFrame) {
  // At its delay limit, so the missing frame 3 is declared lost, not waited for.
  JitterBuffer buffer(JitterConfig{.max_latency_ns = 80 * kMs}, [](uint64_t) {});
  int64_t now = 0;
  std::vector<Action> actions;
  for (uint32_t n : {0u, 1u, 2u, 4u, 5u}) {
    int64_t arrival = n * 40 * kMs;
    auto due = drain(buffer, now, arrival);
    actions.insert(actions.end(), due.begin(), due.end());
    buffer.insert(Frame{n, n * k40Ms, 0, n}, arrival);
  }
  auto rest = drain(buffer, now, 300 * kMs);  // frame 5's time, before the buffer runs dry
  actions.insert(actions.end(), rest.begin(), rest.end());

  ASSERT_EQ(actions.size(), 6u);
  for (size_t i = 0; i < actions.size(); ++i) {
    EXPECT_EQ(actions[i].time_ns, 80 * kMs + static_cast<int64_t>(i) * 40 * kMs) << i;
    EXPECT_EQ(actions[i].duration_ns, 40 * kMs) << i;
    EXPECT_EQ(actions[i].kind, i == 3 ? Action::Kind::kConceal : Action::Kind::kPlay) << i;
    EXPECT_EQ(actions[i].discont, i == 0) << "one talkspurt, anchored once: " << i;
  }
  EXPECT_EQ(actions[3].sequence, 3u);
  EXPECT_EQ(buffer.stats().concealed, 1u);
  EXPECT_EQ(buffer.stats().played, 5u);
}

TEST(JitterBufferDuration, ASilenceGapIsNotTakenForALongFrame) {
  // 40 ms frames, then 1 s of silence (DTX) before frame 3: frame 2 still
  // lasts 40 ms, and frame 3 starts a new talkspurt.
  JitterBuffer buffer(JitterConfig{}, [](uint64_t) {});
  int64_t now = 0;
  std::vector<Action> actions;
  const uint32_t timestamps[] = {0, k40Ms, 2 * k40Ms, 2 * k40Ms + 48000};
  for (uint32_t n = 0; n < 4; ++n) {
    int64_t arrival = static_cast<int64_t>(timestamps[n]) * kMs / 48;
    auto due = drain(buffer, now, arrival);
    actions.insert(actions.end(), due.begin(), due.end());
    buffer.insert(Frame{n, timestamps[n], 0, n}, arrival);
  }
  auto rest = drain(buffer, now, 2000 * kMs);
  actions.insert(actions.end(), rest.begin(), rest.end());
  std::vector<Action> plays;
  for (const Action &a : actions) {
    if (a.kind == Action::Kind::kPlay) plays.push_back(a);  // the silence is concealed
  }
  ASSERT_EQ(plays.size(), 4u);
  for (const Action &a : plays) EXPECT_EQ(a.duration_ns, 40 * kMs);
  EXPECT_TRUE(plays[3].discont) << "a new talkspurt";
}

TEST(JitterBufferDuration, AShortSilenceGapDoesNotLengthenTheFrameAfterIt) {
  // 20 ms frames; Opus DTX leaves out 60 ms before frame 3, so frames 2 and
  // 3 are 80 ms apart, within what one codec frame may last. Frame 3 still
  // lasts 20 ms (its spacing to frame 4), and frames 4 and 5 play: taking
  // the 80 ms for frame 3's own length dropped the three frames after it
  // in a live call on a clean path.
  JitterBuffer buffer(JitterConfig{}, [](uint64_t) {});
  int64_t now = 0;
  std::vector<Action> actions;
  const uint32_t timestamps[] = {0, k20Ms, 2 * k20Ms, 6 * k20Ms, 7 * k20Ms, 8 * k20Ms};
  for (uint32_t n = 0; n < 6; ++n) {
    int64_t arrival = static_cast<int64_t>(timestamps[n]) * kMs / 48;
    auto due = drain(buffer, now, arrival);
    actions.insert(actions.end(), due.begin(), due.end());
    buffer.insert(Frame{n, timestamps[n], 0, n}, arrival);
  }
  auto rest = drain(buffer, now, 1000 * kMs);
  actions.insert(actions.end(), rest.begin(), rest.end());
  std::vector<Action> plays;
  for (const Action &a : actions) {
    if (a.kind == Action::Kind::kPlay) plays.push_back(a);
  }
  ASSERT_EQ(plays.size(), 6u);
  for (const Action &a : plays) EXPECT_EQ(a.duration_ns, 20 * kMs) << a.sequence;
  EXPECT_EQ(buffer.stats().played, 6u);
  EXPECT_EQ(buffer.stats().dropped, 0u);
  EXPECT_EQ(buffer.stats().late, 0u);
}

TEST(JitterBufferDuration, ALongFrameMayWaitOneFramePastTheTarget) {
  // 40 ms frames with the delay at its target (80 ms, held by min-latency):
  // frame 2 is overtaken by frame 3 and turns up 20 ms after its time, as
  // an FEC-recovered frame does. Waiting one frame for it must be allowed
  // although the frame is longer than a histogram bucket (20 ms).
  JitterBuffer buffer(JitterConfig{.min_latency_ns = 80 * kMs}, [](uint64_t) {});
  int64_t now = 0;
  std::vector<Action> actions;
  auto arrive = [&](uint32_t n, int64_t at) {
    auto due = drain(buffer, now, at);
    actions.insert(actions.end(), due.begin(), due.end());
    buffer.insert(Frame{n, n * k40Ms, k40Ms, n}, at);
  };
  arrive(0, 0);
  arrive(1, 40 * kMs);
  arrive(3, 120 * kMs);
  arrive(2, 180 * kMs);                       // due at 160 ms
  auto rest = drain(buffer, now, 270 * kMs);  // before the buffer runs dry
  actions.insert(actions.end(), rest.begin(), rest.end());
  ASSERT_EQ(actions.size(), 5u);
  EXPECT_EQ(actions[2].kind, Action::Kind::kConceal);
  EXPECT_EQ(actions[2].conceal, Action::Conceal::kExpand);
  EXPECT_EQ(actions[3].cookie, 2u);
  EXPECT_EQ(actions[3].time_ns, 200 * kMs);
  EXPECT_EQ(actions[4].cookie, 3u);
  EXPECT_EQ(buffer.stats().late, 0u);
  EXPECT_EQ(buffer.stats().played, 4u);
}

}  // namespace
}  // namespace wzp::jitter
