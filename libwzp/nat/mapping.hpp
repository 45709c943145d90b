// A NAT's mapping behaviour (RFC 4787 4.1) from two reflections of one
// socket by two destinations, and where that NAT will map the socket for
// the next destination (docs/nat.md, "Hard NATs"). Pure decisions: the
// reflections come from the daemon and its STUN port.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "libwzp/nat/address.hpp"

namespace wzp::nat {

enum class MappingKind {
  kEndpointIndependent,  // one external address for every destination: a cone
  kSequential,           // a new external port per destination, a fixed step apart
  kRandom,               // a new external port per destination, unpredictable
};

struct MappingBehaviour {
  MappingKind kind = MappingKind::kEndpointIndependent;
  // The external port is the socket's own (seen through both reflections
  // for a cone; through the first for the others).
  bool port_preserving = false;
  int step = 0;  // kSequential: the second reflection's port minus the first's
};

// Two reflections 16 ports apart or closer count as sequential: a random
// port lands that close by chance once in about 2000 (32 of 64512 ports).
inline constexpr int kMaxSequentialStep = 16;

// `first` and `second` are what two destinations saw of the socket bound to
// `local_port`, in the order they were asked. Different external addresses
// (a NAT with a pool) are kRandom: no port says where the next goes.
MappingBehaviour classify_mapping(uint16_t local_port, const TransportAddress &first,
                                  const TransportAddress &second);

// "endpoint-independent, port-preserving", "sequential (step 1)", "random".
std::string to_string(const MappingBehaviour &behaviour);

// Where the NAT will map the socket for the next destinations, after it
// mapped it to `last` (the latest reflection): `count` guesses, likeliest
// first. A cone: `last` itself. Sequential: the next `count` steps (other
// hosts behind the NAT take ports too, so the guess is a short run). Random:
// none, since only a spray could find it.
std::vector<TransportAddress> predict_mappings(const MappingBehaviour &behaviour,
                                               const TransportAddress &last, size_t count);

}  // namespace wzp::nat
