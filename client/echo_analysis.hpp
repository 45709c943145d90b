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

// The best lag of `received` behind `sent`, up to `max_lag` windows, and the
// similarity around it (libwzp/audio/envelope.hpp's segmented similarity:
// 2 s segments, each allowed to sit 1 s either side, since two jitter buffers
// move the echo's delay during the call).
struct EchoMatch {
  size_t lag = 0;
  double similarity = -1;
};
EchoMatch match_echo(const std::vector<double> &sent, const std::vector<double> &received,
                     size_t max_lag, size_t min_overlap);

}  // namespace wzp::client
