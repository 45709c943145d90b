#include "libwzp/audio/vad.hpp"

#include <gtest/gtest.h>

#include "tests/unit/audio/signals.hpp"

namespace wzp::audio {
namespace {

using test::kFrame;
using test::kRate;

// Runs the detector over `pcm` frame by frame; the decision for each frame.
std::vector<bool> classify(const std::vector<int16_t> &pcm, VadConfig config = {}) {
  VoiceActivityDetector vad(config);
  std::vector<bool> speech;
  for (size_t f = 0; f < pcm.size() / kFrame; ++f)
    speech.push_back(vad.is_speech(test::frame_at(pcm, f)));
  return speech;
}

size_t count_speech(const std::vector<bool> &speech, size_t from, size_t to) {
  size_t count = 0;
  for (size_t f = from; f < to && f < speech.size(); ++f) count += speech[f] ? 1 : 0;
  return count;
}

constexpr size_t frames_per_second = kRate / kFrame;  // 25

TEST(Vad, FrameLevelIsRmsAgainstFullScale) {
  std::vector<int16_t> square(kFrame);
  for (size_t n = 0; n < kFrame; ++n) square[n] = (n % 2) ? 16384 : -16384;
  EXPECT_NEAR(frame_level_dbfs(square), -6.02, 0.01);
  EXPECT_EQ(frame_level_dbfs(std::vector<int16_t>(kFrame, 0)), -127.5);
  EXPECT_EQ(frame_level_dbfs({}), -127.5);
}

TEST(Vad, DigitalSilenceIsNotSpeechAfterWarmUp) {
  auto speech = classify(std::vector<int16_t>(10 * kRate, 0));
  // Warm-up (one 250 ms slot) plus the hangover may say speech; nothing after.
  EXPECT_EQ(count_speech(speech, frames_per_second, speech.size()), 0u);
}

TEST(Vad, SteadyBackgroundNoiseIsNotSpeech) {
  std::vector<double> signal(20 * kRate, 0.0);
  test::add_noise(signal, -35.0, 1);
  auto speech = classify(test::to_pcm(signal));
  EXPECT_LE(count_speech(speech, frames_per_second, speech.size()), 2u);
}

TEST(Vad, SpeechLikeBurstsOverNoiseAreSpeechAndThePausesAreNot) {
  // 2 s bursts every 4 s over a -50 dBFS background; the bursts at -20 dBFS.
  std::vector<double> signal(24 * kRate, 0.0);
  test::add_noise(signal, -50.0, 2);
  for (size_t start = 2; start < 24; start += 4) {
    test::add_speech_like(signal, start * kRate, (start + 2) * kRate, -20.0);
  }
  auto speech = classify(test::to_pcm(signal));
  size_t burst_frames = 0, burst_hits = 0, pause_frames = 0, pause_hits = 0;
  for (size_t start = 2; start < 24; start += 4) {
    const size_t first = start * frames_per_second;
    burst_frames += 2 * frames_per_second;
    burst_hits += count_speech(speech, first, first + 2 * frames_per_second);
    // The pause after it, past the 300 ms hangover.
    const size_t quiet = first + 2 * frames_per_second + 10;
    pause_frames += 2 * frames_per_second - 10;
    pause_hits += count_speech(speech, quiet, first + 4 * frames_per_second);
  }
  EXPECT_GE(burst_hits, burst_frames * 97 / 100) << burst_hits << " of " << burst_frames;
  EXPECT_LE(pause_hits, pause_frames * 2 / 100) << pause_hits << " of " << pause_frames;
}

TEST(Vad, HangoverKeepsWordEndsAndThenStops) {
  std::vector<double> signal(6 * kRate, 0.0);
  test::add_noise(signal, -60.0, 3);
  test::add_speech_like(signal, 2 * kRate, 3 * kRate, -20.0);
  auto speech = classify(test::to_pcm(signal));
  const size_t end = 3 * frames_per_second;
  // 300 ms of hangover: the 7 frames after the burst (280 ms) are still sent...
  EXPECT_EQ(count_speech(speech, end, end + 7), 7u);
  // ...and 1 s later nothing is.
  EXPECT_EQ(count_speech(speech, end + 10, end + 35), 0u);
}

TEST(Vad, AToneIsSpeechAtItsOnsetAndBackgroundOnceItOutlastsTheWindow) {
  std::vector<double> signal(12 * kRate, 0.0);
  test::add_noise(signal, -60.0, 4);
  test::add_tone(signal, 2 * kRate, 12 * kRate, 440.0, -25.0);
  auto speech = classify(test::to_pcm(signal));
  const size_t onset = 2 * frames_per_second;
  EXPECT_EQ(count_speech(speech, onset, onset + 10), 10u);
  // The 2 s floor window plus hangover later, a steady tone is background.
  EXPECT_EQ(count_speech(speech, onset + 3 * frames_per_second, speech.size()), 0u);
}

TEST(Vad, NoiseFloorFollowsTheBackground) {
  std::vector<double> signal(6 * kRate, 0.0);
  test::add_noise(signal, -45.0, 5);
  auto pcm = test::to_pcm(signal);
  VoiceActivityDetector vad;
  for (size_t f = 0; f < pcm.size() / kFrame; ++f) vad.is_speech(test::frame_at(pcm, f));
  EXPECT_NEAR(vad.noise_floor_dbfs(), -45.0, 1.5);
}

}  // namespace
}  // namespace wzp::audio
