#include "libwzp/audio/time_compress.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <numbers>
#include <random>
#include <vector>

namespace wzp::audio {
namespace {

constexpr size_t kFrame48k = 960;  // 20 ms at 48 kHz

std::vector<int16_t> sine_48k(size_t count, double hz, double peak) {
  std::vector<int16_t> out(count);
  for (size_t n = 0; n < count; ++n) {
    out[n] = static_cast<int16_t>(
        std::lround(peak * std::sin(2 * std::numbers::pi * hz * static_cast<double>(n) / 48000)));
  }
  return out;
}

int largest_step(const std::vector<int16_t> &pcm) {
  int step = 0;
  for (size_t n = 1; n < pcm.size(); ++n) step = std::max(step, std::abs(pcm[n] - pcm[n - 1]));
  return step;
}

// A stream of frames, each compressed by up to `max_remove`, joined again.
std::vector<int16_t> compress_stream(const std::vector<int16_t> &in, size_t max_remove,
                                     size_t &removed) {
  std::vector<int16_t> out;
  removed = 0;
  for (size_t at = 0; at + kFrame48k <= in.size(); at += kFrame48k) {
    std::vector<int16_t> frame(in.begin() + static_cast<std::ptrdiff_t>(at),
                               in.begin() + static_cast<std::ptrdiff_t>(at + kFrame48k));
    size_t cut = compress_frame(frame, max_remove);
    EXPECT_LE(cut, max_remove);
    removed += cut;
    out.insert(out.end(), frame.begin(), frame.end() - static_cast<std::ptrdiff_t>(cut));
  }
  return out;
}

TEST(TimeCompress, RemovesWholePitchPeriodsOfATone) {
  // 200 Hz: a period of 240 samples (5 ms).
  auto frame = sine_48k(kFrame48k, 200, 10000);
  const auto original = frame;
  size_t removed = compress_frame(frame, 480);
  EXPECT_EQ(removed % 240, 0u);
  EXPECT_GE(removed, 240u);
  // What is left is the tone itself, one or more periods on.
  for (size_t n = 0; n + removed < kFrame48k; ++n) {
    EXPECT_NEAR(frame[n], original[n + removed], 2) << n;
  }
}

TEST(TimeCompress, CompressedToneHasNoClickAtTheJoints) {
  auto tone = sine_48k(50 * kFrame48k, 173, 12000);  // a period of 277.5 samples
  size_t removed = 0;
  auto out = compress_stream(tone, 480, removed);
  EXPECT_EQ(out.size(), tone.size() - removed);
  EXPECT_GT(removed, 50u * 200);  // a period nearly every frame
  // The tone's own largest step, with a little slack for the fade.
  EXPECT_LE(largest_step(out), largest_step(tone) * 11 / 10);
}

TEST(TimeCompress, NeverRemovesMoreThanAskedOrHalfTheFrame) {
  auto frame = sine_48k(kFrame48k, 200, 10000);
  EXPECT_EQ(compress_frame(frame, 100), 0u);  // below a period: nothing fits
  std::vector<int16_t> quiet(kFrame48k, 3);
  EXPECT_EQ(compress_frame(quiet, 5000), kFrame48k / 2);
  std::vector<int16_t> tiny(1, 0);
  EXPECT_EQ(compress_frame(tiny, 10), 0u);
}

TEST(TimeCompress, SilenceAndQuietNoiseCompressAsMuchAsAsked) {
  std::vector<int16_t> silence(kFrame48k, 0);
  EXPECT_EQ(compress_frame(silence, 300), 300u);
  std::mt19937 random(3);
  std::normal_distribution<double> normal(0, 50);  // about -56 dBFS
  std::vector<int16_t> hiss(kFrame48k);
  for (auto &s : hiss) s = static_cast<int16_t>(std::lround(normal(random)));
  size_t removed = 0;
  auto out = compress_stream(hiss, 300, removed);
  EXPECT_EQ(removed, 300u);
}

TEST(TimeCompress, LoudNoiseIsLeftAlone) {
  std::mt19937 random(5);
  std::normal_distribution<double> normal(0, 5000);  // about -16 dBFS
  std::vector<int16_t> noise(40 * kFrame48k);
  for (auto &s : noise)
    s = static_cast<int16_t>(std::lround(std::clamp(normal(random), -32768.0, 32767.0)));
  size_t removed = 0;
  auto out = compress_stream(noise, 480, removed);
  EXPECT_EQ(removed, 0u);
  EXPECT_EQ(out, noise);
}

}  // namespace
}  // namespace wzp::audio
