#include "signald/core/calls.hpp"

#include <algorithm>

#include "libwzp/crypto/identity.hpp"

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
  if (call.callee_peer) return;
  signal::MissedCall missed{call.id, call.caller, now.unix_seconds};
  if (missed_registry_ != nullptr) return missed_registry_->add_missed_call(call.callee, missed);
  writer_.submit([callee = call.callee, missed = std::move(missed)](Store &store) {
    store.add_missed_call(callee, missed);
  });
}

void Calls::to_link(PeerId peer, const signal::Message &message, const signal::PublicKey *key) {
  if (links_ != nullptr) links_->call_message(peer, message, key);
}

void Calls::to_caller(const Call &call, const signal::Message &message,
                      const signal::PublicKey *key) {
  if (call.caller_peer) {
    to_link(*call.caller_peer, message, key);
  } else {
    outbox_.send(call.caller_conn, message);
  }
}

void Calls::to_callee(const Call &call, const signal::Message &message) {
  if (call.callee_peer) {
    to_link(*call.callee_peer, message);
  } else {
    outbox_.send(call.callee_conn, message);
  }
}

void Calls::end(std::map<std::string, Call>::iterator it, const std::string &reason,
                ConnectionId except, std::optional<PeerId> except_peer) {
  Call &call = it->second;
  std::vector<ConnectionId> parties = call.ringing_conns;
  if (call.caller_conn != kNobody) parties.push_back(call.caller_conn);
  if (call.state == State::kActive && call.callee_conn != kNobody) {
    parties.push_back(call.callee_conn);
  }
  const signal::CallHangup hangup{call.id, reason};
  for (ConnectionId conn : parties) {
    if (conn != except) outbox_.send(conn, hangup);
  }
  for (const auto &peer : {call.caller_peer, call.callee_peer}) {
    if (peer && peer != except_peer) to_link(*peer, hangup);
  }
  if (!call.relay_room.empty()) rooms_.release(call.relay_room);
  if (call.state == State::kActive) ++(call.direct ? ended_direct_ : ended_relay_);
  calls_.erase(it);
}

std::optional<signal::Error> Calls::offer(ConnectionId from, const std::string &caller,
                                          const signal::PublicKey &caller_key,
                                          signal::CallOffer offer, const std::string &callee,
                                          std::optional<PeerId> callee_route, const Now &now) {
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
  call.caller_key = caller_key;
  call.callee = callee;
  call.caller_candidates = offer.candidates;
  call.deadline = now.steady + settings_.ring_timeout;
  offer.caller = caller;
  offer.callee = callee;
  if (!presence_.online(callee) && callee_route && links_ != nullptr) {
    // The callee's relay rings; the caller's addresses go with the offer,
    // for the setup of the device that answers there.
    call.callee_peer = callee_route;
    to_link(*callee_route, offer, &caller_key);
    calls_.emplace(call.id, std::move(call));
    return std::nullopt;
  }
  ring(std::move(call), std::move(offer), now);
  return std::nullopt;
}

void Calls::ring(Call call, signal::CallOffer offer, const Now &now) {
  if (!presence_.online(call.callee) || busy(call.callee)) {
    record_missed(call, now);
    const char *reason = presence_.online(call.callee) ? "busy" : "unavailable";
    to_caller(call, signal::CallHangup{call.id, reason});
    return;
  }
  call.ringing_conns = presence_.devices(call.callee);
  // The caller's addresses go to the device that answers, in its setup;
  // not to every device that rings, nor to one that never answers.
  offer.candidates.clear();
  for (ConnectionId device : call.ringing_conns) outbox_.send(device, offer);
  calls_.emplace(call.id, std::move(call));
}

