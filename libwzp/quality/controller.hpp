// The adaptive quality controller for one sending direction. Clock-free: the
// caller passes the time with every call. Fed by the peer's quality reports
// (what arrives at the far end) and, merged into them, our own transport's
// path statistics.
//
//  - Down: after `bad_to_step_down` consecutive reports the current tier
//    cannot sustain, to the best tier those reports could sustain (so a
//    collapse drops several tiers at once, a wobble only one). A report
//    whose loss is beyond the tier's limit by `collapse_loss_excess` steps
//    down at once: each second at a tier far below the path loses speech,
//    while a step too many costs only quality until the climb. So do n bad
//    reports whose mean is beyond it by collapse_loss_excess / sqrt(n):
//    the same confidence, so a lost report or one a little short does not
//    cost a whole streak.
//  - Up: one tier after `good_to_step_up` consecutive reports that sustain
//    the tier above with margin (`good_to_step_up_studio` into studio tiers).
//  - Probe: after `stable_before_probe` without a bad report or a change,
//    send at the tier above for `probe_duration`; commit if at most
//    `probe_bad_allowed` reports broke its limits and at least
//    `probe_min_reports` arrived, else fall back and wait a cooldown that
//    doubles after each failed probe (reset by a success).
//  - Silence: with no report for `silence_grace`, every further
//    `silence_step` counts as a bad report, so a dead path steps down.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "libwzp/quality/tier.hpp"

namespace wzp::quality {

using Micros = std::chrono::microseconds;

struct ControllerConfig {
  Tier initial = Tier::kGood;
  Tier ceiling = kHighestTier;  // e.g. kGood where studio bitrates never make sense
  int bad_to_step_down = 3;
  // About two standard deviations of a one-second loss figure (50 packets)
  // around 30 %: random loss rarely fakes it. Pooled over n reports it
  // shrinks by sqrt(n).
  double collapse_loss_excess = 0.15;
  int good_to_step_up = 5;
  int good_to_step_up_studio = 10;
  double up_margin = 0.8;  // reports must beat the higher tier's limits by this factor
  Micros stable_before_probe{std::chrono::seconds(30)};
  Micros probe_duration{std::chrono::seconds(5)};
  int probe_bad_allowed = 1;
  int probe_min_reports = 3;
  Micros probe_cooldown{std::chrono::seconds(60)};
  Micros probe_cooldown_max{std::chrono::minutes(8)};
  Micros path_stats_max_age{std::chrono::seconds(5)};
  Micros silence_grace{std::chrono::seconds(5)};
  Micros silence_step{std::chrono::seconds(1)};
};

enum class Change : uint8_t {
  kNone,
  kStepDown,
  kStepUp,
  kProbeStart,
  kProbeCommit,
  kProbeAbort,
};
const char *to_string(Change change);

struct Decision {
  Tier tier;  // send at this tier now
  Change change = Change::kNone;
};

struct ControllerStats {
  uint32_t step_downs = 0;
  uint32_t step_ups = 0;
  uint32_t probes_started = 0;
  uint32_t probes_committed = 0;
  uint32_t probes_aborted = 0;
  uint32_t reports = 0;
  uint32_t silent_steps = 0;  // report intervals counted as bad for silence
};

class QualityController {
 public:
  explicit QualityController(const ControllerConfig &config = {}, Micros now = Micros{0});

  Decision on_report(Micros now, const PathObservation &report);
  Decision on_report(Micros now, const wire::QualityReport &report) {
    return on_report(now, PathObservation::from(report));
  }
  // Our transport's view of the same path; the worse of it and each report
  // decides, while it is fresher than path_stats_max_age. Until the first
  // report it counts as one where it breaks the tier (a step down only).
  Decision on_path_stats(Micros now, const PathObservation &stats);
  // A figure of our transport's that covers `share` of a second (0 < share
  // < 1; the client's quarter-second figures before the first report). Its
  // spread is wider than a second's by 1 / sqrt(share), so it steps down
  // only where it alone is a collapse that much beyond the tier's limit,
  // and it counts toward no streak: figures that close together are not the
  // independent reports a streak stands for.
  Decision on_early_path_stats(Micros now, const PathObservation &stats, double share);
  // What reaches us of the peer's media, as our report to it says. Until
  // the peer's first report it is the best guess of what reaches the peer
  // of ours (the same access links, the other way) and counts like our
  // path stats then, a step down only; after it, the peer's word decides.
  Decision on_peer_media(Micros now, const PathObservation &seen);
  // Lets time act without a report: probes end, silence counts.
  Decision tick(Micros now);

  Tier tier() const { return probe_ ? probe_->tier : committed_; }
  Tier committed_tier() const { return committed_; }
  bool probing() const { return probe_.has_value(); }
  const ControllerStats &stats() const { return stats_; }

 private:
  struct Probe {
    Tier tier;
    Micros started;
    int bad = 0;
    int good = 0;
  };

  // Before the first report: a step down if `seen` breaks the tier.
  Decision before_first_report(Micros now, const PathObservation &seen);
  Decision count_bad(Micros now, Tier best_sustainable, bool at_once = false);
  // Adds a bad observation to the streak's; whether their pooled loss is
  // beyond the tier's limit by more than collapse_loss_excess shrunk by
  // sqrt(observations): as sure of a collapse as one report that far off.
  bool add_bad_evidence(const PathObservation &seen);
  // The loss beyond which a figure covering `seconds` (pooled one-second
  // reports, or a share of one) is a collapse of the committed tier.
  double collapse_limit(double seconds) const;
  Decision maybe_start_probe(Micros now);
  Decision finish_probe(Micros now, bool success);
  Decision unchanged() const { return Decision{tier(), Change::kNone}; }

  ControllerConfig config_;
  Tier committed_;
  std::optional<Probe> probe_;
  int bad_streak_ = 0;
  double streak_loss_sum_ = 0;  // of the bad streak's observations (silence adds none)
  int streak_observations_ = 0;
  int good_streak_ = 0;
  Tier best_in_bad_streak_ = kLowestTier;
  Micros stable_since_;
  Micros last_report_;
  int64_t silent_steps_counted_ = 0;
  Micros cooldown_until_{0};
  Micros cooldown_;
  std::optional<PathObservation> path_stats_;
  Micros path_stats_at_{0};
  ControllerStats stats_;
};

}  // namespace wzp::quality
