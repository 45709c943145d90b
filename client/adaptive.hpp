// Adaptive quality during a call: the loop of docs/quality.md ("On the wire
// and in the client") around one quality::QualityController.
//
//   our receiver's stats ──(tick)──> our wzpfecenc "quality-report" ──> peer
//   peer's reports ──(wzpfecdec "wzp-quality-report" on the bus)──┐
//   our wzpquicsink "stats" ──(tick)──> controller <──────────────┘
//   controller's tier ──> our wzpvoiceenc codec/bitrate/frame-duration (or a
//                         plain opusenc's bitrate/frame-size) and wzpfecenc
//                         block-size/repair-ratio/interleave-depth
//
// Elements are found by factory inside `sender` and `receiver` (bins, or the
// elements themselves): sender wzpvoiceenc or opusenc (optional), wzpfecenc,
// wzpquicsink (optional); receiver wzpfecdec, wzpquicsrc (optional). Clock-free like the
// controller: every call takes the time. Not thread-safe: call it from one
// thread (the main loop's bus watch and a kTickIntervalMs timer).
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "client/quality_report.hpp"
#include "libwzp/quality/controller.hpp"
#include "libwzp/quality/loss_window.hpp"
#include "libwzp/quality/tier.hpp"
#include "libwzp/quality/tier_history.hpp"
#include "libwzp/trace/call_trace.hpp"

namespace wzp::client {

class AdaptiveQuality {
 public:
  // Applies `config.initial` to the sender at once. Null elements are
  // tolerated (the loop then does what it can; see has_*()).
  AdaptiveQuality(GstElement *sender, GstElement *receiver,
                  const quality::ControllerConfig &config = {}, quality::Micros now = clock_now());
  ~AdaptiveQuality();
  AdaptiveQuality(const AdaptiveQuality &) = delete;
  AdaptiveQuality &operator=(const AdaptiveQuality &) = delete;

  // Feeds a peer report posted by our wzpfecdec. Returns whether the
  // message was one (other messages are left alone).
  bool on_bus_message(GstMessage *message, quality::Micros now = clock_now());
  // Every kTickIntervalMs: once a second (a "full" tick, when it returns
  // true) writes our report from the receiver's stats, feeds the QUIC path
  // stats to the controller and lets time act. Until the peer's first report
  // the path stats go in at every tick: at the start of a call our own
  // link's loss is all we know, and it is known well before a second is up.
  bool tick(quality::Micros now = clock_now());
  static constexpr guint kTickIntervalMs = 250;
  // Sets the sender to `tier` as someone else decided it (the daemon's
  // directive in a room); the controller starts over from that tier.
  void impose(quality::Tier tier, quality::Micros now = clock_now());

  // Calls `hook` with each peer report before the controller sees it (the
  // video ladder, which must act before the audio's tier moves).
  void before_each_report(
      std::function<void(quality::Micros, const quality::PathObservation &)> hook) {
    before_report_ = std::move(hook);
  }
  // From now on, writes every input the controller gets and every tier
  // change as a line of a call trace (libwzp/trace/call_trace.hpp).
  void trace_to(std::function<void(const std::string &line)> write);

  quality::Tier tier() const { return controller_.tier(); }
  const quality::QualityController &controller() const { return controller_; }
  // Every tier the sender was set to, the initial one first.
  const quality::TierHistory &history() const { return history_; }
  // The report we last handed to our wzpfecenc, if any.
  const std::optional<quality::PathObservation> &last_report() const { return last_report_; }
  // The peer's last report: what of our media reaches it, and its RTT.
  const std::optional<quality::PathObservation> &peer_report() const { return peer_report_; }

  static quality::Micros clock_now();

 private:
  void apply(quality::Micros now, const quality::Decision &decision, bool imposed = false);
  void feed_sending_path(quality::Micros now);
  void feed_early_sending_path(quality::Micros now);
  void emit(const trace::ControllerInput &input) const;

  GstElement *voice_encoder_ = nullptr;
  GstElement *opus_encoder_ = nullptr;
  GstElement *fec_encoder_ = nullptr;
  GstElement *quic_sink_ = nullptr;
  GstElement *fec_decoder_ = nullptr;
  GstElement *quic_src_ = nullptr;
  quality::ControllerConfig config_;
  quality::QualityController controller_;
  QualityReporter reporter_;
  // Our sending link's loss over the last second or so (the lifetime
  // figure would pin the ladder down long after the path cleared).
  quality::LossWindow sending_loss_;
  std::optional<double> recent_sending_loss_;
  // Until the peer's first report, the same link's loss between the
  // once-a-second figures too, each over what settled since the last.
  quality::LossWindow early_sending_loss_;
  std::optional<quality::Micros> early_figure_at_;
  std::optional<quality::PathObservation> last_report_;
  std::optional<quality::PathObservation> peer_report_;
  quality::TierHistory history_;
  quality::Micros started_at_;
  std::optional<quality::Micros> last_full_tick_;
  std::function<void(const std::string &)> trace_;
  std::function<void(quality::Micros, const quality::PathObservation &)> before_report_;
};

}  // namespace wzp::client
