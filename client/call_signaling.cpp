#include "client/call_signaling.hpp"

#include <sodium.h>

#include <algorithm>
#include <cstdio>

#include "libwzp/base/hex.hpp"
#include "libwzp/base/host_port.hpp"
#include "libwzp/nat/gather.hpp"
#include "libwzp/nat/stun.hpp"
#include "libwzp/wire/header.hpp"

namespace wzp::client {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The daemon gives up on an unanswered call after 30 s; we wait a little
// longer so that its `timeout` hangup is what the user sees.
constexpr auto kAnswerWait = 40s;
constexpr auto kSetupWait = 20s;
constexpr auto kReplyWait = 10s;
// How long an offer or answer waits for the daemon's reflection, asked for
// a round trip earlier: over a lossy path it may come late, and the call
// goes on without a reflexive candidate rather than wait.
constexpr auto kReflectWait = 200ms;
// The gateway's port mapping: NAT-PMP and PCP answer within milliseconds
// on a LAN; UPnP discovery waits a third of this, twice (docs/nat.md,
// "Time"). Whatever comes after the offer or answer follows it.
constexpr auto kMappingBudget = 600ms;
// What one round of renewals may take: a gateway on the LAN answers within
// milliseconds; one that does not is asked again later within the lease.
constexpr auto kRenewWait = 1s;

// A fingerprint prefix the client can hold the daemon to: matching 16 hex
// digits with a key of one's own takes about 2^64 tries (docs/crypto.md,
// "Who the callee is"); a shorter one a lying daemon can grind, so it names
// whoever the daemon says, as an @alias does.
constexpr size_t kCheckedPrefixDigits = 16;

uint64_t now_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

crypto::Offerings our_offerings() {
  return {{1}, {wire::codec::kOpus, wire::codec::kCodec2_1200}, {0}};
}

std::string describe(const signal::Error &e) {
  return e.message.empty() ? e.code : e.code + " (" + e.message + ")";
}

// The next message before `deadline`; nullopt (with `error` set) when the
// connection ended or time ran out. `idle` runs at least every 200 ms while
// nothing comes.
std::optional<signal::Received> next_before(signal::Session &session, Clock::time_point deadline,
                                            const std::string &waiting_for,
                                            const std::atomic<bool> &interrupted,
                                            std::string &error,
                                            const std::function<void()> &idle = {}) {
  while (Clock::now() < deadline) {
    if (interrupted) {
      error = "interrupted";
      return std::nullopt;
    }
    if (idle) idle();
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (auto received = session.next(std::min<std::chrono::milliseconds>(wait, 200ms))) {
      return received;
    }
    if (session.ended()) {
      std::string why = session.end_reason();
      error = "lost the connection to the daemon" + (why.empty() ? "" : ": " + why);
      return std::nullopt;
    }
  }
  error = "no " + waiting_for + " in time";
  return std::nullopt;
}

bool join_relay_room(signal::Session &session, const std::string &room, std::string &error) {
  uint64_t id = session.next_request_id();
  session.send(signal::RoomJoin{room, {}}, id);
  auto reply = session.wait_reply(id, kReplyWait);
  if (reply && std::holds_alternative<signal::Ok>(reply->message)) return true;
  if (reply && std::holds_alternative<signal::Error>(reply->message)) {
    error =
        "the daemon refused the relay room: " + describe(std::get<signal::Error>(reply->message));
  } else {
    error = "no answer to joining the relay room";
  }
  return false;
}

uint64_t ask_reflection(signal::Session &session) {
  uint64_t id = session.next_request_id();
  session.send(signal::ReflectRequest{}, id);
  return id;
}

// Host candidates and the reflexive one, from the reflection already
// received or the reply to `reflect_id`, and with `stun` our NAT's mapping
// behaviour. Port mappings take a second or more (docs/nat.md) and are
// left for when candidates can follow a call.
void gather_for_call(signal::Session &session, uint64_t reflect_id,
                     const std::optional<std::string> &reflected, const StunServer &stun,
                     EstablishedCall &call) {
  // Over the TLS fallback UDP is blocked: no candidate could be reached.
  if (session.over_tls()) return;
  nat::GatherConfig config;
  config.local_port = session.local_port();
  config.port_mapping = false;
  config.budget = kReflectWait;
  config.reflect = [&](std::chrono::milliseconds timeout) -> std::optional<std::string> {
    if (reflected) return reflected;
    auto reply = session.wait_reply(reflect_id, timeout);
    auto *r = reply ? std::get_if<signal::ReflectResponse>(&reply->message) : nullptr;
    return r ? std::optional(r->address) : std::nullopt;
  };
  if (stun) {
    config.reflect_again = [&](std::chrono::milliseconds timeout, std::string &error) {
      nat::stun::BindingExchange exchange;
      session.set_stun_handler(
          [&exchange](std::span<const uint8_t> bytes) { return exchange.deliver(bytes); });
      auto seen = exchange.run(
          [&](std::span<const uint8_t> request) {
            return session.send_stun(stun->ip.to_string(), stun->port, request);
          },
          timeout, error);
      session.set_stun_handler(nullptr);
      return seen;
    };
  }
  nat::Gathered gathered = nat::gather(config);
  // A callee's port mappings may have come while it waited: they stay.
  gathered.candidates.insert(gathered.candidates.end(), call.our_candidates.begin(),
                             call.our_candidates.end());
  call.our_candidates = nat::rank(std::move(gathered.candidates), config.limit);
  if (gathered.behaviour) call.our_mapping = nat::to_string(*gathered.behaviour);
}

// The gateway asked, on a thread of its own, for a mapping of the socket
// the call's media uses; nothing over the TLS fallback, where UDP is blocked,
// nor with a daemon on this host: no gateway stands between, and a test's
// calls would otherwise ask the machine's real one.
std::future<nat::Gathered> ask_gateway(signal::Session &session, bool map_ports) {
  if (!map_ports || session.over_tls()) return {};
  if (auto daemon = base::parse_host_port(session.connection()->remote_address());
      daemon && base::is_loopback_address(daemon->host)) {
    return {};
  }
  nat::GatherConfig config;
  config.local_port = session.local_port();
  config.host = false;
  config.budget = kMappingBudget;
  return std::async(std::launch::async, [config] { return nat::gather(config); });
}

std::string random_call_id(crypto::CallId &bytes) {
  randombytes_buf(bytes.data(), bytes.size());
  return base::to_hex(bytes);
}

}  // namespace

