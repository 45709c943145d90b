// A direct call that outlives the relay node carrying it (docs/signal.md,
// "Calls survive their node"). Given several nodes of one service, a party
// whose connection to its node ends signs in to another, and a party told
// that the other's node was lost (call_hangup `relay_lost`) stays; both
// then meet in a room named from the call's keys, where media goes on
// sealed with the same keys. CallResume decides, without a clock: the
// caller passes each event's time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "libwzp/crypto/handshake.hpp"

namespace wzp::signal {

// How long a party waits in the meeting room for the other: a node's
// death takes about 3 s to notice and 0.2 s to sign in elsewhere
// (docs/signal.md), so 10 s leaves room for a slow redial but does not
// keep a party talking to nobody for long when the other is gone for good.
inline constexpr std::chrono::milliseconds kCallResumeWait{10000};

// The room the parties meet in: 32 hex digits from both traffic secrets
// (HKDF, a label of its own), the same on both sides and known to no one
// else until a party joins it. An open room, since a room with an
// allow-list does not span a cluster's nodes; whoever else joins gets only
// media sealed with keys it does not have.
std::string call_resume_room(const crypto::CallKeys &keys);

class CallResume {
 public:
  using Time = std::chrono::steady_clock::time_point;
  enum class Action {
    kNone,
    kRedial,  // sign in to another node, then signed_in()
    kMeet,    // join the meeting room on the connection we have
    kEnd,     // the call is over
  };

  // `resumable`: the client knows several nodes of the service; with one,
  // every loss ends the call as before.
  explicit CallResume(bool resumable, std::chrono::milliseconds wait = kCallResumeWait)
      : resumable_(resumable), wait_(wait) {}

  // The daemon hung our call up with `reason`.
  Action on_hangup(std::string_view reason, Time now);
  // Our connection to the daemon ended.
  Action on_connection_lost(Time now);
  // After kRedial: signed in again (kMeet), or no node answered (kEnd).
  Action on_redialed(bool signed_in, Time now);
  // The other party is in the meeting room, or left it (its node died
  // too; a hangup after a resume comes as a room signal and ends the call
  // without a decision).
  void on_peer_joined(Time now);
  void on_peer_left(Time now);
  // kEnd once the other party has not come within the wait, counted from
  // the loss or, after a redial, from when we were signed in again: the
  // time a redial takes (up to 30 s of dead nodes) is not the peer's.
  Action tick(Time now) const;

  // Waiting for the other party (since a loss, until it is back).
  bool waiting() const { return lost_at_.has_value(); }
  // Times the call came back, and how long the last took from the loss.
  uint32_t resumes() const { return resumes_; }
  std::chrono::milliseconds last_resume() const { return last_resume_; }

 private:
  void lost(Time now);

  bool resumable_;
  std::chrono::milliseconds wait_;
  std::optional<Time> lost_at_;
  Time wait_from_{};
  uint32_t resumes_ = 0;
  std::chrono::milliseconds last_resume_{0};
};

}  // namespace wzp::signal
