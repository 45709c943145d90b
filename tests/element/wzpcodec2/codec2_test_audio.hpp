// Codec2 1200 framing and the test audio the DTX and packing element tests
// share (`using namespace wzp::test::codec2`): speech-like voice and
// white-noise background at 8 kHz.
#pragma once

#include <gst/gst.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace wzp::test::codec2 {

constexpr int kRate = 8000;
constexpr GstClockTime kFrameTime = 40 * GST_MSECOND;  // Codec2 1200
constexpr size_t kFrameBytes = 6;
constexpr size_t kSidBytes = 5;
constexpr const char *kRawCaps =
    "audio/x-raw, format=S16LE, rate=8000, channels=1, layout=interleaved";

// White noise at `dbfs` (RMS), the same for the same seed.
inline std::vector<int16_t> noise(size_t samples, double dbfs, uint32_t seed) {
  std::mt19937 random(seed);
  std::normal_distribution<double> normal(0.0, 32768.0 * std::pow(10.0, dbfs / 20.0));
  std::vector<int16_t> out(samples);
  for (int16_t &s : out) s = static_cast<int16_t>(std::lround(normal(random)));
  return out;
}

// Speech-like: a voiced 150 Hz buzz whose loudness follows four syllables a
// second. (A steady buzz would become background once it outlasts the
// detector's 2 s noise-floor window, as a tone does.)
inline std::vector<int16_t> voice(size_t samples) {
  std::vector<int16_t> out(samples);
  for (size_t i = 0; i < samples; ++i) {
    const double t = static_cast<double>(i) / kRate;
    double v = 0;
    for (int h = 1; h <= 20; ++h) v += std::sin(2 * M_PI * 150 * h * t + h * h) / h;
    const double syllable = std::pow(std::sin(M_PI * 4.0 * t), 2.0);
    out[i] = static_cast<int16_t>(2500 * v * (0.05 + syllable));
  }
  return out;
}

}  // namespace wzp::test::codec2
