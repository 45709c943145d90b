// Arrival traces for the jitter buffer benchmark: which frames a sender sent
// (talkspurts with DTX silence between them, or continuous speech) and when
// each arrived. Generated deterministically from a seed, or loaded from a
// text file (see load_trace).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wzp::bench {

struct SentFrame {
  uint32_t sequence = 0;
  uint32_t timestamp = 0;  // 48 kHz
  int64_t send_ns = 0;
  int64_t arrival_ns = -1;  // -1: lost in the network
};

struct Trace {
  std::string name;
  std::vector<SentFrame> frames;  // in sending order
};

enum class Speech { kTalkspurts, kContinuous };

// The built-in patterns: steady, uniform40, heavytail, handover, step, reorder.
std::vector<std::string> trace_names();
Trace generate_trace(const std::string &name, uint64_t seed, Speech speech, int64_t length_ns);

// One frame per line: `send_ms arrival_ms` (arrival -1 for a lost frame),
// frames 20 ms apart in media time, in sending order; '#' starts a comment.
// A send time more than 20 ms after the previous one is a DTX gap.
std::optional<Trace> load_trace(const std::string &path);

}  // namespace wzp::bench
