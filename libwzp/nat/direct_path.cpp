#include "libwzp/nat/direct_path.hpp"

#include <algorithm>
#include <utility>

namespace wzp::nat {

void DirectPath::offered(Time now) {
  if (!caller_ || offered_) return;
  offered_ = true;
  next_round_ = now;
  retry_ = config_.first_retry;
}

void DirectPath::more_candidates(Time now) {
  if (!caller_ || !offered_) return;
  if (state_ == State::kRelay) next_round_ = std::min(next_round_, now);
  if (state_ == State::kDirect || state_ == State::kAgreeing) fresh_ = true;
}

DirectPath::Action DirectPath::confirmed(Time now) {
  if (!caller_ || state_ != State::kChecking) return Action::kNone;
  state_ = State::kAgreeing;
  deadline_ = now + config_.agree_timeout;
  return Action::kNominate;
}

void DirectPath::agreed(Time now) {
  if (caller_ && state_ != State::kAgreeing) return;
  if (state_ != State::kDirect) ++switches_;
  state_ = State::kDirect;
  overlap_until_ = now + config_.overlap;
  last_heard_ = std::max(last_heard_, now);
}

DirectPath::Action DirectPath::lost(Time now) {
  if (state_ != State::kDirect && state_ != State::kAgreeing) return Action::kNone;
  if (state_ == State::kDirect) ++switches_;
  // A path that worked is likely to work again soon (a route flapped);
  // a refused nomination is not.
  back_off(now, state_ == State::kDirect);
  if (std::exchange(fresh_, false)) next_round_ = now;
  state_ = State::kRelay;
  return Action::kFallBack;
}

void DirectPath::heard(Time at) { last_heard_ = std::max(last_heard_, at); }

DirectPath::Action DirectPath::tick(Time now) {
  switch (state_) {
    case State::kRelay:
      if (caller_ && offered_ && now >= next_round_) {
        state_ = State::kChecking;
        deadline_ = now + config_.check_budget;
        return Action::kStartChecks;
      }
      return Action::kNone;
    case State::kChecking:
      if (now < deadline_) return Action::kNone;
      back_off(now, false);
      state_ = State::kRelay;
      return Action::kStopChecks;
    case State::kAgreeing:
      if (now < deadline_) return Action::kNone;
      back_off(now, false);
      state_ = State::kRelay;
      return Action::kFallBack;
    case State::kDirect:
      if (now - last_heard_ < config_.consent_lost) return Action::kNone;
      return lost(now);
  }
  return Action::kNone;
}

DirectPath::Route DirectPath::route(Time now) const {
  if (state_ != State::kDirect) return Route::kRelay;
  if (now < overlap_until_ || now - last_heard_ >= config_.consent_doubt) return Route::kBoth;
  return Route::kDirect;
}

void DirectPath::back_off(Time now, bool reset) {
  if (!caller_) return;
  if (reset) {
    retry_ = config_.first_retry;
  }
  next_round_ = now + retry_;
  if (!reset) retry_ = std::min(retry_ * 2, config_.max_retry);
}

const char *to_string(DirectPath::Route route) {
  switch (route) {
    case DirectPath::Route::kRelay:
      return "relay";
    case DirectPath::Route::kBoth:
      return "both";
    case DirectPath::Route::kDirect:
      return "direct";
  }
  return "relay";
}

}  // namespace wzp::nat
