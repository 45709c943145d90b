#include "signald/core/calls.hpp"

#include <algorithm>

namespace wzp::signald {

namespace {
constexpr ConnectionId kNobody = 0;  // connection ids start at 1

bool contains(const std::vector<ConnectionId> &conns, ConnectionId conn) {
  return std::find(conns.begin(), conns.end(), conn) != conns.end();
}
}  // namespace

bool Calls::busy(const std::string &fingerprint) const {
  return std::any_of(calls_.begin(), calls_.end(), [&fingerprint](const auto &entry) {
    const Call &call = entry.second;
    return call.state == State::kActive &&
           (call.caller == fingerprint || call.callee == fingerprint);
  });
}

void Calls::record_missed(const Call &call, const Now &now) {
  writer_.submit(
      [callee = call.callee, missed = signal::MissedCall{call.id, call.caller, now.unix_seconds}](
          Store &store) { store.add_missed_call(callee, missed); });
}

void Calls::end(std::map<std::string, Call>::iterator it, const std::string &reason,
                ConnectionId except) {
  Call &call = it->second;
  std::vector<ConnectionId> parties = call.ringing_conns;
  parties.push_back(call.caller_conn);
  if (call.state == State::kActive) parties.push_back(call.callee_conn);
  for (ConnectionId conn : parties) {
    if (conn != except) outbox_.send(conn, signal::CallHangup{call.id, reason});
  }
  if (!call.relay_room.empty()) rooms_.release(call.relay_room);
  if (call.state == State::kActive) ++(call.direct ? ended_direct_ : ended_relay_);
  calls_.erase(it);
}

std::optional<signal::Error> Calls::offer(ConnectionId from, const std::string &caller,
                                          signal::CallOffer offer, const std::string &callee,
                                          const Now &now) {
  if (offer.call_id.empty()) return make_error("bad_call_id", "call_id must not be empty");
  if (calls_.contains(offer.call_id)) {
    return make_error("call_id_in_use", "choose a fresh random call id", offer.call_id);
  }
  auto mine = std::count_if(calls_.begin(), calls_.end(),
                            [from](const auto &entry) { return entry.second.caller_conn == from; });
  if (static_cast<size_t>(mine) >= settings_.max_calls_per_connection) {
    return make_error("too_many_calls", "too many calls from this connection", offer.call_id);
  }
  if (callee == caller) return make_error("cannot_call_self", "that is you", offer.call_id);

  Call call;
  call.id = offer.call_id;
  call.caller = caller;
  call.caller_conn = from;
  call.callee = callee;
  call.caller_candidates = offer.candidates;
  call.deadline = now.steady + settings_.ring_timeout;
  if (!presence_.online(callee) || busy(callee)) {
    record_missed(call, now);
    const char *reason = presence_.online(callee) ? "busy" : "unavailable";
    outbox_.send(from, signal::CallHangup{call.id, reason});
    return std::nullopt;
  }
  call.ringing_conns = presence_.devices(callee);
  offer.caller = caller;
  offer.callee = callee;
  // The caller's addresses go to the device that answers, in its setup;
  // not to every device that rings, nor to one that never answers.
  offer.candidates.clear();
  for (ConnectionId device : call.ringing_conns) outbox_.send(device, offer);
  calls_.emplace(call.id, std::move(call));
  return std::nullopt;
}

std::optional<signal::Error> Calls::ringing(ConnectionId from, const signal::CallRinging &ringing) {
  auto it = calls_.find(ringing.call_id);
  if (it == calls_.end() || !contains(it->second.ringing_conns, from)) {
    return make_error("unknown_call", "no such call ringing here", ringing.call_id);
  }
  Call &call = it->second;
  if (call.state == State::kOffered) {
    call.state = State::kRinging;
    outbox_.send(call.caller_conn, signal::CallRinging{call.id});
  }
  return std::nullopt;
}

std::optional<signal::Error> Calls::answer(ConnectionId from, const signal::CallAnswer &answer) {
  auto it = calls_.find(answer.call_id);
  if (it == calls_.end() || !contains(it->second.ringing_conns, from)) {
    return make_error("unknown_call", "no such call ringing here", answer.call_id);
  }
  Call &call = it->second;
  if (answer.mode == signal::AnswerMode::kReject) {
    // The answering device needs no hangup; the caller and the other
    // devices do.
    std::erase(call.ringing_conns, from);
    end(it, "rejected", kNobody);
    return std::nullopt;
  }
  for (ConnectionId device : call.ringing_conns) {
    if (device != from) outbox_.send(device, signal::CallHangup{call.id, "answered_elsewhere"});
  }
  call.ringing_conns.clear();
  call.callee_conn = from;
  call.state = State::kActive;
  call.relay_room = new_room_id_();
  rooms_.reserve(call.relay_room, {call.caller, call.callee});

  // Addresses travel only in setup, and only those each side agreed to show.
  outbox_.send(call.caller_conn,
               signal::CallAnswer{call.id, answer.mode, answer.key_agreement, {}});
  std::vector<std::string> callee_candidates;
  if (answer.mode == signal::AnswerMode::kAccept) callee_candidates = answer.candidates;
  outbox_.send(call.caller_conn, signal::CallSetup{call.id, callee_candidates, call.relay_room});
  outbox_.send(from, signal::CallSetup{call.id, call.caller_candidates, call.relay_room});
  return std::nullopt;
}

std::optional<signal::Error> Calls::confirm(ConnectionId from, const signal::CallConfirm &confirm) {
  auto it = calls_.find(confirm.call_id);
  if (it == calls_.end() || it->second.state != State::kActive || it->second.caller_conn != from) {
    return make_error("unknown_call", "no such answered call of yours", confirm.call_id);
  }
  outbox_.send(it->second.callee_conn, confirm);
  return std::nullopt;
}

std::optional<signal::Error> Calls::path(ConnectionId from, const signal::CallPath &path) {
  auto it = calls_.find(path.call_id);
  if (it == calls_.end() || it->second.state != State::kActive ||
      (it->second.caller_conn != from && it->second.callee_conn != from)) {
    return make_error("unknown_call", "no such answered call of yours", path.call_id);
  }
  Call &call = it->second;
  if (from == call.callee_conn &&
      (path.step == signal::PathStep::kUse || path.step == signal::PathStep::kRelay)) {
    call.direct = path.step == signal::PathStep::kUse;
  }
  outbox_.send(from == call.caller_conn ? call.callee_conn : call.caller_conn, path);
  return std::nullopt;
}

std::optional<signal::Error> Calls::hangup(ConnectionId from, const signal::CallHangup &hangup,
                                           const Now &now) {
  auto it = calls_.find(hangup.call_id);
  if (it == calls_.end()) {
    return make_error("unknown_call", "no such call", hangup.call_id);
  }
  Call &call = it->second;
  bool is_caller = call.caller_conn == from;
  bool is_callee = call.state == State::kActive && call.callee_conn == from;
  bool is_ringing = contains(call.ringing_conns, from);
  if (!is_caller && !is_callee && !is_ringing) {
    return make_error("unknown_call", "not a party to this call", hangup.call_id);
  }
  if (is_caller && call.state != State::kActive) record_missed(call, now);
  std::string reason = hangup.reason.empty() ? "normal" : hangup.reason;
  end(it, reason, from);
  return std::nullopt;
}

void Calls::on_disconnect(ConnectionId conn, const Now &now) {
  for (auto it = calls_.begin(); it != calls_.end();) {
    auto next = std::next(it);
    Call &call = it->second;
    if (call.caller_conn == conn) {
      if (call.state != State::kActive) record_missed(call, now);
      end(it, "gone", conn);
    } else if (call.state == State::kActive && call.callee_conn == conn) {
      end(it, "gone", conn);
    } else if (contains(call.ringing_conns, conn)) {
      std::erase(call.ringing_conns, conn);
      if (call.ringing_conns.empty()) {
        record_missed(call, now);
        end(it, "unavailable", conn);
      }
    }
    it = next;
  }
}

void Calls::tick(const Now &now) {
  for (auto it = calls_.begin(); it != calls_.end();) {
    auto next = std::next(it);
    if (it->second.state != State::kActive && it->second.deadline <= now.steady) {
      record_missed(it->second, now);
      end(it, "timeout", kNobody);
    }
    it = next;
  }
}

Calls::StateCounts Calls::counts() const {
  StateCounts counts;
  counts.ended_direct = ended_direct_;
  counts.ended_relay = ended_relay_;
  for (const auto &[id, call] : calls_) {
    switch (call.state) {
      case State::kOffered:
        ++counts.offered;
        break;
      case State::kRinging:
        ++counts.ringing;
        break;
      case State::kActive:
        ++counts.active;
        break;
    }
  }
  return counts;
}

}  // namespace wzp::signald
