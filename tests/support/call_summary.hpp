// The frame counts a `wzp` call summary prints (client/call_report.cpp),
// read the same way by every test that runs a call.
#pragma once

#include <cstdint>
#include <regex>
#include <string>

namespace wzp::test {

struct SummaryFrames {
  uint64_t played = 0;     // played from real data: received, or rebuilt by FEC
  uint64_t concealed = 0;  // played by concealment (a call's summary; loopback's has none)
  bool found = false;      // the summary had the "frames played" line

  // Played from real data, as a share of all played frames.
  double real_share() const {
    uint64_t total = played + concealed;
    return total == 0 ? 0.0 : static_cast<double>(played) / static_cast<double>(total);
  }
};

inline SummaryFrames summary_frames(const std::string &report) {
  std::smatch m;
  SummaryFrames frames;
  if (std::regex_search(
          report, m, std::regex(R"(frames played\s+(\d+) from real data(, (\d+) concealed)?)"))) {
    frames.played = std::stoull(m[1]);
    if (m[3].matched) frames.concealed = std::stoull(m[3]);
    frames.found = true;
  }
  return frames;
}

}  // namespace wzp::test
