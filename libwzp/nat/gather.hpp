// Gathering our candidates for one socket: host addresses, the daemon's
// reflection and gateway port mappings, the slow ones in parallel, all
// within one time budget (docs/nat.md, "Gathering").
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libwzp/nat/candidate.hpp"
#include "libwzp/nat/mapping.hpp"
#include "libwzp/nat/port_mapping.hpp"

namespace wzp::nat {

struct GatherConfig {
  // The UDP socket media will use: the one the daemon's connection rides,
  // so the mapping the daemon saw is the one a peer reaches.
  uint16_t local_port = 0;
  std::chrono::milliseconds budget{2000};
  bool host = true;
  bool port_mapping = true;  // ask the gateway by NAT-PMP, PCP and UPnP IGD
  std::chrono::seconds mapping_lifetime{3600};
  // Our address as the daemon sees it, "ip:port" (a reflect_request on the
  // daemon connection); called on its own thread with the time it may take.
  std::function<std::optional<std::string>(std::chrono::milliseconds)> reflect;
  // Our address as a second destination sees it (a STUN server: the
  // daemon's --stun-listen), from the same socket; with `reflect` it tells
  // the NAT's mapping behaviour. Unset: not asked.
  std::function<std::optional<TransportAddress>(std::chrono::milliseconds, std::string &error)>
      reflect_again;
  size_t limit = 16;  // what one offer carries (docs/signal.md)
};

struct Gathered {
  std::vector<Candidate> candidates;  // ranked, highest first (rank())
  // Held for the call; each is given back to the gateway when released.
  std::vector<std::unique_ptr<PortMapping>> mappings;
  // Why a source gave nothing ("NAT-PMP: no answer from the gateway in time").
  std::vector<std::string> notes;
  // From the two reflections, when both came (GatherConfig::reflect_again).
  std::optional<MappingBehaviour> behaviour;
};

// Blocks for at most the budget (UPnP's HTTP requests to a gateway that
// answered discovery and then stalls can overrun it by miniupnpc's own
// socket timeout; docs/nat.md).
Gathered gather(const GatherConfig &config);

}  // namespace wzp::nat
