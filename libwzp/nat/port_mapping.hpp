// Port mappings asked of the gateway, so a peer can reach our socket
// through the NAT without our having sent to it first: NAT-PMP (RFC 6886,
// libnatpmp), PCP (RFC 6887, pcp.hpp) and UPnP IGD (miniupnpc). Each call blocks until it has an
// answer, an error or its deadline; gather.hpp runs them in parallel.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "libwzp/nat/address.hpp"

namespace wzp::nat {

// A mapping the gateway granted, external address -> our socket; given back
// to the gateway when destroyed (a NAT-PMP lifetime of 0, a UPnP
// DeletePortMapping), so a call leaves no hole open behind it.
class PortMapping {
 public:
  virtual ~PortMapping() = default;
  const TransportAddress &external() const { return external_; }
  std::chrono::seconds lifetime() const { return lifetime_; }
  virtual const char *protocol() const = 0;  // "NAT-PMP", "PCP" or "UPnP IGD"
  // When the gateway last granted it: its lease runs `lifetime()` from here.
  std::chrono::steady_clock::time_point granted() const { return granted_; }

  // Asks the gateway for the same mapping again, for the lifetime first
  // asked (mapping_renewal.hpp says when), until `deadline`. On success
  // external(), lifetime() and granted() say what it granted now; false,
  // with `error` saying why, when it did not (the old lease still runs).
  // Blocks: not on a thread that must keep time.
  virtual bool renew(std::chrono::steady_clock::time_point deadline, std::string &error) = 0;

 protected:
  TransportAddress external_;
  std::chrono::seconds lifetime_{0};
  std::chrono::steady_clock::time_point granted_ = std::chrono::steady_clock::now();
};

struct MappingRequest {
  uint16_t local_port = 0;  // the UDP socket to reach; its port is asked for outside too
  std::chrono::seconds lifetime{3600};
  std::chrono::steady_clock::time_point deadline;
};

// nullptr, with `error` saying why (no gateway, no answer by the deadline,
// the gateway's refusal), when no mapping was granted.
std::unique_ptr<PortMapping> map_with_natpmp(const MappingRequest &request, std::string &error);
// PCP (RFC 6887) MAP to the same gateway NAT-PMP finds (pcp.hpp).
std::unique_ptr<PortMapping> map_with_pcp(const MappingRequest &request, std::string &error);
std::unique_ptr<PortMapping> map_with_upnp(const MappingRequest &request, std::string &error);

}  // namespace wzp::nat
