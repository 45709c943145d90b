// Reads 16-bit PCM WAV files for the client tests and compares two recordings
// of the same speech by their loudness envelopes (libwzp/audio/envelope.hpp).
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

namespace wzp::test {

struct Pcm {
  int rate = 0;
  std::vector<float> samples;  // first channel, in [-1, 1]
};

std::optional<Pcm> read_wav(const std::filesystem::path &path);
// Writes 30 s of a sine at `frequency` Hz, 48 kHz mono 16-bit PCM: what a
// test member sends.
void write_tone(const std::filesystem::path &path, double frequency);
// RMS in consecutive windows of `window_ms`.
std::vector<double> envelope(const Pcm &pcm, int window_ms);
// Highest Pearson correlation of `b` against `a` over lags of up to
// max_lag windows either way.
double best_envelope_correlation(const std::vector<double> &a, const std::vector<double> &b,
                                 size_t max_lag);

// The mean, over consecutive segments of `a`, of each segment's best
// correlation with `b` within +/- max_lag windows: tolerant of the delay
// changes a jitter buffer makes during a call.
double segmented_similarity(const std::vector<double> &a, const std::vector<double> &b,
                            size_t segment, size_t max_lag);

}  // namespace wzp::test