std::optional<CallRefusal> Calls::remote_offer(PeerId peer, signal::CallOffer offer,
                                               const signal::PublicKey &caller_key,
                                               std::optional<PeerId> callee_route, const Now &now) {
  auto through = std::count_if(calls_.begin(), calls_.end(), [peer](const auto &entry) {
    return entry.second.caller_peer == peer;
  });
  if (offer.call_id.empty()) return CallRefusal::kBadCallId;
  if (calls_.contains(offer.call_id)) return CallRefusal::kCallIdInUse;
  if (offer.caller == offer.callee) return CallRefusal::kSelfCall;
  if (static_cast<size_t>(through) >= settings_.max_calls_per_link) return CallRefusal::kLinkFull;
  Call call;
  call.id = offer.call_id;
  call.caller = offer.caller;
  call.caller_peer = peer;
  call.caller_key = caller_key;
  call.callee = offer.callee;
  call.caller_candidates = offer.candidates;
  call.deadline = now.steady + settings_.ring_timeout;
  if (!presence_.online(call.callee) && callee_route && *callee_route != peer) {
    // A relay in between: the offer goes on towards the callee.
    call.callee_peer = callee_route;
    to_link(*callee_route, offer, &caller_key);
    calls_.emplace(call.id, std::move(call));
    return std::nullopt;
  }
  ring(std::move(call), std::move(offer), now);
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
    to_caller(call, signal::CallRinging{call.id});
  }
  return std::nullopt;
}

std::optional<signal::Error> Calls::answer(ConnectionId from, const signal::CallAnswer &answer,
                                           const signal::PublicKey &callee_key) {
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
  if (call.caller_peer) {
    rooms_.reserve_linked(call.relay_room, {call.caller, call.callee},
                          {{*call.caller_peer, call.caller, call.caller_key}});
  } else {
    rooms_.reserve(call.relay_room, {call.caller, call.callee});
  }

  // Addresses travel only in setup, and only those each side agreed to show.
  to_caller(call, signal::CallAnswer{call.id, answer.mode, answer.key_agreement, {}});
  std::vector<std::string> callee_candidates;
  if (answer.mode == signal::AnswerMode::kAccept) callee_candidates = answer.candidates;
  call.callee_hides_addresses = answer.mode != signal::AnswerMode::kAccept;
  to_caller(call, signal::CallSetup{call.id, callee_candidates, call.relay_room}, &callee_key);
  outbox_.send(from, signal::CallSetup{call.id, call.caller_candidates, call.relay_room});
  return std::nullopt;
}

