// What `wzp echo-test` reports: how long our audio took to come back from
// a peer running `wzp answer --echo`, and how much what came back resembles
// what we sent. Both compare loudness envelopes (RMS in short windows),
// which survive codecs, resampling, loss concealment and delay.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace wzp::client {

inline constexpr int kEnvelopeWindowMs = 20;

// The RMS envelope of an audio file GStreamer can decode, in windows of
// kEnvelopeWindowMs; nullopt with `error` when it cannot be read.
std::optional<std::vector<double>> audio_envelope(const std::string &path, std::string &error);

struct EnvelopeMatch {
  size_t lag = 0;           // windows `received` runs behind `sent`
  double correlation = -1;  // Pearson correlation at that lag
};
// The lag in [0, max_lag] with the highest correlation, over at least
// `min_overlap` windows; correlation -1 when none qualifies.
EnvelopeMatch best_envelope_lag(const std::vector<double> &sent,
                                const std::vector<double> &received, size_t max_lag,
                                size_t min_overlap);

}  // namespace wzp::client
