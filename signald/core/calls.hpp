// Direct calls: offer -> ringing -> answer -> setup -> hangup. The offer rings
// every device of the callee; the first to answer takes the call and the
// others stop ringing. Unanswered calls time out, and calls a callee could
// not take become missed-call records delivered when they come back. Every
// hangup names its call, so one call's end never touches another.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "signald/core/outbox.hpp"
#include "signald/core/presence.hpp"
#include "signald/core/rooms.hpp"
#include "signald/core/store_writer.hpp"

namespace wzp::signald {

struct CallSettings {
  std::chrono::milliseconds ring_timeout{30000};
  size_t max_calls_per_connection = 4;
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

  // Each returns the error to send back to `from`, or nullopt on success.
  // `callee` is already resolved to a fingerprint.
  std::optional<signal::Error> offer(ConnectionId from, const std::string &caller,
                                     signal::CallOffer offer, const std::string &callee,
                                     const Now &now);
  std::optional<signal::Error> ringing(ConnectionId from, const signal::CallRinging &ringing);
  std::optional<signal::Error> answer(ConnectionId from, const signal::CallAnswer &answer);
  std::optional<signal::Error> confirm(ConnectionId from, const signal::CallConfirm &confirm);
  // Passes a party's path step to the other party of an active call.
  std::optional<signal::Error> path(ConnectionId from, const signal::CallPath &path);
  std::optional<signal::Error> hangup(ConnectionId from, const signal::CallHangup &hangup,
                                      const Now &now);
  void on_disconnect(ConnectionId conn, const Now &now);
  void tick(const Now &now);

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
    ConnectionId caller_conn = 0;
    std::string callee;
    std::vector<ConnectionId> ringing_conns;  // callee devices still ringing
    ConnectionId callee_conn = 0;             // the device that answered
    std::vector<std::string> caller_candidates;
    std::string relay_room;
    SteadyTime deadline;
    bool direct = false;  // the callee's last call_path said kUse
  };

  bool busy(const std::string &fingerprint) const;
  void record_missed(const Call &call, const Now &now);
  // Sends hangup to every party except `except` and forgets the call.
  void end(std::map<std::string, Call>::iterator it, const std::string &reason,
           ConnectionId except);

  Outbox &outbox_;
  StoreWriter &writer_;
  Presence &presence_;
  Rooms &rooms_;
  CallSettings settings_;
  std::function<std::string()> new_room_id_;
  std::map<std::string, Call> calls_;
  uint64_t ended_direct_ = 0;
  uint64_t ended_relay_ = 0;
};

}  // namespace wzp::signald
