// Live status and the end-of-call report, from the elements' stats and the
// mouth-to-ear delay measured on the frames themselves.
#pragma once

#include <gst/gst.h>

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace wzp::client {

// Matches frames leaving the sender's FEC encoder with the same frames
// leaving the receiver's jitter buffer (by stream and media timestamp, read
// from WzpHeaderMeta), both timed on one monotonic clock. Only works when
// both ends run in this process.
class MouthToEar {
 public:
  void attach(GstElement *sender, GstElement *receiver);
  // Delays in ms of the frames played so far, sorted.
  std::vector<double> delays_ms() const;

 private:
  static GstPadProbeReturn on_sent(GstPad *, GstPadProbeInfo *info, gpointer self);
  static GstPadProbeReturn on_played(GstPad *, GstPadProbeInfo *info, gpointer self);

  mutable std::mutex mutex_;
  std::unordered_map<uint64_t, std::chrono::steady_clock::time_point> sent_;
  std::vector<double> delays_ms_;
};

// One line: codec tier, loss, RTT, jitter-buffer delay, recovered, concealed.
std::string status_line(GstElement *sender, GstElement *receiver, const std::string &tier);
// The summary printed when the call ends.
std::string final_report(GstElement *sender, GstElement *receiver, const MouthToEar &delay,
                         const std::string &tier);
// The summary of a call between two processes: what we sent, and what of
// the peer's media we received, recovered, played and concealed (the
// mouth-to-ear delay needs both ends' clocks, so it is not there).
std::string call_summary(GstElement *sender, GstElement *receiver, const std::string &tier);

}  // namespace wzp::client
