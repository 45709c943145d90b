#include "libwzp/jitter/replay.hpp"

#include <algorithm>

namespace wzp::jitter {

ReplayResult replay(const JitterConfig &config, std::span<const Arrival> arrivals, int64_t end_ns) {
  ReplayResult result;
  result.playout_ns.assign(arrivals.size(), -1);
  JitterBuffer buffer(config, nullptr);
  size_t index = 0;
  int64_t now = arrivals.empty() ? 0 : arrivals.front().arrival_ns;
  for (;;) {
    for (; index < arrivals.size() && arrivals[index].arrival_ns <= now; ++index) {
      const Arrival &a = arrivals[index];
      buffer.insert(Frame{a.sequence, a.timestamp, a.duration, index}, a.arrival_ns);
    }
    Action action = buffer.next(now);
    if (action.kind != Action::Kind::kWait) {
      if (action.kind == Action::Kind::kPlay) {
        result.playout_ns[action.cookie] = action.time_ns;
        // A decoder that compresses removes all it is allowed to: the most
        // compression can do (speech pauses and unvoiced sounds give less).
        buffer.compressed(action.compress_ns);
      }
      result.actions.push_back(action);
      continue;
    }
    int64_t next_arrival =
        index < arrivals.size() ? arrivals[index].arrival_ns : JitterBuffer::kNever;
    int64_t wake = std::min(action.time_ns, next_arrival);
    if (wake == JitterBuffer::kNever || wake > end_ns) break;
    now = std::max(now, wake);
  }
  result.stats = buffer.stats();
  return result;
}

}  // namespace wzp::jitter
