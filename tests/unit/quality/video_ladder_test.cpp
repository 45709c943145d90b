#include "libwzp/quality/video_ladder.hpp"

#include <gtest/gtest.h>

#include "libwzp/quality/controller.hpp"

namespace wzp::quality {
namespace {

Micros sec(int64_t s) { return Micros{s * 1'000'000}; }

PathObservation report(double loss, uint32_t bandwidth_kbps = 0) {
  return PathObservation{
      .loss = loss, .rtt_ms = 100, .jitter_ms = 20, .bandwidth_kbps = bandwidth_kbps};
}

TEST(VideoLadder, StepsRunFromOffToTheCallsPictureAndCostMoreOnTheWireThanTheirBitRate) {
  auto steps = video_steps();
  ASSERT_EQ(steps.size(), 4u);
  EXPECT_EQ(steps[kVideoOff].bitrate_kbps, 0u);
  EXPECT_EQ(steps[kVideoOff].wire_kbps(), 0u);
  EXPECT_EQ(steps.back().bitrate_kbps, 400u);
  for (size_t i = 1; i < steps.size(); ++i) {
    EXPECT_GT(steps[i].bitrate_kbps, steps[i - 1].bitrate_kbps);
    EXPECT_GT(steps[i].wire_kbps(), 2 * steps[i].bitrate_kbps);
  }
}

// The audio's controller and the ladder fed the same reports: the picture
// is off before the speech loses its tier.
TEST(VideoLadder, VideoIsOffBeforeTheAudioControllerStepsDown) {
  ControllerConfig audio_config;
  audio_config.initial = Tier::kGood;
  QualityController audio(audio_config, sec(0));
  VideoLadder video({}, sec(0));
  const PathObservation bad = report(0.08);  // beyond good's 5 %, within degraded's 30 %
  for (int s = 1; s <= 3; ++s) {
    // The ladder first, on the tier the audio has before this report.
    auto step = video.on_sample(sec(s), {.audio_tier = audio.committed_tier(), .report = bad});
    ASSERT_TRUE(step);
    EXPECT_EQ(*step, 3u - s);
    Decision d = audio.on_report(sec(s), bad);
    EXPECT_EQ(d.tier, s < 3 ? Tier::kGood : Tier::kDegraded) << s;
  }
  EXPECT_EQ(video.step(), kVideoOff);
  EXPECT_EQ(video.steps_down(), 3u);
  // Degraded sustains the same path: the picture comes back one step per hold.
  EXPECT_FALSE(video.on_sample(sec(4), {.audio_tier = Tier::kDegraded, .report = bad}));
  EXPECT_FALSE(video.on_sample(sec(12), {.audio_tier = Tier::kDegraded, .report = bad}));
  EXPECT_EQ(video.on_sample(sec(13), {.audio_tier = Tier::kDegraded, .report = bad}), 1u);
  EXPECT_FALSE(video.on_sample(sec(22), {.audio_tier = Tier::kDegraded}));
  EXPECT_EQ(video.on_sample(sec(23), {.audio_tier = Tier::kDegraded}), 2u);
  EXPECT_EQ(video.on_sample(sec(33), {.audio_tier = Tier::kDegraded}), 3u);
  EXPECT_FALSE(video.on_sample(sec(60), {.audio_tier = Tier::kDegraded}));
}

TEST(VideoLadder, ACollapseOrTheLowestAudioTierTurnsThePictureOffAtOnce) {
  VideoLadder video;
  EXPECT_EQ(video.on_sample(sec(1), {.audio_tier = Tier::kGood, .report = report(0.21)}),
            kVideoOff);  // 5 % + 15 points
  VideoLadder other;
  EXPECT_EQ(other.on_sample(sec(1), {.audio_tier = Tier::kCatastrophic}), kVideoOff);
  EXPECT_FALSE(other.on_sample(sec(30), {.audio_tier = Tier::kCatastrophic}));
}

TEST(VideoLadder, StaleVideoDatagramsStepDownAndAKnownBandwidthPicksTheStepThatFits) {
  VideoLadder video;
  EXPECT_EQ(video.on_sample(sec(1), {.audio_tier = Tier::kDegraded, .stale_drops = 12}), 2u);
  // The audio and the lowest picture fit; the next step does not.
  const uint32_t audio = profile(Tier::kDegraded).wire_bitrate_bps() / 1000;
  const uint32_t bandwidth = audio + video_steps()[1].wire_kbps() + 10;
  ASSERT_LT(bandwidth, audio + video_steps()[2].wire_kbps());
  EXPECT_EQ(video.on_sample(sec(2), {.audio_tier = Tier::kDegraded,
                                     .report = report(0.01, bandwidth),
                                     .stale_drops = 3}),
            1u);
  // Calm, but the bandwidth carries no more: no step up.
  EXPECT_FALSE(
      video.on_sample(sec(30), {.audio_tier = Tier::kDegraded, .report = report(0.01, bandwidth)}));
  EXPECT_EQ(video.on_sample(sec(31),
                            {.audio_tier = Tier::kDegraded, .report = report(0.01, bandwidth * 4)}),
            2u);
  // Less than the audio and the lowest picture: off.
  EXPECT_EQ(
      video.on_sample(sec(32), {.audio_tier = Tier::kDegraded, .report = report(0.01, audio + 10)}),
      kVideoOff);
}

TEST(VideoLadder, AStepThatDoesNotHoldWaitsTwiceAsLongBeforeTheNextTry) {
  VideoLadder video({.initial = 2});
  const VideoSample calm{.audio_tier = Tier::kDegraded};
  const VideoSample stale{.audio_tier = Tier::kDegraded, .stale_drops = 1};
  EXPECT_EQ(video.on_sample(sec(10), calm), 3u);
  EXPECT_EQ(video.on_sample(sec(12), stale), 2u);  // 2 s after going up
  EXPECT_FALSE(video.on_sample(sec(22), calm));    // the hold is 20 s now
  EXPECT_FALSE(video.on_sample(sec(31), calm));
  EXPECT_EQ(video.on_sample(sec(32), calm), 3u);
  EXPECT_EQ(video.on_sample(sec(45), stale), 2u);  // 13 s after: within 20, 40 s now
  EXPECT_FALSE(video.on_sample(sec(84), calm));
  EXPECT_EQ(video.on_sample(sec(85), calm), 3u);
}

}  // namespace
}  // namespace wzp::quality
