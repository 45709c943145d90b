// Feeds a trace through a real jitter buffer element (ours or
// rtpjitterbuffer) in a GstHarness on a GstTestClock and records, for each
// frame, when it was pushed downstream and when a sink would play it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/jitter/traces.hpp"

namespace wzp::bench {

enum class Element { kWzp, kRtpJitterBuffer };

struct FrameOutcome {
  bool output = false;
  int64_t push_ns = 0;     // clock time when the element pushed it
  int64_t playout_ns = 0;  // PTS + the element's reported latency
};

struct ElementRun {
  std::vector<FrameOutcome> frames;  // indexed like trace.frames
  uint64_t stretched = 0;            // wzp: frames of delay growth and shrink inside speech
};

// latency_ms sets rtpjitterbuffer's latency property (0: its 200 ms default);
// wzpjitterbuffer picks its own delay and ignores it.
ElementRun run_element(const Trace &trace, Element element, int latency_ms = 0);

}  // namespace wzp::bench
