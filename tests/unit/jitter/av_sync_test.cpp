#include "libwzp/jitter/av_sync.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace wzp::jitter {
namespace {

using Stream = AvSync::Stream;
constexpr int64_t kMs = 1'000'000;

// A frame captured at `capture_ms` on the sender's timeline, presented
// `map_ms` later, seen at `now_ms`.
void audio(AvSync &sync, int64_t capture_ms, int64_t map_ms, int64_t now_ms) {
  sync.on_frame(Stream::kAudio, static_cast<uint32_t>(capture_ms * 48), 48000,
                (capture_ms + map_ms) * kMs, now_ms * kMs);
}
void video(AvSync &sync, int64_t capture_ms, int64_t map_ms, int64_t now_ms) {
  sync.on_frame(Stream::kVideo, static_cast<uint32_t>(capture_ms * 90), 90000,
                (capture_ms + map_ms) * kMs, now_ms * kMs);
}

TEST(AvSync, AVideoBehindTheAudioHoldsTheAudioBackByTheDifference) {
  AvSync sync;
  // Audio shown 60 ms after capture, video 260 ms (three held frames at 15/s).
  audio(sync, 1000, 60, 1100);
  video(sync, 1000, 260, 1300);
  EXPECT_EQ(sync.offset_ns(1300 * kMs), 200 * kMs);
  auto delays = sync.decide(1300 * kMs);
  ASSERT_TRUE(delays);
  EXPECT_EQ(delays->audio_ns, 200 * kMs);
  EXPECT_EQ(delays->video_ns, 0);
  EXPECT_EQ(sync.offset_ns(1300 * kMs), 0);
  video(sync, 1066, 270, 1366);
  EXPECT_EQ(sync.stats().samples, 2u);
  EXPECT_EQ(sync.stats().max_abs_raw_ns, 210 * kMs);
  EXPECT_EQ(sync.stats().sum_abs_raw_ns, 410 * kMs);
  // The first sample came before the first decision.
  EXPECT_EQ(sync.stats().synced_samples, 1u);
  EXPECT_EQ(sync.stats().max_abs_synced_ns, 10 * kMs);
  EXPECT_EQ(sync.stats().synced_beyond_goal, 0u);
  video(sync, 1133, 310, 1443);  // 50 ms off: beyond the 40 ms goal
  EXPECT_EQ(sync.stats().synced_beyond_goal, 1u);
}

TEST(AvSync, AnAudioBehindTheVideoHoldsTheVideoBack) {
  AvSync sync;
  audio(sync, 5000, 400, 5400);  // a deep audio jitter buffer's base
  video(sync, 5000, 250, 5250);
  auto delays = sync.decide(5400 * kMs);
  ASSERT_TRUE(delays);
  EXPECT_EQ(delays->audio_ns, 0);
  EXPECT_EQ(delays->video_ns, 150 * kMs);
}

TEST(AvSync, SmallDriftsWithinTheToleranceMoveNothing) {
  AvSync sync;
  audio(sync, 1000, 60, 1060);
  video(sync, 1000, 160, 1160);
  ASSERT_TRUE(sync.decide(1200 * kMs));
  EXPECT_EQ(sync.delays().audio_ns, 100 * kMs);
  video(sync, 1066, 175, 1241);  // 15 ms later: within 20
  EXPECT_FALSE(sync.decide(1250 * kMs));
  EXPECT_EQ(sync.offset_ns(1250 * kMs), 15 * kMs);
  video(sync, 1133, 190, 1323);  // 30 ms: beyond
  auto delays = sync.decide(1330 * kMs);
  ASSERT_TRUE(delays);
  EXPECT_EQ(delays->audio_ns, 130 * kMs);
}

TEST(AvSync, SpeechIsHeldBackAtMostTheConfiguredMaximum) {
  AvSync sync({.max_audio_delay_ns = 300 * kMs});
  audio(sync, 1000, 50, 1050);
  video(sync, 1000, 1050, 2050);
  auto delays = sync.decide(2050 * kMs);
  ASSERT_TRUE(delays);
  EXPECT_EQ(delays->audio_ns, 300 * kMs);
  EXPECT_EQ(sync.offset_ns(2050 * kMs), 700 * kMs);
}

TEST(AvSync, AStoppedPictureNoLongerDelaysTheSpeech) {
  AvSync sync;
  audio(sync, 1000, 60, 1060);
  video(sync, 1000, 260, 1260);
  ASSERT_TRUE(sync.decide(1300 * kMs));
  audio(sync, 3000, 60, 3060);
  EXPECT_FALSE(sync.decide(3200 * kMs));  // the last picture is 1.94 s old: still fresh
  EXPECT_EQ(sync.offset_ns(3300 * kMs), std::nullopt);
  auto delays = sync.decide(3300 * kMs);
  ASSERT_TRUE(delays);
  EXPECT_EQ(*delays, AvDelays{});
  EXPECT_FALSE(sync.decide(3400 * kMs));
}

TEST(AvSync, NothingIsDecidedOrCountedBeforeBothStreamsArrive) {
  AvSync sync;
  video(sync, 1000, 260, 1260);
  EXPECT_FALSE(sync.decide(1260 * kMs));
  EXPECT_EQ(sync.stats().samples, 0u);
  EXPECT_EQ(sync.offset_ns(1260 * kMs), std::nullopt);
}

TEST(AvSync, CaptureTimesAreFollowedAcrossTheTimestampWrap) {
  AvSync sync;
  // 90 kHz wraps after 13.25 h; the audio's 48 kHz later, after 24.8 h.
  const int64_t wrap_ms = (int64_t{1} << 32) / 90;  // 47721858 ms
  audio(sync, wrap_ms - 100, 60, 0);
  video(sync, wrap_ms - 100, 260, 0);
  audio(sync, wrap_ms + 100, 60, 200);
  video(sync, wrap_ms + 100, 260, 200);  // its 32-bit timestamp wrapped
  EXPECT_EQ(sync.offset_ns(200 * kMs), 200 * kMs);
}

}  // namespace
}  // namespace wzp::jitter
