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
// window; never again within `min_interval`.
#pragma once

#include <cstdint>

namespace wzp::quic {

struct StarvationConfig {
  uint64_t window_ns = 500'000'000;
  double unsent_share = 0.5;
  uint64_t min_datagrams = 10;  // fewer queued in a window: too few to judge
  uint64_t min_interval_ns = 2'000'000'000;
  // Media the application sends at the rate it chose waits only when the
  // window holds it back, and every wait spreads arrivals that the
  // receiver's jitter buffer has to cover: at 50-70 % loss, and on a clean
  // 800 ms path whenever BBRv2's ProbeRTT halves the window below what is in
  // flight (every 5-7 s; docs/quic.md, "ProbeRTT on a long path"). So a
  // wait of a pacing tick already counts. 0: only dropped datagrams count.
  uint64_t max_wait_ns = 10'000'000;
};

class StarvationWatch {
 public:
  explicit StarvationWatch(StarvationConfig config = {}) : config_(config) {}

  // Fed with the connection's running totals and how long its oldest queued
  // datagram has waited; true when the connection should start on a fresh
  // path now. The next window starts then.
  bool starved(uint64_t now_ns, uint64_t datagrams_queued, uint64_t datagrams_dropped_unsent,
               uint64_t oldest_wait_ns = 0);

 private:
  StarvationConfig config_;
  bool started_ = false;
  uint64_t window_start_ns_ = 0;
  uint64_t queued_at_start_ = 0;
  uint64_t unsent_at_start_ = 0;
  bool spaced(uint64_t now_ns) const;
  bool restart(uint64_t now_ns);

  bool restarted_ = false;
  uint64_t last_restart_ns_ = 0;
};

}  // namespace wzp::quic