std::string describe_hangup(const std::string &reason) {
  if (reason == "busy") return "the callee is busy in another call";
  if (reason == "unavailable") return "the callee is not online";
  if (reason == "rejected") return "the call was rejected";
  if (reason == "timeout") return "no answer (the call timed out)";
  if (reason == "gone") return "the other side disconnected";
  if (reason == "relay_lost") return "the relay node of the other side was lost";
  if (reason == "answered_elsewhere") return "answered on another device";
  if (reason == "normal" || reason.empty()) return "the other side hung up";
  return "the call ended: " + reason;
}

std::vector<std::string> take_port_mappings(EstablishedCall &call) {
  if (!call.port_mapping.valid() || call.port_mapping.wait_for(0s) != std::future_status::ready) {
    return {};
  }
  call.mapped = call.port_mapping.get();
  for (const auto &note : call.mapped.notes) {
    std::fprintf(stderr, "port mapping: %s\n", note.c_str());
  }
  auto offered = nat::to_wire(call.our_candidates);
  auto all = call.our_candidates;
  all.insert(all.end(), call.mapped.candidates.begin(), call.mapped.candidates.end());
  call.our_candidates = nat::rank(std::move(all), nat::RemotePolicy{}.max_candidates);
  std::vector<std::string> fresh;
  for (const auto &address : nat::to_wire(call.our_candidates)) {
    if (std::find(offered.begin(), offered.end(), address) == offered.end()) {
      fresh.push_back(address);
    }
  }
  for (const auto &mapping : call.mapped.mappings) {
    std::fprintf(stderr, "port mapping: %s granted %s\n", mapping->protocol(),
                 mapping->external().to_string().c_str());
  }
  return fresh;
}

