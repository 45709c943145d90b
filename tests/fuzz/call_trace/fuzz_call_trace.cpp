// Parses arbitrary text as a call trace. What parses must format back to
// text that parses to the same events, and replaying it through the
// controller and (for short traces) the jitter buffer must not crash.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "libwzp/trace/call_trace.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::trace;
  CallTrace trace;
  std::string error;
  if (!parse(std::string_view(reinterpret_cast<const char *>(data), size), trace, error)) {
    if (error.empty()) std::abort();
    return 0;
  }
  std::string text;
  for (const auto &input : trace.inputs) text += format(input) + "\n";
  for (const auto &change : trace.tiers) text += format(change) + "\n";
  for (const auto &arrival : trace.arrivals) text += format(arrival) + "\n";
  CallTrace again;
  if (!parse(text, again, error) || again.inputs.size() != trace.inputs.size() ||
      again.tiers.size() != trace.tiers.size() || again.arrivals.size() != trace.arrivals.size()) {
    std::abort();
  }
  replay_controller(trace.inputs);
  constexpr int64_t kShort = 60'000'000'000;
  if (!trace.arrivals.empty() && trace.arrivals.size() < 2000 &&
      trace.arrivals.back().arrival_ns - trace.arrivals.front().arrival_ns < kShort) {
    wzp::jitter::replay(trace.jitter, trace.arrivals, trace.arrivals.back().arrival_ns + kShort);
  }
  return 0;
}
