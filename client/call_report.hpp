// Live status and the end-of-call report, from the elements' stats and the
// mouth-to-ear delay measured on the frames themselves.
#pragma once

#include <gst/gst.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "libwzp/quality/tier.hpp"

namespace wzp::client {

// Matches frames leaving the sender's FEC encoder with the same frames
// leaving the receiver's jitter buffer (by stream and media timestamp, read
// from WzpHeaderMeta), both timed on one monotonic clock. Only works when
// both ends run in this process. The probes allocate nothing: the frames
// in flight sit in a fixed ring (the last kInFlight sent; an older one is
// not matched) and the delays in a fixed histogram of 1 ms buckets.
class MouthToEar {
 public:
  struct Summary {
    uint64_t frames = 0;  // played frames matched with their sending
    double mean_ms = 0;
    double p95_ms = 0;  // to the 1 ms bucket (its middle)
  };

  void attach(GstElement *sender, GstElement *receiver);
  Summary summary() const;

 private:
  // 20 s of 20 ms frames: far beyond any jitter buffer's delay.
  static constexpr size_t kInFlight = 1024;
  static constexpr size_t kBuckets = 10000;  // 1 ms each; the last holds anything longer
  struct SentFrame {
    uint64_t key = 0;
    std::chrono::steady_clock::time_point at;
    bool waiting = false;
  };

  static GstPadProbeReturn on_sent(GstPad *, GstPadProbeInfo *info, gpointer self);
  static GstPadProbeReturn on_played(GstPad *, GstPadProbeInfo *info, gpointer self);

  mutable std::mutex mutex_;
  std::array<SentFrame, kInFlight> sent_{};
  size_t next_sent_ = 0;
  std::array<uint32_t, kBuckets> delay_buckets_{};
  uint64_t delays_ = 0;
  double delay_sum_ms_ = 0;
};

// One line: codec tier, frames sent, the RTT and loss our QUIC link
// measures to `link_end` (the daemon, in a relayed call: half the media's
// path), what the peer's last report says reaches it (the whole path), the
// jitter-buffer delay, frames played, recovered and concealed.
std::string status_line(GstElement *sender, GstElement *receiver, const std::string &tier,
                        const char *link_end,
                        const std::optional<quality::PathObservation> &peer_report);
// The summary printed when a loopback call ends.
std::string final_report(GstElement *sender, GstElement *receiver, const MouthToEar &delay,
                         const std::string &tier);
// The summary of a call between two processes: what we sent, and what of
// the peer's media we received, recovered, played and concealed (the
// mouth-to-ear delay needs both ends' clocks, so it is not there); our
// path to the daemon, and the peer's last report of what reaches it.
// `over_tls`: the path is the TLS fallback, whose loss TCP hides.
std::string call_summary(GstElement *sender, GstElement *receiver, const std::string &tier,
                         const std::optional<quality::PathObservation> &peer_report, bool over_tls);
// "what the peer reports" for a status line or summary.
std::string describe_peer_report(const std::optional<quality::PathObservation> &peer_report);

}  // namespace wzp::client