void renew_port_mappings(EstablishedCall &call, Clock::time_point now) {
  auto &mappings = call.mapped.mappings;
  if (call.renewing.valid()) {
    if (call.renewing.wait_for(0s) != std::future_status::ready) return;
    for (const auto &r : call.renewing.get()) {
      auto &lease = call.leases[r.index];
      const auto &mapping = *mappings[r.index];
      if (r.ok) {
        lease.renewal.renewed(mapping.granted(), mapping.lifetime());
        lease.lapsed = false;
        std::fprintf(stderr, "port mapping: %s %s renewed for %lld s\n", mapping.protocol(),
                     mapping.external().to_string().c_str(),
                     static_cast<long long>(mapping.lifetime().count()));
      } else {
        lease.renewal.failed(now);
        std::fprintf(stderr, "port mapping: %s (not renewed)\n", r.error.c_str());
      }
    }
  }
  while (call.leases.size() < mappings.size()) {
    const auto &mapping = *mappings[call.leases.size()];
    call.leases.push_back({nat::MappingRenewal(mapping.granted(), mapping.lifetime())});
  }
  std::vector<std::pair<size_t, nat::PortMapping *>> due;
  for (size_t i = 0; i < call.leases.size(); ++i) {
    auto &lease = call.leases[i];
    if (lease.renewal.due(now)) due.emplace_back(i, mappings[i].get());
    if (!lease.lapsed && lease.renewal.lapsed(now)) {
      lease.lapsed = true;
      // The direct path's consent, not the lease, says whether the path
      // still carries media (docs/nat.md, "Renewal").
      std::fprintf(stderr, "port mapping: %s %s lapsed\n", mappings[i]->protocol(),
                   mappings[i]->external().to_string().c_str());
    }
  }
  if (due.empty()) return;
  call.renewing =
      std::async(std::launch::async, [due = std::move(due), deadline = now + kRenewWait] {
        std::vector<EstablishedCall::Renewed> out;
        for (auto [index, mapping] : due) {
          std::string error;
          const bool ok = mapping->renew(deadline, error);
          out.push_back({index, ok, std::move(error)});
        }
        return out;
      });
}

std::string describe_candidates(const EstablishedCall &call) {
  std::string ours;
  for (const auto &c : call.our_candidates) {
    ours += (ours.empty() ? "" : ", ") + std::string(nat::to_string(c.type)) + " " +
            c.address.to_string();
  }
  std::string peers;
  for (const auto &c : call.peer_candidates.accepted) {
    peers += (peers.empty() ? "" : ", ") + c.address.to_string();
  }
  const auto &r = call.peer_candidates.rejected;
  std::string rejected;
  for (const auto &[count, why] : {std::pair{r.malformed, "malformed"},
                                   {r.unusable, "unusable"},
                                   {r.private_, "private"},
                                   {r.duplicate, "duplicate"},
                                   {r.too_many, "too many"}}) {
    if (count) rejected += (rejected.empty() ? "" : ", ") + std::to_string(count) + " " + why;
  }
  // Asked of the gateway: what it granted, and how many protocols gave
  // nothing (their reasons are in the log).
  std::string mapping;
  if (call.port_mapping.valid()) mapping = "no answer before the call ended";
  if (call.renewing.valid()) call.renewing.wait();  // it writes what is read below
  for (const auto &m : call.mapped.mappings) {
    mapping += (mapping.empty() ? "" : ", ") + std::string(m->protocol()) + " " +
               m->external().to_string();
  }
  if (!call.port_mapping.valid() && !call.mapped.notes.empty()) {
    mapping += (mapping.empty() ? "none" : "") + std::string(" (") +
               std::to_string(call.mapped.notes.size()) + " refused or not answered)";
  }
  return "  our candidates        " + (ours.empty() ? "none" : ours) +
         (mapping.empty() ? "" : "\n  port mapping          " + mapping) +
         (call.our_mapping.empty() ? "" : "\n  our NAT's mapping     " + call.our_mapping) +
         "\n  peer's candidates     " + (peers.empty() ? "none" : peers) +
         (rejected.empty() ? "" : " (rejected: " + rejected + ")") + "\n";
}

