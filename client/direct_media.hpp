// A call's direct path beside the relay (docs/nat.md, "Checks" to
// "Fallback"): the callee offers direct connections on its daemon socket
// and opens its NAT towards the caller's candidates; the caller dials the
// callee's candidates from its daemon socket, nominates the first that
// answers, and both move media onto it once the callee has echoed the
// nomination through the daemon. libwzp/nat's DirectPath decides; this
// does the I/O on the GLib main loop (and the QUIC handlers on the
// endpoint's I/O thread).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "client/call_signaling.hpp"
#include "libwzp/nat/direct_path.hpp"
#include "libwzp/nat/host_watch.hpp"
#include "libwzp/quic/link.hpp"
#include "libwzp/signal/session.hpp"

namespace wzp::client {

class DirectMedia {
 public:
  DirectMedia(signal::Session &session, EstablishedCall &call, bool caller,
              std::shared_ptr<quic::Link> link);
  // Stops accepting, closes the direct connections, media back on the relay.
  ~DirectMedia();
  DirectMedia(const DirectMedia &) = delete;
  DirectMedia &operator=(const DirectMedia &) = delete;

  // A call_path of this call from the peer.
  void on_path(const signal::CallPath &path);
  // Candidates the peer sent after its offer or answer (a gateway's port
  // mapping): checked like the first, and tried at once.
  void on_candidates(const signal::CallCandidates &late);
  // Call every 50 ms or so.
  void tick();

  // "relay", "direct reflexive", "direct v4 host", ...
  const std::string &path() const { return path_label_; }
  // Each move since the call started, "relay, direct reflexive at 0.42 s, ...".
  const std::string &history() const { return history_; }
  // Lines for the call summary.
  std::string summary() const;

 private:
  struct Check;
  struct Shared;
  using Clock = std::chrono::steady_clock;

  quic::ConnectionHandlers handlers(const std::shared_ptr<Check> &check);
  void start_checks(Clock::time_point now);
  void close_checks(const std::shared_ptr<Check> &keep);
  void fall_back(Clock::time_point now, const std::string &why, bool tell_peer);
  void apply_route(Clock::time_point now);
  void record(Clock::time_point now, const std::string &label, const std::string &why);
  void offer_new_hosts(Clock::time_point now);
  std::string label_for(const std::string &candidate) const;
  std::shared_ptr<quic::Connection> chosen_connection() const;

  signal::Session &session_;
  EstablishedCall &call_;
  const bool caller_;
  std::shared_ptr<Shared> shared_;
  nat::DirectPath decision_;
  const Clock::time_point started_;
  nat::HostWatch host_watch_;
  std::string certificate_;           // the callee's, from its offer (caller)
  std::vector<std::string> to_dial_;  // this round's candidates not yet dialed
  size_t round_candidates_ = 0;       // taken into this round, at most kMaxChecks
  Clock::time_point next_dial_{};
  Clock::time_point punch_until_{};  // callee: opening our NAT for the caller's checks
  Clock::time_point next_punch_{};
  Clock::time_point next_ping_{};
  nat::DirectPath::Route route_ = nat::DirectPath::Route::kRelay;
  std::string label_;  // of the agreed direct path
  std::string path_label_ = "relay";
  std::string history_ = "relay";
  double first_direct_s_ = -1;
  size_t rounds_ = 0;
  uint64_t direct_datagrams_ = 0;  // received on direct connections no longer used
  size_t dialed_ = 0;              // caller: checks dialed, over all rounds
  uint64_t punches_ = 0;           // callee: quic::Endpoint::send_punch datagrams
};

}  // namespace wzp::client
