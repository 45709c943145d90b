// What a relay can check of the loss a room member reports (issue 13: one
// member's false 100 % reports took a whole room to catastrophic). The
// member's figure is the share of the other members' packets that did not
// reach it, and each of those crossed two legs the relay sees: the sender's
// to the relay (the sender's sequence numbers say what went missing) and the
// relay's own to the member (the member's acknowledgements of the relay's
// datagrams say what arrived). A report of more loss than both legs
// together allow, beyond a one-second figure's spread, is not believed: its
// loss is clamped to the bound. A member whose leg is really bad still pulls
// the room down (the weakest link protects it); only the lie is undone.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

#include "libwzp/quality/packet_counts.hpp"
#include "libwzp/quality/tier.hpp"

namespace wzp::quality {

// The relay's view of what a member's report describes: the other members'
// packets reaching the relay (and forwarded), and the relay's datagrams
// reaching the member (sent: acknowledged, lost, or dropped before sending).
struct RelayView {
  PacketCounts upstream;
  PacketCounts downstream;

  RelayView operator-(const RelayView &base) const {
    return {upstream - base.upstream, downstream - base.downstream};
  }
};

struct PlausibilityConfig {
  // The report's figure is about a second of packets: its spread is a
  // binomial one over this many (the controller assumes as much,
  // ControllerConfig::collapse_loss_excess).
  uint64_t report_packets = 50;
  // Standard deviations of that figure allowed above the relay's view.
  double deviations = 2.0;
  // Loss that is always believed: what the relay cannot see, e.g. datagrams
  // the member acknowledged but could not use. Low enough that a liar held
  // here cannot keep the room below studio32k (it climbs on 2.8 %).
  double floor = 0.02;
  // Fewer datagrams settled on the member's leg say too little to doubt it.
  uint64_t min_downstream = 20;
};

// The most loss a report over `stretch` can plausibly show; nullopt when
// the view says too little to judge.
std::optional<double> plausible_loss(const RelayView &stretch,
                                     const PlausibilityConfig &config = {});

// Checks each report of one member against the relay's view of the stretch
// since the last one it checked.
class LossCheck {
 public:
  // `totals`: the relay's running totals when the member joined.
  explicit LossCheck(const RelayView &totals, const PlausibilityConfig &config = {})
      : config_(config), checked_(totals) {}

  // Clamps the report's loss to what the stretch since the last check, or
  // the one before it, allows; true if it had to (an implausible report). A
  // stretch that says too little counts towards the next, and its report is
  // held to what the last judged stretch allowed (the floor before any).
  bool clamp(PathObservation &report, const RelayView &totals);

 private:
  PlausibilityConfig config_;
  RelayView checked_;
  std::optional<double> previous_bound_;  // of the stretch checked before
};

// A member's RTT and jitter figures are its QUIC connection's to the relay
// (RTT and RTT variation), which the relay measures too, from its end. The
// two estimates differ by acknowledgement delays and smoothing, not by
// multiples: a figure beyond twice the relay's plus a margin is not
// believed (a false 1200 ms RTT would take a room to catastrophic).
struct LegDelay {
  double rtt_ms = 0;
  double rtt_variance_ms = 0;
};

// Clamps the report's RTT and jitter to what `relay` allows; true if it had
// to. A relay without an RTT sample (0) checks nothing.
bool clamp_delay(PathObservation &report, const LegDelay &relay);

}  // namespace wzp::quality
