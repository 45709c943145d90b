// One point of the loss sweep: a loss model and rate, the settings each stack
// uses there, and the scores the receivers' outcomes give.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/sweep/stacks.hpp"
#include "libwzp/netsim/impairment.hpp"

namespace wzp::sweep {

struct PathSettings {
  int64_t delay_ms = 300;  // one way: 600 ms RTT
  int64_t jitter_ms = 40;
  uint64_t rate_bps = 200'000;
  int64_t queue_ms = 500;
  uint64_t seed = 1;
};

// What wzp's sender uses at one point.
struct WzpSettings {
  uint32_t opus_bps = 24'000;
  uint32_t block_frames = 8;
  double repair_ratio = 0.4;
  uint32_t interleave = 2;
};
// wzp's sender settings for a loss rate (see docs/loss-sweep.md for why).
// `max_group_frames` (0: no limit) caps K x D, the frames a lost frame may
// wait for its repair: over it, interleaving goes first, then K shrinks.
WzpSettings wzp_settings_for(double loss, uint32_t max_group_frames = 0);

struct Score {
  size_t frames = 0;
  size_t real = 0;          // played from received or repaired data, in time
  size_t via_opus_fec = 0;  // of those, rebuilt from the next packet's LBRR (stock)
  double mean_delay_ms = 0;
  double p95_delay_ms = 0;
  double wire_kbps = 0;  // packets + IP/UDP, as sent
  double real_pct() const { return frames ? 100.0 * static_cast<double>(real) / frames : 0; }
};

// wzp: a frame is real if it left wzpjitterbuffer as data. Its delay is
// playout minus capture start.
Score score_wzp(const std::vector<FrameOutcome> &outcomes, size_t frames, int64_t start_ns);

// Stock: a frame is real if rtpjitterbuffer pushed it in time, or if it is
// missing and the next frame was pushed in time carrying LBRR, which
// opusdec use-inband-fec=true decodes in its place. That decoder holds every
// frame for one more, so its delay includes one frame.
Score score_stock(const std::vector<FrameOutcome> &outcomes, const std::vector<bool> &has_lbrr,
                  size_t frames, int64_t start_ns);

// The arrival time (ns since the stream's start) of every packet through the
// model, or -1 for a lost one.
std::vector<int64_t> impair(const SentStream &stream, const netsim::DirectionConfig &config,
                            netsim::DirectionCounters &counters);

}  // namespace wzp::sweep
