// A call's signaling through wzp-signald (docs/signal.md "Direct calls"),
// with the three-message key agreement riding it (docs/crypto.md):
//
//   caller: alias_resolve -> call_offer{offer} ... call_answer{answer}
//           -> call_confirm{confirm}, call_setup -> room_join(relay_room)
//   callee: call_offer -> call_ringing, call_answer{answer} ... call_setup,
//           call_confirm -> room_join(relay_room)
//
// Both return once the call's keys exist and the relay room is joined, so
// media may flow; or nullopt with `error` saying why, in words for a user.
// Each side offers its candidates for direct media (docs/nat.md): the host
// addresses and the daemon's reflection of our socket, which rides the
// same round trip as the alias lookup (caller) or is asked for at once
// (callee), so the call waits for no gathering.
// Setting `interrupted` (say from a SIGINT handler) gives up within 200 ms,
// hanging up a call in progress.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <string>

#include "libwzp/crypto/handshake.hpp"
#include "libwzp/nat/candidate.hpp"
#include "libwzp/nat/gather.hpp"
#include "libwzp/nat/mapping.hpp"
#include "libwzp/nat/mapping_renewal.hpp"
#include "libwzp/signal/session.hpp"

namespace wzp::client {

struct EstablishedCall {
  std::string call_id;
  std::string peer;  // the peer's fingerprint (and alias, when it has one)
  std::string relay_room;
  crypto::CallKeys keys;
  // Ours as offered, and the peer's as checked (client/direct_media.hpp
  // tries them).
  std::vector<nat::Candidate> our_candidates;
  nat::RemoteCandidates peer_candidates;
  // How our NAT maps the socket, from the daemon's reflection and a STUN
  // server's (`stun` below); "" when not asked or either did not answer.
  std::string our_mapping;
  // How the peer's candidates are checked, for those it sends later too.
  nat::RemotePolicy peer_policy;
  // Our gateway's port mappings of the socket (NAT-PMP, PCP, UPnP IGD),
  // asked when the call started, in parallel with its setup and within a
  // budget of their own; valid until take_port_mappings() took the answer.
  std::future<nat::Gathered> port_mapping;
  // What the gateway granted, held for the call and given back to it when
  // this is destroyed; and why each protocol gave nothing.
  nat::Gathered mapped;
  // Each mapping's lease (same order), and the renewal under way; declared
  // after `mapped` so a renewal still running ends before the mappings go.
  struct Lease {
    nat::MappingRenewal renewal;
    bool lapsed = false;
  };
  std::vector<Lease> leases;
  struct Renewed {
    size_t index;
    bool ok;
    std::string error;
  };
  std::future<std::vector<Renewed>> renewing;
};

// A STUN server (wzp-signald --stun-listen) asked from the call's socket
// beside the daemon's reflection: tells our NAT's mapping behaviour, and a
// sequential NAT's next ports become candidates (docs/nat.md, "Hard NATs").
using StunServer = std::optional<nat::TransportAddress>;

// `callee`: "@alias", a fingerprint or a unique prefix of one. With
// `map_ports`, the gateway is asked for a port mapping as the call starts
// (docs/nat.md, "Candidates in calls").
std::optional<EstablishedCall> place_call(signal::Session &session,
                                          const crypto::Identity &identity,
                                          const std::string &callee, const StunServer &stun,
                                          bool map_ports, const std::atomic<bool> &interrupted,
                                          std::string &error);

// Waits for a call and answers it when `accept` (asked with the caller's
// name) says so; a declined call is rejected and the wait goes on. With
// `map_ports`, the gateway is asked for a port mapping as the wait starts,
// as the daemon is asked for its reflection, and the mapping is renewed
// while the wait lasts.
std::optional<EstablishedCall> answer_call(signal::Session &session,
                                           const crypto::Identity &identity,
                                           const std::function<bool(const std::string &)> &accept,
                                           const StunServer &stun, bool map_ports,
                                           const std::atomic<bool> &interrupted,
                                           std::string &error);

// Once the gateway has answered (or its budget ran out): its mapped
// candidates join our_candidates, and those not offered yet are returned,
// for call_candidates; what each protocol refused is logged. Empty before.
std::vector<std::string> take_port_mappings(EstablishedCall &call);

// Asks the gateway again for each mapping whose lease is running out
// (nat::MappingRenewal), on a thread of its own so a gateway that does not
// answer never holds the caller's loop; logs what it granted, refused, and
// a lease that ran out. Call it often (every tick); it returns at once.
void renew_port_mappings(EstablishedCall &call, std::chrono::steady_clock::time_point now);

// What a hangup reason means, for the user.
std::string describe_hangup(const std::string &reason);

// The summary's lines about candidates.
std::string describe_candidates(const EstablishedCall &call);

}  // namespace wzp::client
