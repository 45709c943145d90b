// PCP's MAP opcode (RFC 6887), the bytes only: a request asking the
// gateway to forward a UDP port to us, and the check of its answer. The
// exchange itself is map_with_pcp() (port_mapping.hpp); libnatpmp speaks
// only PCP's predecessor NAT-PMP, and gateways that speak PCP alone exist.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "libwzp/nat/address.hpp"

namespace wzp::nat::pcp {

inline constexpr uint16_t kServerPort = 5351;
inline constexpr size_t kMapMessageSize = 60;  // common header 24 + MAP 36
using Nonce = std::array<uint8_t, 12>;

struct MapRequest {
  IpAddress client;  // our address as the gateway sees it (the socket's local one)
  uint16_t internal_port = 0;
  uint32_t lifetime = 0;  // seconds; 0 deletes the mapping
  Nonce nonce{};          // random, and the same for a renewal or a delete
};
std::array<uint8_t, kMapMessageSize> encode_map_request(const MapRequest &request);

struct MapResponse {
  TransportAddress external;
  uint32_t lifetime = 0;
  uint32_t epoch = 0;
};

// The gateway's answer to `request`: nullopt, with `error` saying why, for
// anything but a successful UDP MAP response of version 2 that echoes the
// request's nonce and internal port (a result code is named, e.g.
// "NOT_AUTHORIZED"). Never reads past `bytes`.
std::optional<MapResponse> parse_map_response(std::span<const uint8_t> bytes,
                                              const MapRequest &request, std::string &error);

}  // namespace wzp::nat::pcp
