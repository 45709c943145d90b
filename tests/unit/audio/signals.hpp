// Synthetic test signals at 8 kHz: deterministic noise, tones and speech-like
// voiced bursts (a harmonic buzz with a syllable-rate envelope).
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <span>
#include <vector>

namespace wzp::audio::test {

inline constexpr int kRate = 8000;
inline constexpr size_t kFrame = 320;  // 40 ms, Codec2 1200's frame

inline double amplitude_for_dbfs(double dbfs) { return 32768.0 * std::pow(10.0, dbfs / 20.0); }

// Adds white Gaussian noise of RMS `dbfs` to `samples`.
inline void add_noise(std::vector<double> &samples, double dbfs, uint32_t seed) {
  std::mt19937 random(seed);
  std::normal_distribution<double> normal(0.0, amplitude_for_dbfs(dbfs));
  for (double &s : samples) s += normal(random);
}

inline void add_tone(std::vector<double> &samples, size_t from, size_t to, double hz, double dbfs) {
  const double peak = amplitude_for_dbfs(dbfs) * std::numbers::sqrt2;
  for (size_t n = from; n < to && n < samples.size(); ++n) {
    samples[n] += peak * std::sin(2 * std::numbers::pi * hz * static_cast<double>(n) / kRate);
  }
}

// A voiced burst: harmonics of 130 Hz rolling off above 1 kHz, loudness
// following 4 syllables a second that dip 30 dB between syllables.
inline void add_speech_like(std::vector<double> &samples, size_t from, size_t to, double dbfs) {
  const double base = amplitude_for_dbfs(dbfs);
  for (size_t n = from; n < to && n < samples.size(); ++n) {
    const double t = static_cast<double>(n - from) / kRate;
    double voiced = 0;
    for (int h = 1; h * 130 < 3800; ++h) {
      voiced += std::sin(2 * std::numbers::pi * 130.0 * h * t) / (1.0 + h * 130.0 / 1000.0);
    }
    const double syllable = std::pow(std::sin(std::numbers::pi * 4.0 * t), 2.0);
    samples[n] += base * 0.6 * voiced * (0.03 + syllable);
  }
}

inline std::vector<int16_t> to_pcm(const std::vector<double> &samples) {
  std::vector<int16_t> pcm(samples.size());
  for (size_t n = 0; n < samples.size(); ++n) {
    pcm[n] = static_cast<int16_t>(std::lround(std::fmax(-32768.0, std::fmin(32767.0, samples[n]))));
  }
  return pcm;
}

inline std::span<const int16_t> frame_at(const std::vector<int16_t> &pcm, size_t index) {
  return std::span<const int16_t>(pcm).subspan(index * kFrame, kFrame);
}

}  // namespace wzp::audio::test