std::optional<EstablishedCall> place_call(signal::Session &session,
                                          const crypto::Identity &identity,
                                          const std::string &callee, const StunServer &stun,
                                          bool map_ports, const std::atomic<bool> &interrupted,
                                          std::string &error) {
  const uint64_t reflect_id = ask_reflection(session);
  auto port_mapping = ask_gateway(session, map_ports);
  // The handshake signs the callee's fingerprint, so look it up first.
  uint64_t id = session.next_request_id();
  session.send(signal::AliasResolve{callee}, id);
  auto reply = session.wait_reply(id, kReplyWait);
  if (!reply) {
    error = "no answer from the daemon while looking up '" + callee + "'";
    return std::nullopt;
  }
  if (auto *refused = std::get_if<signal::Error>(&reply->message)) {
    error = "unknown callee '" + callee + "': " + describe(*refused);
    return std::nullopt;
  }
  auto *resolved = std::get_if<signal::AliasResolved>(&reply->message);
  auto callee_fingerprint =
      resolved ? crypto::parse_fingerprint(resolved->fingerprint) : std::nullopt;
  if (!callee_fingerprint) {
    error = "the daemon's answer about '" + callee + "' is not a fingerprint";
    return std::nullopt;
  }
  // The daemon is untrusted: a fingerprint or prefix the user typed must be
  // what it answers with. The handshake then signs that fingerprint and only
  // its key can answer (docs/crypto.md).
  bool checked = false;
  if (auto typed = signal::fingerprint_digits(callee)) {
    auto answered = signal::fingerprint_digits(resolved->fingerprint);
    if (!answered || !answered->starts_with(*typed)) {
      error = "the daemon resolved '" + callee + "' to " + resolved->fingerprint +
              ", which is not the fingerprint asked for; not calling it";
      return std::nullopt;
    }
    checked = typed->size() >= kCheckedPrefixDigits;
  }
  // Said before anything rings, so the user can stop a call to a stranger.
  if (!checked) {
    std::fprintf(stderr,
                 "'%s' is the daemon's word (an @alias, or a prefix of fewer than %zu hex digits, "
                 "which it can match with a key of its own): it named %s; hang up unless that is "
                 "the fingerprint you expect\n",
                 callee.c_str(), kCheckedPrefixDigits,
                 crypto::format_fingerprint(*callee_fingerprint).c_str());
  }

  EstablishedCall call;
  crypto::CallId call_id{};
  call.call_id = random_call_id(call_id);
  call.peer = resolved->fingerprint + (resolved->alias ? " (@" + *resolved->alias + ")" : "");
  crypto::HandshakeInitiator initiator(identity, call_id, *callee_fingerprint, our_offerings(),
                                       now_ms());
  gather_for_call(session, reflect_id, std::nullopt, stun, call);
  call.port_mapping = std::move(port_mapping);
  take_port_mappings(call);  // in the offer if the gateway was that quick
  session.send(signal::CallOffer{call.call_id,
                                 "",
                                 resolved->fingerprint,
                                 initiator.offer(),
                                 {"opus", "codec2"},
                                 {},
                                 nat::to_wire(call.our_candidates)});
  std::fprintf(stderr, "calling %s ...\n", call.peer.c_str());

  bool answered = false;
  auto deadline = Clock::now() + kAnswerWait;
  while (!answered || call.relay_room.empty()) {
    auto received = next_before(session, deadline, "answer", interrupted, error);
    if (!received) {
      session.send(signal::CallHangup{call.call_id, interrupted ? "normal" : "timeout"});
      return std::nullopt;
    }
    const auto &message = received->message;
    if (auto *e = std::get_if<signal::Error>(&message); e && e->call_id == call.call_id) {
      error = e->code == "unknown_callee" ? "unknown callee '" + callee + "'"
                                          : "the daemon refused the call: " + describe(*e);
      return std::nullopt;
    } else if (auto *r = std::get_if<signal::CallRinging>(&message);
               r && r->call_id == call.call_id) {
      std::fprintf(stderr, "ringing ...\n");
    } else if (auto *h = std::get_if<signal::CallHangup>(&message);
               h && h->call_id == call.call_id) {
      error = describe_hangup(h->reason);
      return std::nullopt;
    } else if (auto *a = std::get_if<signal::CallAnswer>(&message);
               a && a->call_id == call.call_id) {
      if (a->mode == signal::AnswerMode::kReject) {
        error = describe_hangup("rejected");
        return std::nullopt;
      }
      std::vector<uint8_t> confirm;
      auto result = initiator.on_answer(a->key_agreement, confirm, call.keys);
      if (result != crypto::HandshakeError::kOk) {
        session.send(signal::CallHangup{call.call_id, "key_agreement_failed"});
        error = std::string("the callee's key agreement failed: ") + crypto::to_string(result);
        return std::nullopt;
      }
      session.send(signal::CallConfirm{call.call_id, confirm});
      answered = true;
      deadline = Clock::now() + kSetupWait;
    } else if (auto *s = std::get_if<signal::CallSetup>(&message);
               s && s->call_id == call.call_id) {
      call.relay_room = s->relay_room;
      // A callee named by a checked fingerprint is one the user chose; an
      // @alias or a short prefix is the daemon's word, and its private
      // addresses are not tried (docs/nat.md, "Checking a peer's candidates").
      call.peer_policy = nat::RemotePolicy{checked};
      call.peer_candidates = nat::check_remote_candidates(s->peer_candidates, call.peer_policy);
    }
  }
  if (!join_relay_room(session, call.relay_room, error)) {
    session.send(signal::CallHangup{call.call_id, "normal"});
    return std::nullopt;
  }
  return call;
}

