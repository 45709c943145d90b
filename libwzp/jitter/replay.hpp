// Replays a list of frame arrivals through a JitterBuffer in simulated time,
// exactly as a live element would drive it: used by tests and the benchmark.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "libwzp/jitter/jitter_buffer.hpp"

namespace wzp::jitter {

struct Arrival {
  uint32_t sequence = 0;
  uint32_t timestamp = 0;
  uint32_t duration = 0;
  int64_t arrival_ns = 0;  // arrivals must be sorted by this
};

struct ReplayResult {
  // Per arrival: when it played, or -1 if it never did.
  std::vector<int64_t> playout_ns;
  // Everything the buffer did, in order.
  std::vector<Action> actions;
  JitterStats stats;
};

// Runs until every arrival is in and nothing is due before `end_ns`. With
// `config.compress_to_shrink`, every kPlay is played as short as it may be.
ReplayResult replay(const JitterConfig &config, std::span<const Arrival> arrivals, int64_t end_ns);

}  // namespace wzp::jitter
