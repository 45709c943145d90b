// A recorded call: what its quality controller was fed and decided, and
// every frame that reached its jitter buffer, with the times they happened.
// `wzp loopback|call|answer --trace FILE` writes one; a test replays it
// through the clock-free controller and jitter buffer (replay_controller,
// jitter::replay), so a live call's behaviour can be examined and kept.
//
// Text, one event per line, fields separated by spaces; '#' starts a comment:
//   jitter <quantile> <latency_ms> <min_latency_ms> <max_latency_ms>
//   start <us> <tier>                 the controller starts at <tier>
//   report <us> <loss> <rtt_ms> <jitter_ms> <bandwidth_kbps>   the peer's report
//   path <us> <loss> <rtt_ms> <jitter_ms> <bandwidth_kbps>     our QUIC path's view
//   early <us> <loss> <rtt_ms> <jitter_ms> <bandwidth_kbps> <share>   the same over
//                                     <share> of a second, before the first report
//   media <us> <loss> <rtt_ms> <jitter_ms> <bandwidth_kbps>    what reaches us of the peer's
//   tick <us>                         time acts without a report
//   impose <us> <tier>                set from outside (a room's directive)
//   tier <us> <tier> <change> [imposed]   what the live call decided
//   arrival <ns> <sequence> <timestamp> <duration>   a frame into the jitter buffer
// Controller times are microseconds of one monotonic clock; arrival times
// are the receiver pipeline's running time in nanoseconds.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libwzp/jitter/jitter_buffer.hpp"
#include "libwzp/jitter/replay.hpp"
#include "libwzp/quality/controller.hpp"
#include "libwzp/quality/tier_history.hpp"

namespace wzp::trace {

struct ControllerInput {
  enum class Kind : uint8_t {
    kStart,
    kReport,
    kPathStats,
    kEarlyPathStats,
    kPeerMedia,
    kTick,
    kImpose
  };
  Kind kind = Kind::kTick;
  quality::Micros at{0};
  quality::PathObservation observation;          // kReport, kPathStats, kEarlyPathStats
  quality::Tier tier = quality::kCallStartTier;  // kStart, kImpose
  double share = 1.0;                            // kEarlyPathStats: of a second
};

struct CallTrace {
  jitter::JitterConfig jitter;
  std::vector<ControllerInput> inputs;  // in the order the call fed them
  quality::TierHistory tiers;           // what the live call decided
  std::vector<jitter::Arrival> arrivals;
};

std::string format_jitter(const jitter::JitterConfig &config);
std::string format(const ControllerInput &input);
std::string format(const quality::TierChange &change);
std::string format(const jitter::Arrival &arrival);

// Parses a whole trace; on failure returns false with `error` naming the
// line. Arrivals are sorted by time (a live recording is already).
bool parse(std::string_view text, CallTrace &trace, std::string &error);

// Feeds `inputs` to a controller built from `config` (its initial tier
// taken from each kStart/kImpose) and returns the tiers it chose.
quality::TierHistory replay_controller(std::span<const ControllerInput> inputs,
                                       const quality::ControllerConfig &config = {});

}  // namespace wzp::trace