std::optional<EstablishedCall> answer_call(signal::Session &session,
                                           const crypto::Identity &identity,
                                           const std::function<bool(const std::string &)> &accept,
                                           const StunServer &stun, bool map_ports,
                                           const std::atomic<bool> &interrupted,
                                           std::string &error) {
  crypto::ReplayGuard replays;
  const uint64_t reflect_id = ask_reflection(session);
  // The gateway's mappings, taken and renewed while we wait: a call may
  // come after the first lease ran out (docs/nat.md, "Renewal").
  EstablishedCall waiting;
  waiting.port_mapping = ask_gateway(session, map_ports);
  const auto keep_mappings = [&waiting] {
    take_port_mappings(waiting);
    renew_port_mappings(waiting, Clock::now());
  };
  std::optional<std::string> reflected;
  for (;;) {
    auto received =
        next_before(session, Clock::time_point::max(), "call", interrupted, error, keep_mappings);
    if (!received) return std::nullopt;
    if (auto *r = std::get_if<signal::ReflectResponse>(&received->message);
        r && received->request_id == reflect_id) {
      reflected = r->address;
      continue;
    }
    if (auto *missed = std::get_if<signal::MissedCalls>(&received->message)) {
      for (const auto &m : missed->calls) {
        std::fprintf(stderr, "missed call from %s\n", m.caller.c_str());
      }
      continue;
    }
    auto *offer = std::get_if<signal::CallOffer>(&received->message);
    if (offer == nullptr) continue;
    auto caller = crypto::parse_fingerprint(offer->caller);
    if (!caller) continue;  // the daemon always names the caller
    session.send(signal::CallRinging{offer->call_id});
    std::fprintf(stderr, "incoming call from %s\n", offer->caller.c_str());
    if (!accept(offer->caller)) {
      session.send(signal::CallAnswer{offer->call_id, signal::AnswerMode::kReject, {}, {}});
      std::fprintf(stderr, "rejected; waiting for calls\n");
      continue;
    }
    crypto::HandshakeResponder responder(identity, our_offerings(), replays);
    std::vector<uint8_t> answer;
    auto result = responder.on_offer(offer->key_agreement, now_ms(), &*caller, answer);
    if (result != crypto::HandshakeError::kOk) {
      session.send(signal::CallAnswer{offer->call_id, signal::AnswerMode::kReject, {}, {}});
      std::fprintf(stderr, "the caller's key agreement failed (%s); rejected\n",
                   crypto::to_string(result));
      continue;
    }
    EstablishedCall call = std::move(waiting);
    call.call_id = offer->call_id;
    call.peer = offer->caller;
    gather_for_call(session, reflect_id, reflected, stun, call);
    take_port_mappings(call);  // in the answer if the gateway has answered
    session.send(signal::CallAnswer{call.call_id, signal::AnswerMode::kAccept, answer,
                                    nat::to_wire(call.our_candidates)});

    bool confirmed = false;
    auto deadline = Clock::now() + kSetupWait;
    while (!confirmed || call.relay_room.empty()) {
      auto next = next_before(session, deadline, "key confirmation from the caller", interrupted,
                              error, [&call] { renew_port_mappings(call, Clock::now()); });
      if (!next) {
        session.send(signal::CallHangup{call.call_id, "normal"});
        return std::nullopt;
      }
      const auto &message = next->message;
      if (auto *h = std::get_if<signal::CallHangup>(&message); h && h->call_id == call.call_id) {
        error = describe_hangup(h->reason);
        return std::nullopt;
      } else if (auto *s = std::get_if<signal::CallSetup>(&message);
                 s && s->call_id == call.call_id) {
        call.relay_room = s->relay_room;
        // Accepting a call is not accepting the caller's LAN: without a
        // list of accepted contacts, its private addresses are not tried.
        call.peer_candidates = nat::check_remote_candidates(s->peer_candidates, call.peer_policy);
      } else if (auto *c = std::get_if<signal::CallConfirm>(&message);
                 c && c->call_id == call.call_id) {
        result = responder.on_confirm(c->key_agreement, call.keys);
        if (result != crypto::HandshakeError::kOk) {
          session.send(signal::CallHangup{call.call_id, "key_agreement_failed"});
          error = std::string("the caller's key confirmation failed: ") + crypto::to_string(result);
          return std::nullopt;
        }
        confirmed = true;
      }
    }
    if (!join_relay_room(session, call.relay_room, error)) {
      session.send(signal::CallHangup{call.call_id, "normal"});
      return std::nullopt;
    }
    return call;
  }
}

}  // namespace wzp::client
