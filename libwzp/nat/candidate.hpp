// Candidates: the addresses at which a client may be reachable for direct
// media, how they are ranked (RFC 8445, 5.1.2), and how a peer's offered
// list is checked before anything is sent to it (docs/nat.md).
//
// On the wire a candidate is only its address, "ip:port" or "[ipv6]:port",
// in the signal messages' `candidates` lists (docs/signal.md); a sender
// lists them highest priority first, so the order carries the ranking.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libwzp/nat/address.hpp"

namespace wzp::nat {

enum class CandidateType {
  kHost,       // an address of one of our interfaces
  kMapped,     // a port mapping the gateway granted (NAT-PMP, PCP or UPnP IGD)
  kReflexive,  // our address as the daemon saw it (server reflexive)
};
const char *to_string(CandidateType type);

// RFC 8445 5.1.2.2's type preferences, host 126 and server reflexive 100;
// a mapping the gateway granted sits between (RFC 8445 names no value): it
// is the NAT's own promise to forward, where a reflexive address is only
// what one destination saw.
uint32_t type_preference(CandidateType type);

// RFC 8445 5.1.2.1 for component 1 (QUIC carries everything on one):
// 2^24 * type preference + 2^8 * local preference + (256 - 1).
uint32_t candidate_priority(CandidateType type, uint16_t local_preference);

struct Candidate {
  CandidateType type = CandidateType::kHost;
  TransportAddress address;
  // The local address it stands for (for a host candidate, itself).
  TransportAddress base;
  uint32_t priority = 0;
};

// An address of a local interface, as getifaddrs lists it (interfaces.hpp).
struct InterfaceAddress {
  std::string interface;
  IpAddress ip;
  bool up = true;
  bool loopback = false;  // IFF_LOOPBACK
};

// Host candidates for a socket bound to `port` on every address: one per
// usable interface address, in the order given. Left out: interfaces that
// are down or loopback, and addresses that are unspecified, loopback,
// link-local (no use without naming the interface), multicast or reserved.
// Local preferences follow RFC 8421: IPv6 and IPv4 interleaved, IPv6 first,
// each unique, so the pairs of a dual-stack host are tried in both families
// early.
std::vector<Candidate> host_candidates(const std::vector<InterfaceAddress> &interfaces,
                                       uint16_t port);

// A server-reflexive or mapped candidate at `address` for the socket bound
// to `local_port` (its base: that port on the unspecified address of the
// same family); nullopt when `address` is no place a peer could send to
// (loopback, link-local, multicast, ...: a daemon on loopback reflects one).
std::optional<Candidate> outside_candidate(CandidateType type, const TransportAddress &address,
                                           uint16_t local_port);

// Sorted highest priority first, one candidate per address (the highest
// ranked copy stays: a NAT that maps a port to itself makes the reflexive
// and the mapped candidate the same address), at most `limit` of them.
std::vector<Candidate> rank(std::vector<Candidate> candidates, size_t limit);

// The list as it goes in an offer or answer: addresses only, in rank order.
std::vector<std::string> to_wire(const std::vector<Candidate> &ranked);

// --- a peer's candidates ---

// What the peer's list may hold. Its private (RFC 1918, CGNAT, ULA)
// addresses are only tried for a peer the user has accepted: otherwise a
// stranger's call could make us send packets into our own LAN, a scan by
// proxy (docs/nat.md, "Checking a peer's candidates").
struct RemotePolicy {
  bool allow_private = false;
  size_t max_candidates = 16;  // signal lists are at most 16 (docs/signal.md)
};

struct RemoteCandidate {
  TransportAddress address;
  size_t rank = 0;  // its place among those accepted: 0 is the peer's first choice
};

// Each rejected entry is counted under one reason.
struct RemoteRejections {
  uint64_t malformed = 0;  // not "ip:port" / "[ipv6]:port" with a numeric host
  uint64_t unusable = 0;   // unspecified, loopback, link-local, multicast, broadcast, reserved
  uint64_t private_ = 0;   // private, from a peer not allowed to offer them
  uint64_t duplicate = 0;  // an address already accepted
  uint64_t too_many = 0;   // past RemotePolicy::max_candidates accepted ones
  uint64_t total() const { return malformed + unusable + private_ + duplicate + too_many; }
};

struct RemoteCandidates {
  std::vector<RemoteCandidate> accepted;
  RemoteRejections rejected;
  // A line per rejected entry, the first 16, for the log: "'<text>': <why>".
  std::vector<std::string> reasons;
};

// Checks a peer's `candidates` in its order; never throws, whatever the text.
RemoteCandidates check_remote_candidates(const std::vector<std::string> &offered,
                                         const RemotePolicy &policy);

// Candidates the peer sent later (call_candidates: a gateway's mapping)
// checked the same way and added after those already accepted, the bound
// and the duplicates counted over both; how many were accepted.
size_t add_remote_candidates(RemoteCandidates &checked, const std::vector<std::string> &offered,
                             const RemotePolicy &policy);

}  // namespace wzp::nat
