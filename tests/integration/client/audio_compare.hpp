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
// Writes `seconds` of a sine at `frequency` Hz, 48 kHz mono 16-bit PCM:
// what a test member sends.
void write_tone(const std::filesystem::path &path, double frequency, uint32_t seconds = 30);
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
// How alike a call's recording is to the speech sent, as the call tests
// score it: 20 ms envelopes in 2 s segments, each allowed to sit up to 1 s
// off; -1 when either file cannot be read.
double speech_similarity(const std::filesystem::path &sent, const std::filesystem::path &received);

}  // namespace wzp::test
