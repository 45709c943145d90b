// When a connection's congestion state starves the media it carries.
//
// ngtcp2 0.12's controllers read random loss as congestion: at 50-70 % loss
// the window falls to two packets, the probe timeout backs off without a
// cap, and media an application already sends at a rate it chose for the
// path goes stale in the queue, for good even after the path clears (see
// docs/quic.md). The remedy is a new congestion state (Connection::
// restart_if_starved). This decides when:
// once, over one window of time, at least `unsent_share` of the datagrams
// queued were dropped unsent (stale, or pushed out of a full queue), or the
// oldest datagram still queued has waited `max_wait` for room in the
// window (`max_wait_clean` after a window that lost under `clean_loss` of
// its datagrams, or while no signaling is unacknowledged); never again
// within `min_interval`.
#pragma once

#include <cstdint>

namespace wzp::quic {

struct StarvationConfig {
  uint64_t window_ns = 500'000'000;
  double unsent_share = 0.5;
  uint64_t min_datagrams = 10;  // fewer queued in a window: too few to judge
  uint64_t min_interval_ns = 2'000'000'000;
  // Media the application sends at the rate it chose waits this long only
  // when the window holds it back: at 50-70 % loss such waits spread
  // arrivals over hundreds of milliseconds before anything goes stale, and
  // the receiver's jitter buffer has to cover them (docs/fec-window.md).
  // 0: only dropped datagrams count.
  uint64_t max_wait_ns = 150'000'000;
  // On a path that loses little the window holds media back when BBRv2's
  // ProbeRTT halves it below what a long round trip holds (every 5-7 s on
  // an 800 ms path; docs/quic.md, "ProbeRTT on a long path"): a restart
  // after a pacing tick. Under loss only while no signaling waits for its
  // acknowledgement: a restart every 2 s once kept a room's keys, on the
  // stream, from crossing in time (each restart starts over the RTT
  // estimate that retransmissions wait on).
  uint64_t max_wait_clean_ns = 10'000'000;
  double clean_loss = 0.05;
};

class StarvationWatch {
 public:
  explicit StarvationWatch(StarvationConfig config = {}) : config_(config) {}

  // Fed with the connection's running totals (media datagrams queued,
  // dropped unsent, and declared lost on the way) and how long its oldest
  // queued datagram has waited; `signaling_idle`: none of the connection's
  // reliable signaling is unacknowledged (the short wait is then safe under
  // loss too). True when the connection should start on a fresh path now.
  // The next window starts then.
  bool starved(uint64_t now_ns, uint64_t datagrams_queued, uint64_t datagrams_dropped_unsent,
               uint64_t oldest_wait_ns = 0, uint64_t datagrams_lost = 0,
               bool signaling_idle = false);

 private:
  StarvationConfig config_;
  bool started_ = false;
  uint64_t window_start_ns_ = 0;
  uint64_t queued_at_start_ = 0;
  uint64_t unsent_at_start_ = 0;
  uint64_t lost_at_start_ = 0;
  bool clean_ = false;  // the last window lost under clean_loss (none seen yet: not)
  bool spaced(uint64_t now_ns) const;
  bool restart(uint64_t now_ns);

  bool restarted_ = false;
  uint64_t last_restart_ns_ = 0;
};

}  // namespace wzp::quic
