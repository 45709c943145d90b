// Direct calls: offer -> ringing -> answer -> setup -> hangup. The offer rings
// every device of the callee; the first to answer takes the call and the
// others stop ringing. Unanswered calls time out, and calls a callee could
// not take become missed-call records delivered when they come back. Every
// hangup names its call, so one call's end never touches another.
//
// Either party may be behind a link to another relay (docs/signal.md
// "Federation"): the caller's relay sends the offer on towards the
// callee's, every relay on the way keeps the call, and its messages travel
// hop by hop; the callee's relay rings, reserves the relay room and names
// it in the setup; each relay on the way reserves it too, with the parties
// behind its links as remote members, so media takes the same path.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "signald/core/metrics.hpp"
#include "signald/core/outbox.hpp"
#include "signald/core/presence.hpp"
#include "signald/core/rooms.hpp"
#include "signald/core/store_writer.hpp"

namespace wzp::signald {

struct CallSettings {
  std::chrono::milliseconds ring_timeout{30000};
  size_t max_calls_per_connection = 4;
  // Calls a linked relay may have open through us at once: its offers
  // beyond that are refused.
  size_t max_calls_per_link = 256;
};

// What calls need from the links to other relays; Federation implements it.
class CallLinks {
 public:
  virtual ~CallLinks() = default;
  // A call message for the relay behind `peer`. `key`: the public key of
  // the party it speaks for, on an offer (the caller) and a setup (the
  // callee), which the relays on the way check against its fingerprint.
  virtual void call_message(PeerId peer, const signal::Message &message,
                            const signal::PublicKey *key) = 0;
};

// Where a cluster keeps missed calls instead of this node's store
// (docs/signal.md "A cluster on Redis"), so that the callee gets them at the
// next login on any node. Its rules are the store's: only for a callee who
// has signed in before, at most signal::kMaxMissedCalls per callee, for
// kMissedCallLifetimeSeconds.
class MissedCallRegistry {
 public:
  virtual ~MissedCallRegistry() = default;
  virtual void add_missed_call(const std::string &callee, const signal::MissedCall &call) = 0;
  // At a login: notes the callee as seen and hands over (and forgets) its
  // missed calls, oldest first, those older than the lifetime left out.
  // `done` runs later on the thread that drives the Server, with nullopt
  // when the registry could not answer (the calls then wait for the next
  // login).
  virtual void take_missed_calls(
      const std::string &callee, uint64_t now_unix,
      std::function<void(std::optional<std::vector<signal::MissedCall>>, const Now &)> done) = 0;
};

class Calls {
 public:
  // `new_room_id` returns a fresh random room id for a call's relay room.
  Calls(Outbox &outbox, StoreWriter &writer, Presence &presence, Rooms &rooms,
        CallSettings settings, std::function<std::string()> new_room_id)
      : outbox_(outbox),
        writer_(writer),
        presence_(presence),
        rooms_(rooms),
        settings_(settings),
        new_room_id_(std::move(new_room_id)) {}

  void set_links(CallLinks *links) { links_ = links; }
  void set_missed_call_registry(MissedCallRegistry *registry) { missed_registry_ = registry; }

  // Each returns the error to send back to `from`, or nullopt on success.
  // `callee` is already resolved to a fingerprint; `callee_route` is the
  // link to the callee's relay when the callee is not signed in here.
  std::optional<signal::Error> offer(ConnectionId from, const std::string &caller,
                                     const signal::PublicKey &caller_key, signal::CallOffer offer,
                                     const std::string &callee, std::optional<PeerId> callee_route,
                                     const Now &now);
  std::optional<signal::Error> ringing(ConnectionId from, const signal::CallRinging &ringing);
  std::optional<signal::Error> answer(ConnectionId from, const signal::CallAnswer &answer,
                                      const signal::PublicKey &callee_key);
  std::optional<signal::Error> confirm(ConnectionId from, const signal::CallConfirm &confirm);
  // Passes a party's path step to the other party of an active call.
  std::optional<signal::Error> path(ConnectionId from, const signal::CallPath &path);
  // Passes a party's late candidates to the other party of an active call,
  // unless the party is a callee that answered without addresses.
  std::optional<signal::Error> candidates(ConnectionId from,
                                          const signal::CallCandidates &candidates);
  std::optional<signal::Error> hangup(ConnectionId from, const signal::CallHangup &hangup,
                                      const Now &now);
  void on_disconnect(ConnectionId conn, const Now &now);
  void tick(const Now &now);

  // From the relay behind `peer`: an offer whose caller that relay vouches
  // for (the caller checks this: the caller's route is `peer` and `key` is
  // the caller's), and the other call messages of calls that run through
  // `peer`. remote_offer says why it refused; remote() is false when
  // refused: not a call through `peer`, not its side's message, or a bad
  // setup.
  std::optional<CallRefusal> remote_offer(PeerId peer, signal::CallOffer offer,
                                          const signal::PublicKey &caller_key,
                                          std::optional<PeerId> callee_route, const Now &now);
  bool remote(PeerId peer, const signal::Message &message, const signal::PublicKey *key,
              const Now &now);
  // The link is gone: the calls through it end with `relay_lost`.
  void on_peer_lost(PeerId peer, const Now &now);

  struct StateCounts {
    uint64_t offered = 0, ringing = 0, active = 0;
    // Answered calls since start, by the media path they ended on: direct
    // if the callee's last call_path agreed to a direct one.
    uint64_t ended_direct = 0, ended_relay = 0;
  };
  StateCounts counts() const;

 private:
  enum class State { kOffered, kRinging, kActive };
  struct Call {
    std::string id;
    State state = State::kOffered;
    std::string caller;
    ConnectionId caller_conn = 0;       // 0 when the caller is behind a link
    std::optional<PeerId> caller_peer;  // the link towards the caller
    signal::PublicKey caller_key{};
    std::string callee;
    std::vector<ConnectionId> ringing_conns;  // callee devices still ringing
    ConnectionId callee_conn = 0;             // the device that answered
    std::optional<PeerId> callee_peer;        // the link towards the callee
    std::vector<std::string> caller_candidates;
    std::string relay_room;
    SteadyTime deadline;
    bool direct = false;                  // the callee's last call_path said kUse
    bool callee_hides_addresses = false;  // it answered accept_without_addresses
  };

  bool busy(const std::string &fingerprint) const;
  // Only the callee's relay keeps its missed calls (in a cluster: in the
  // registry).
  void record_missed(const Call &call, const Now &now);
  // Sends hangup to every party except `except` (a connection or the link
  // the hangup came from) and forgets the call.
  void end(std::map<std::string, Call>::iterator it, const std::string &reason, ConnectionId except,
           std::optional<PeerId> except_peer = std::nullopt);
  // To a party of the call, on this relay or behind its link.
  void to_caller(const Call &call, const signal::Message &message,
                 const signal::PublicKey *key = nullptr);
  void to_callee(const Call &call, const signal::Message &message);
  void to_link(PeerId peer, const signal::Message &message, const signal::PublicKey *key = nullptr);
  // Rings the callee's devices here, or says busy or unavailable.
  void ring(Call call, signal::CallOffer offer, const Now &now);

  Outbox &outbox_;
  StoreWriter &writer_;
  Presence &presence_;
  Rooms &rooms_;
  CallSettings settings_;
  std::function<std::string()> new_room_id_;
  CallLinks *links_ = nullptr;
  MissedCallRegistry *missed_registry_ = nullptr;
  std::map<std::string, Call> calls_;
  uint64_t ended_direct_ = 0;
  uint64_t ended_relay_ = 0;
};

}  // namespace wzp::signald