bool Calls::remote(PeerId peer, const signal::Message &message, const signal::PublicKey *key,
                   const Now &now) {
  return std::visit(
      [&](const auto &m) -> bool {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, signal::CallRinging> ||
                      std::is_same_v<T, signal::CallAnswer> ||
                      std::is_same_v<T, signal::CallSetup> ||
                      std::is_same_v<T, signal::CallConfirm> ||
                      std::is_same_v<T, signal::CallPath> ||
                      std::is_same_v<T, signal::CallCandidates> ||
                      std::is_same_v<T, signal::CallHangup>) {
          auto it = calls_.find(m.call_id);
          // A hangup may cross one going the other way, or a timeout here.
          if (it == calls_.end()) return std::is_same_v<T, signal::CallHangup>;
          Call &call = it->second;
          const bool from_callee_side = call.callee_peer == peer;
          const bool from_caller_side = call.caller_peer == peer;
          if constexpr (std::is_same_v<T, signal::CallHangup>) {
            if (!from_callee_side && !from_caller_side) return false;
            if (from_caller_side && call.state != State::kActive) record_missed(call, now);
            end(it, m.reason.empty() ? "normal" : m.reason, kNobody, peer);
            return true;
          } else if constexpr (std::is_same_v<T, signal::CallConfirm>) {
            if (!from_caller_side || call.state != State::kActive) return false;
            to_callee(call, m);
            return true;
          } else if constexpr (std::is_same_v<T, signal::CallPath> ||
                               std::is_same_v<T, signal::CallCandidates>) {
            // As from a party signed in here (path(), candidates()).
            if (call.state != State::kActive || (!from_caller_side && !from_callee_side)) {
              return false;
            }
            if constexpr (std::is_same_v<T, signal::CallPath>) {
              if (from_callee_side &&
                  (m.step == signal::PathStep::kUse || m.step == signal::PathStep::kRelay)) {
                call.direct = m.step == signal::PathStep::kUse;
              }
            } else if (from_callee_side && call.callee_hides_addresses) {
              return false;
            }
            if (from_caller_side) {
              to_callee(call, m);
            } else {
              to_caller(call, m);
            }
            return true;
          } else {
            if (!from_callee_side) return false;
            if constexpr (std::is_same_v<T, signal::CallRinging>) {
              if (call.state != State::kOffered) return call.state == State::kRinging;
              call.state = State::kRinging;
              to_caller(call, m);
              return true;
            } else if constexpr (std::is_same_v<T, signal::CallAnswer>) {
              if (call.state == State::kActive) return false;
              if (m.mode == signal::AnswerMode::kReject) {
                end(it, "rejected", kNobody, peer);
                return true;
              }
              call.state = State::kActive;
              call.callee_hides_addresses = m.mode != signal::AnswerMode::kAccept;
              to_caller(call, signal::CallAnswer{call.id, m.mode, m.key_agreement, {}});
              return true;
            } else {
              // The setup names the room the callee's relay reserved; it
              // must be a new room, and the key the callee's.
              if (call.state != State::kActive || !call.relay_room.empty() || key == nullptr ||
                  crypto::format_fingerprint(crypto::fingerprint_of(*key)) != call.callee) {
                return false;
              }
              std::vector<Rooms::RemoteParty> parties{{peer, call.callee, *key}};
              if (call.caller_peer)
                parties.push_back({*call.caller_peer, call.caller, call.caller_key});
              if (!rooms_.reserve_linked(m.relay_room, {call.caller, call.callee}, parties)) {
                end(it, "failed", kNobody);
                return false;
              }
              call.relay_room = m.relay_room;
              to_caller(call, m, key);
              return true;
            }
          }
        } else {
          return false;
        }
      },
      message);
}

std::optional<signal::Error> Calls::confirm(ConnectionId from, const signal::CallConfirm &confirm) {
  auto it = calls_.find(confirm.call_id);
  if (it == calls_.end() || it->second.state != State::kActive || it->second.caller_conn != from) {
    return make_error("unknown_call", "no such answered call of yours", confirm.call_id);
  }
  to_callee(it->second, confirm);
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
  if (from == call.caller_conn) {
    to_callee(call, path);
  } else {
    to_caller(call, path);
  }
  return std::nullopt;
}

std::optional<signal::Error> Calls::candidates(ConnectionId from,
                                               const signal::CallCandidates &candidates) {
  auto it = calls_.find(candidates.call_id);
  if (it == calls_.end() || it->second.state != State::kActive ||
      (it->second.caller_conn != from && it->second.callee_conn != from)) {
    return make_error("unknown_call", "no such answered call of yours", candidates.call_id);
  }
  Call &call = it->second;
  if (from == call.callee_conn && call.callee_hides_addresses) {
    return make_error("not_allowed", "you answered without addresses", candidates.call_id);
  }
  if (from == call.caller_conn) {
    to_callee(call, candidates);
  } else {
    to_caller(call, candidates);
  }
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
  bool is_callee = call.state == State::kActive && !call.callee_peer && call.callee_conn == from;
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

void Calls::on_peer_lost(PeerId peer, const Now &now) {
  for (auto it = calls_.begin(); it != calls_.end();) {
    auto next = std::next(it);
    Call &call = it->second;
    if (call.caller_peer == peer || call.callee_peer == peer) {
      if (call.caller_peer == peer && call.state != State::kActive) record_missed(call, now);
      // Not `gone`: the party may be alive behind another node and come
      // back (docs/signal.md, "Calls survive their node").
      end(it, "relay_lost", kNobody, peer);
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
