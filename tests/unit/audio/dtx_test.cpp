#include "libwzp/audio/dtx.hpp"

#include <gtest/gtest.h>

#include "tests/unit/audio/signals.hpp"

namespace wzp::audio {
namespace {

using test::kFrame;
using test::kRate;

struct Counts {
  int speech = 0, sid = 0, suppressed = 0;
};

Counts run(DtxEncoder &dtx, const std::vector<int16_t> &pcm, size_t from_frame = 0) {
  Counts counts;
  for (size_t f = 0; f < pcm.size() / kFrame; ++f) {
    DtxDecision d = dtx.classify(test::frame_at(pcm, f));
    if (f < from_frame) continue;
    if (d == DtxDecision::kSpeech) ++counts.speech;
    if (d == DtxDecision::kSid) ++counts.sid;
    if (d == DtxDecision::kSuppress) ++counts.suppressed;
  }
  return counts;
}

TEST(Dtx, SilenceSendsOneSidPerInterval) {
  std::vector<double> signal(10 * kRate, 0.0);
  test::add_noise(signal, -45.0, 11);
  DtxEncoder dtx;
  // Skip the first second (warm-up and hangover), then 9 s of silence:
  Counts counts = run(dtx, test::to_pcm(signal), 25);
  EXPECT_EQ(counts.speech, 0);
  // 225 frames of 40 ms; a SID every 400 ms is every 10th frame.
  EXPECT_GE(counts.sid, 22);
  EXPECT_LE(counts.sid, 24);
  EXPECT_EQ(counts.sid + counts.suppressed, 225);
  EXPECT_NEAR(dtx.sid().level_dbfs, -45.0, 0.5);
}

TEST(Dtx, SpeechIsSentAndItsEndSendsASidAtOnce) {
  std::vector<double> signal(6 * kRate, 0.0);
  test::add_noise(signal, -55.0, 12);
  test::add_speech_like(signal, 2 * kRate, 4 * kRate, -20.0);
  auto pcm = test::to_pcm(signal);
  DtxEncoder dtx;
  std::vector<DtxDecision> decisions;
  for (size_t f = 0; f < pcm.size() / kFrame; ++f)
    decisions.push_back(dtx.classify(test::frame_at(pcm, f)));
  size_t speech_in_burst = 0;
  for (size_t f = 50; f < 100; ++f) speech_in_burst += decisions[f] == DtxDecision::kSpeech;
  EXPECT_GE(speech_in_burst, 49u);
  // The first non-speech frame after the burst is a SID.
  size_t f = 100;
  while (f < decisions.size() && decisions[f] == DtxDecision::kSpeech) ++f;
  ASSERT_LT(f, decisions.size());
  EXPECT_EQ(decisions[f], DtxDecision::kSid);
  EXPECT_EQ(decisions[f + 1], DtxDecision::kSuppress);
}

TEST(Dtx, SidIntervalIsAdjustable) {
  std::vector<double> signal(10 * kRate, 0.0);
  test::add_noise(signal, -45.0, 13);
  DtxConfig config;
  config.sid_interval_ms = 1000;
  DtxEncoder dtx(config);
  Counts counts = run(dtx, test::to_pcm(signal), 25);
  EXPECT_GE(counts.sid, 8);
  EXPECT_LE(counts.sid, 10);
}

TEST(Dtx, LevinsonRecoversAFirstOrderProcess) {
  // r[j] = 0.8^j: an AR(1) process x[n] = 0.8 x[n-1] + e, so k1 = -0.8, rest 0.
  std::array<double, kSidOrder + 1> r{1.0, 0.8, 0.64, 0.512, 0.4096};
  auto k = reflection_from_autocorrelation(r);
  EXPECT_NEAR(k[0], -0.8, 1e-3);
  EXPECT_NEAR(k[1], 0.0, 1e-3);
  EXPECT_NEAR(k[3], 0.0, 1e-3);
  EXPECT_EQ(reflection_from_autocorrelation({}), (std::array<double, kSidOrder>{}));
}

}  // namespace
}  // namespace wzp::audio
