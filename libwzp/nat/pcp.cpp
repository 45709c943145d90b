#include "libwzp/nat/pcp.hpp"

#include <algorithm>

#include "libwzp/base/bytes.hpp"

namespace wzp::nat::pcp {
namespace {

constexpr uint8_t kVersion = 2;
constexpr uint8_t kOpcodeMap = 1;
constexpr uint8_t kResponseBit = 0x80;
constexpr uint8_t kProtocolUdp = 17;
// RFC 6887 7: a PCP message is at most 1100 bytes, a multiple of 4.
constexpr size_t kMaxMessageSize = 1100;

// IPv4 goes in PCP's 16-byte fields IPv4-mapped (::ffff:a.b.c.d).
void put_address(uint8_t *out, const IpAddress &address) {
  if (address.v6) {
    std::copy(address.bytes.begin(), address.bytes.end(), out);
    return;
  }
  std::fill(out, out + 10, 0);
  out[10] = out[11] = 0xff;
  std::copy(address.bytes.begin(), address.bytes.begin() + 4, out + 12);
}

const char *result_name(uint8_t code) {
  static const char *const kNames[] = {
      "SUCCESS",          "UNSUPP_VERSION",        "NOT_AUTHORIZED",   "MALFORMED_REQUEST",
      "UNSUPP_OPCODE",    "UNSUPP_OPTION",         "MALFORMED_OPTION", "NETWORK_FAILURE",
      "NO_RESOURCES",     "UNSUPP_PROTOCOL",       "USER_EX_QUOTA",    "CANNOT_PROVIDE_EXTERNAL",
      "ADDRESS_MISMATCH", "EXCESSIVE_REMOTE_PEERS"};
  return code < std::size(kNames) ? kNames[code] : "an unknown result code";
}

}  // namespace

std::array<uint8_t, kMapMessageSize> encode_map_request(const MapRequest &request) {
  std::array<uint8_t, kMapMessageSize> out{};
  out[0] = kVersion;
  out[1] = kOpcodeMap;
  base::put_u32(out.data() + 4, request.lifetime);
  put_address(out.data() + 8, request.client);
  std::copy(request.nonce.begin(), request.nonce.end(), out.begin() + 24);
  out[36] = kProtocolUdp;
  base::put_u16(out.data() + 40, request.internal_port);
  // Suggested external port: the same, as NAT-PMP and UPnP are asked;
  // suggested address: none (all zeros, of the request's family).
  base::put_u16(out.data() + 42, request.internal_port);
  IpAddress any;
  any.v6 = request.client.v6;
  put_address(out.data() + 44, any);
  return out;
}

std::optional<MapResponse> parse_map_response(std::span<const uint8_t> bytes,
                                              const MapRequest &request, std::string &error) {
  auto fail = [&](const std::string &why) -> std::optional<MapResponse> {
    error = "PCP: " + why;
    return std::nullopt;
  };
  // A NAT-PMP-only gateway answers a version it does not know with a short
  // NAT-PMP error (RFC 6887 9): say so rather than "too short".
  if (bytes.size() >= 2 && bytes[0] == 0) return fail("the gateway speaks NAT-PMP only");
  if (bytes.size() < kMapMessageSize || bytes.size() > kMaxMessageSize || bytes.size() % 4 != 0) {
    return fail("an answer of " + std::to_string(bytes.size()) + " bytes is no MAP response");
  }
  if (bytes[0] != kVersion) return fail("version " + std::to_string(bytes[0]) + ", not 2");
  if (bytes[1] != (kResponseBit | kOpcodeMap)) return fail("not a MAP response");
  if (bytes[3] != 0) return fail(std::string("the gateway refused: ") + result_name(bytes[3]));
  if (!std::equal(request.nonce.begin(), request.nonce.end(), bytes.begin() + 24)) {
    return fail("the answer is to another request (nonce)");
  }
  if (bytes[36] != kProtocolUdp || base::get_u16(bytes.data() + 40) != request.internal_port) {
    return fail("the answer maps another protocol or port");
  }
  MapResponse response;
  response.lifetime = base::get_u32(bytes.data() + 4);
  response.epoch = base::get_u32(bytes.data() + 8);
  response.external = {IpAddress::v6_from(bytes.data() + 44), base::get_u16(bytes.data() + 42)};
  if (response.external.port == 0 && request.lifetime != 0) {
    return fail("the gateway granted external port 0");
  }
  return response;
}

}  // namespace wzp::nat::pcp
