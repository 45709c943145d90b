#include "libwzp/nat/mapping.hpp"

#include <cstdlib>

namespace wzp::nat {
namespace {
// Linux, BSD and most home routers allocate from the unprivileged range.
constexpr int kLowestPort = 1024;
constexpr int kPorts = 65536 - kLowestPort;
}  // namespace

MappingBehaviour classify_mapping(uint16_t local_port, const TransportAddress &first,
                                  const TransportAddress &second) {
  MappingBehaviour behaviour;
  behaviour.port_preserving = first.port == local_port;
  if (first == second) return behaviour;
  const int step = static_cast<int>(second.port) - static_cast<int>(first.port);
  if (first.ip == second.ip && step != 0 && std::abs(step) <= kMaxSequentialStep) {
    behaviour.kind = MappingKind::kSequential;
    behaviour.step = step;
  } else {
    behaviour.kind = MappingKind::kRandom;
  }
  return behaviour;
}

std::string to_string(const MappingBehaviour &behaviour) {
  std::string text;
  switch (behaviour.kind) {
    case MappingKind::kEndpointIndependent:
      text = "endpoint-independent";
      break;
    case MappingKind::kSequential:
      text = "sequential (step " + std::to_string(behaviour.step) + ")";
      break;
    case MappingKind::kRandom:
      text = "random";
      break;
  }
  if (behaviour.port_preserving) text += ", port-preserving";
  return text;
}

std::vector<TransportAddress> predict_mappings(const MappingBehaviour &behaviour,
                                               const TransportAddress &last, size_t count) {
  std::vector<TransportAddress> out;
  if (count == 0 || behaviour.kind == MappingKind::kRandom) return out;
  if (behaviour.kind == MappingKind::kEndpointIndependent) {
    out.push_back(last);
    return out;
  }
  int port = last.port;
  for (size_t i = 0; i < count; ++i) {
    port += behaviour.step;
    // Past either end the allocator wraps within its range.
    if (port >= 65536) port -= kPorts;
    if (port < kLowestPort) port += kPorts;
    out.push_back({last.ip, static_cast<uint16_t>(port)});
  }
  return out;
}

}  // namespace wzp::nat
