#include "libwzp/quality/controller.hpp"

#include <algorithm>
#include <cmath>

namespace wzp::quality {

const char *to_string(Change change) {
  switch (change) {
    case Change::kNone:
      return "none";
    case Change::kStepDown:
      return "step-down";
    case Change::kStepUp:
      return "step-up";
    case Change::kProbeStart:
      return "probe-start";
    case Change::kProbeCommit:
      return "probe-commit";
    case Change::kProbeAbort:
      return "probe-abort";
  }
  return "?";
}

QualityController::QualityController(const ControllerConfig &config, Micros now)
    : config_(config),
      committed_(std::min(config.initial, config.ceiling)),
      stable_since_(now),
      last_report_(now),
      cooldown_(config.probe_cooldown) {}

Decision QualityController::on_path_stats(Micros now, const PathObservation &stats) {
  path_stats_ = stats;
  path_stats_at_ = now;
  // Before the peer's first report our own link is all we know, and the
  // first seconds of a call count: a tier it already breaks is left without
  // waiting for the peer's reports (which ride the lossy media).
  return before_first_report(now, stats);
}

Decision QualityController::on_early_path_stats(Micros now, const PathObservation &stats,
                                                double share) {
  if (stats_.reports > 0 || probe_ || !(share > 0 && share < 1)) return unchanged();
  if (stats.loss <= collapse_limit(share)) return unchanged();
  return count_bad(now, classify(stats), true);
}

Decision QualityController::on_peer_media(Micros now, const PathObservation &seen) {
  return before_first_report(now, seen);
}

Decision QualityController::before_first_report(Micros now, const PathObservation &seen) {
  if (stats_.reports > 0 || probe_ || sustains(profile(committed_), seen)) return unchanged();
  return count_bad(now, classify(seen), add_bad_evidence(seen));
}

Decision QualityController::on_report(Micros now, const PathObservation &report) {
  ++stats_.reports;
  last_report_ = now;
  silent_steps_counted_ = 0;
  PathObservation seen = report;
  if (path_stats_ && now - path_stats_at_ <= config_.path_stats_max_age) {
    seen = PathObservation::worst(report, *path_stats_);
  }

  if (probe_) {
    if (sustains(profile(probe_->tier), seen)) {
      ++probe_->good;
    } else if (!sustains(profile(committed_), seen)) {
      // Worse than before the probe: back off, and this report already counts.
      const Decision abort = finish_probe(now, false);
      const Decision step = count_bad(now, classify(seen), add_bad_evidence(seen));
      return step.change == Change::kNone ? abort : step;
    } else if (++probe_->bad > config_.probe_bad_allowed) {
      return finish_probe(now, false);
    }
    if (now - probe_->started >= config_.probe_duration) {
      return finish_probe(now, probe_->good >= config_.probe_min_reports);
    }
    return unchanged();
  }

  if (!sustains(profile(committed_), seen)) {
    return count_bad(now, classify(seen), add_bad_evidence(seen));
  }

  bad_streak_ = 0;
  const std::optional<Tier> above = tier_above(committed_);
  if (above && *above <= config_.ceiling && sustains(profile(*above), seen, config_.up_margin)) {
    const int needed =
        profile(*above).is_studio() ? config_.good_to_step_up_studio : config_.good_to_step_up;
    if (++good_streak_ >= needed) {
      committed_ = *above;
      good_streak_ = 0;
      stable_since_ = now;
      ++stats_.step_ups;
      return Decision{committed_, Change::kStepUp};
    }
  } else {
    good_streak_ = 0;
  }
  return maybe_start_probe(now);
}

Decision QualityController::tick(Micros now) {
  if (probe_ && now - probe_->started >= config_.probe_duration) {
    return finish_probe(now, probe_->good >= config_.probe_min_reports);
  }
  const Micros silent = now - last_report_ - config_.silence_grace;
  if (silent >= Micros{0} && config_.silence_step.count() > 0) {
    const int64_t steps = silent / config_.silence_step + 1;
    Decision decision = unchanged();
    while (silent_steps_counted_ < steps) {
      if (!probe_ && committed_ == kLowestTier) {
        // At the floor a silent step only cycles the bad streak: skip whole
        // cycles (keeping one step to run), or a jump in time would loop
        // once per second of it.
        const int64_t cycle = std::max(config_.bad_to_step_down, 1);
        const int64_t skipped = (steps - silent_steps_counted_ - 1) / cycle * cycle;
        silent_steps_counted_ += skipped;
        stats_.silent_steps += static_cast<uint32_t>(skipped);
      }
      ++silent_steps_counted_;
      ++stats_.silent_steps;
      if (probe_) {
        decision = finish_probe(now, false);
        continue;
      }
      // Blind: assume the tier below is the best the path can do.
      const Decision step = count_bad(now, tier_below(committed_).value_or(kLowestTier));
      if (step.change != Change::kNone) decision = step;
    }
    return decision;
  }
  if (!probe_) return maybe_start_probe(now);
  return unchanged();
}

bool QualityController::add_bad_evidence(const PathObservation &seen) {
  if (bad_streak_ == 0) {
    streak_loss_sum_ = 0;
    streak_observations_ = 0;
  }
  streak_loss_sum_ += seen.loss;
  ++streak_observations_;
  const double n = streak_observations_;
  return streak_loss_sum_ / n > collapse_limit(n);
}

double QualityController::collapse_limit(double seconds) const {
  // A figure over `seconds` spreads 1/sqrt(seconds) as much as a second's.
  return profile(committed_).max_loss + config_.collapse_loss_excess / std::sqrt(seconds);
}

Decision QualityController::count_bad(Micros now, Tier best_sustainable, bool at_once) {
  good_streak_ = 0;
  stable_since_ = now;
  best_in_bad_streak_ = bad_streak_ == 0 || at_once
                            ? best_sustainable
                            : std::max(best_in_bad_streak_, best_sustainable);
  if (++bad_streak_ < config_.bad_to_step_down && !at_once) return unchanged();
  bad_streak_ = 0;
  if (committed_ == kLowestTier) return unchanged();
  committed_ = std::min(best_in_bad_streak_, tier_below(committed_).value_or(kLowestTier));
  ++stats_.step_downs;
  return Decision{committed_, Change::kStepDown};
}

Decision QualityController::maybe_start_probe(Micros now) {
  const std::optional<Tier> above = tier_above(committed_);
  if (!above || *above > config_.ceiling || bad_streak_ > 0 ||
      now - stable_since_ < config_.stable_before_probe || now < cooldown_until_) {
    return unchanged();
  }
  probe_ = Probe{*above, now};
  good_streak_ = 0;
  ++stats_.probes_started;
  return Decision{probe_->tier, Change::kProbeStart};
}

Decision QualityController::finish_probe(Micros now, bool success) {
  const Tier probed = probe_->tier;
  probe_.reset();
  stable_since_ = now;
  good_streak_ = 0;
  bad_streak_ = 0;
  if (success) {
    committed_ = probed;
    cooldown_ = config_.probe_cooldown;
    ++stats_.probes_committed;
    return Decision{committed_, Change::kProbeCommit};
  }
  cooldown_until_ = now + cooldown_;
  cooldown_ = std::min(cooldown_ * 2, config_.probe_cooldown_max);
  ++stats_.probes_aborted;
  return Decision{committed_, Change::kProbeAbort};
}

}  // namespace wzp::quality
