#include "libwzp/audio/comfort_noise.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "libwzp/audio/dtx.hpp"
#include "libwzp/audio/vad.hpp"
#include "tests/unit/audio/signals.hpp"

namespace wzp::audio {
namespace {

using test::kFrame;
using test::kRate;

std::vector<int16_t> generate(ComfortNoise &noise, size_t samples) {
  std::vector<int16_t> out(samples);
  for (size_t at = 0; at < samples; at += kFrame) {
    noise.fill(std::span<int16_t>(out).subspan(at, std::min(kFrame, samples - at)));
  }
  return out;
}

TEST(ComfortNoise, SilentUntilTheFirstSid) {
  ComfortNoise noise;
  auto out = generate(noise, kFrame);
  EXPECT_EQ(frame_level_dbfs(out), -127.5);
}

TEST(ComfortNoise, PlaysAtTheSidLevelWhiteOrShaped) {
  for (double k1 : {0.0, -0.9, 0.6}) {
    SidFrame sid;
    sid.level_dbfs = -40.0;
    sid.reflection = {k1, 0, 0, 0};
    ComfortNoise noise;
    noise.set(sid);
    generate(noise, kFrame);  // the fade-in
    auto out = generate(noise, 4 * kRate);
    EXPECT_NEAR(frame_level_dbfs(out), -40.0, 0.5) << "k1 " << k1;
  }
}

TEST(ComfortNoise, GlidesToANewLevelWithinOneFrame) {
  SidFrame sid;
  sid.level_dbfs = -30.0;
  ComfortNoise noise;
  noise.set(sid);
  generate(noise, kRate);
  sid.level_dbfs = -50.0;
  noise.set(sid);
  auto glide = generate(noise, kFrame);
  const double during = frame_level_dbfs(glide);
  EXPECT_GT(during, -50.0);
  EXPECT_LT(during, -30.0);
  EXPECT_NEAR(frame_level_dbfs(generate(noise, kRate)), -50.0, 0.5);
}

TEST(ComfortNoise, KeepsTheBackgroundsSpectralTilt) {
  // Low-pass background (a one-pole filter): its comfort noise is low-pass too.
  std::vector<double> background(4 * kRate, 0.0);
  test::add_noise(background, -30.0, 7);
  for (size_t n = 1; n < background.size(); ++n) background[n] += 0.85 * background[n - 1];
  auto pcm = test::to_pcm(background);
  NoiseAnalyzer analyzer;
  analyzer.add(pcm);
  SidFrame sid = *parse_sid(encode_sid(analyzer.take()));
  EXPECT_NEAR(sid.level_dbfs, frame_level_dbfs(pcm), 0.3);
  EXPECT_LT(sid.reflection[0], -0.7);  // strong positive lag-1 correlation

  ComfortNoise noise;
  noise.set(sid);
  auto out = generate(noise, 4 * kRate);
  NoiseAnalyzer again;
  again.add(out);
  SidFrame echoed = again.take();
  EXPECT_NEAR(echoed.level_dbfs, sid.level_dbfs, 1.0);
  EXPECT_NEAR(echoed.reflection[0], sid.reflection[0], 0.05);
}

TEST(ComfortNoise, StepUpMatchesADirectFormOneAndTwoPoleFilter) {
  auto a = predictor_from_reflection({0.5, -0.25, 0, 0});
  // a1 = k1 + k2 k1, a2 = k2
  EXPECT_DOUBLE_EQ(a[0], 0.5 + -0.25 * 0.5);
  EXPECT_DOUBLE_EQ(a[1], -0.25);
  EXPECT_DOUBLE_EQ(a[2], 0.0);
}

}  // namespace
}  // namespace wzp::audio
