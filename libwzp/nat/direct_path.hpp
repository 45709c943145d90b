// Which path a call's media takes, relay or direct, and when it moves
// (docs/nat.md, "Agreement", "Moving media", "Fallback"). Pure decisions on
// explicit times: the client feeds it what happened (the peer's offer, a
// check that completed, the agreement, the last time the direct path was
// heard) and asks where to send and what to do next.
//
// Media starts on the relay and stays there until both sides agreed on a
// direct path: the caller nominates the first direct connection that
// answered, the callee echoes it through the daemon, and only then does
// either send on it. Both paths carry every packet for an overlap after
// the agreement and whenever the direct path has been quiet for a moment,
// so a move in either direction leaves no gap (the receiver drops the
// second copy). A direct path quiet for a second is lost: media is back on
// the relay alone and the caller checks again after a back-off.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace wzp::nat {

struct DirectPathConfig {
  std::chrono::milliseconds check_budget{3000};   // a round of checks gives up after this
  std::chrono::milliseconds agree_timeout{2000};  // a nomination unanswered this long: relay
  std::chrono::milliseconds overlap{500};         // both paths after agreeing
  std::chrono::milliseconds consent_doubt{300};   // direct quiet this long: both paths
  std::chrono::milliseconds consent_lost{1000};   // direct quiet this long: relay alone
  std::chrono::milliseconds first_retry{2000};    // after a lost path or a failed round
  std::chrono::milliseconds max_retry{32000};     // the back-off doubles up to this
};

class DirectPath {
 public:
  using Time = std::chrono::steady_clock::time_point;
  enum class State { kRelay, kChecking, kAgreeing, kDirect };
  enum class Route { kRelay, kBoth, kDirect };
  enum class Action {
    kNone,
    kStartChecks,  // caller: dial the peer's candidates (and tell the callee)
    kStopChecks,   // caller: the round is over without a direct path
    kNominate,     // caller: propose the confirmed connection
    kFallBack,     // close the direct connection; media is on the relay alone
  };

  DirectPath(bool caller, const DirectPathConfig &config = {}) : caller_(caller), config_(config) {}

  // Caller: the callee offered direct connections; the first round starts
  // at the next tick.
  void offered(Time now);
  // Caller: the callee sent candidates after its offer (a gateway's port
  // mapping, an address that appeared), or ours changed: a round waiting
  // out its back-off starts at the next tick; while a direct path is in
  // use, at once when it is lost (it may be the change that lost it).
  void more_candidates(Time now);
  // Caller: a check's connection completed and the callee answered on it.
  Action confirmed(Time now);
  // Both agreed on the direct path: the caller heard the callee's echo,
  // the callee sent it. Counts as hearing the path.
  void agreed(Time now);
  // Caller: the callee refused the nomination. The peer said the path is
  // lost, or its connection closed: either side.
  Action lost(Time now);
  // The last time anything arrived on the direct connection.
  void heard(Time at);
  Action tick(Time now);

  State state() const { return state_; }
  Route route(Time now) const;
  // Moves to direct and back, for the summary.
  size_t switches() const { return switches_; }

 private:
  void back_off(Time now, bool reset);

  const bool caller_;
  const DirectPathConfig config_;
  State state_ = State::kRelay;
  bool offered_ = false;
  bool fresh_ = false;  // candidates came while a path was in use
  Time next_round_{};
  Time deadline_{};  // of the round, or of the nomination
  Time overlap_until_{};
  Time last_heard_{};
  std::chrono::milliseconds retry_{0};
  size_t switches_ = 0;
};

const char *to_string(DirectPath::Route route);

}  // namespace wzp::nat
