#include "libwzp/nat/address.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include "libwzp/base/host_port.hpp"

namespace wzp::nat {

IpAddress IpAddress::v4_from(uint32_t host_order) {
  IpAddress address;
  address.bytes[0] = static_cast<uint8_t>(host_order >> 24);
  address.bytes[1] = static_cast<uint8_t>(host_order >> 16);
  address.bytes[2] = static_cast<uint8_t>(host_order >> 8);
  address.bytes[3] = static_cast<uint8_t>(host_order);
  return address;
}

IpAddress IpAddress::v6_from(const uint8_t *network_order) {
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  IpAddress address;
  if (std::equal(kMappedPrefix, kMappedPrefix + 12, network_order)) {
    std::copy(network_order + 12, network_order + 16, address.bytes.begin());
  } else {
    address.v6 = true;
    std::copy(network_order, network_order + 16, address.bytes.begin());
  }
  return address;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton wants a terminated string and would stop at an inner NUL; no
  // address text is longer than INET6_ADDRSTRLEN.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN || text.find('\0') != text.npos) {
    return std::nullopt;
  }
  const std::string terminated(text);
  IpAddress address;
  if (inet_pton(AF_INET, terminated.c_str(), address.bytes.data()) == 1) return address;
  in6_addr v6{};
  if (inet_pton(AF_INET6, terminated.c_str(), &v6) != 1) return std::nullopt;
  return v6_from(v6.s6_addr);
}

std::string IpAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), text, sizeof text);
  return text;
}

AddressScope scope_of(const IpAddress &a) {
  const auto &b = a.bytes;
  if (!a.v6) {
    const uint32_t v = uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
    if (v == 0) return AddressScope::kUnspecified;
    if (v == 0xffffffff) return AddressScope::kBroadcast;
    if (b[0] == 127) return AddressScope::kLoopback;
    if (b[0] == 169 && b[1] == 254) return AddressScope::kLinkLocal;
    if ((b[0] & 0xf0) == 0xe0) return AddressScope::kMulticast;
    if (b[0] == 0 || (b[0] & 0xf0) == 0xf0) return AddressScope::kReserved;
    if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
        (b[0] == 100 && (b[1] & 0xc0) == 64)) {
      return AddressScope::kPrivate;
    }
    return AddressScope::kGlobal;
  }
  bool zero_prefix = true;  // the first 15 bytes
  for (size_t i = 0; i < 15; ++i) zero_prefix = zero_prefix && b[i] == 0;
  if (zero_prefix && b[15] == 0) return AddressScope::kUnspecified;
  if (zero_prefix && b[15] == 1) return AddressScope::kLoopback;
  if (b[0] == 0xff) return AddressScope::kMulticast;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressScope::kLinkLocal;
  if ((b[0] & 0xfe) == 0xfc) return AddressScope::kPrivate;
  if ((b[0] & 0xe0) == 0x20) return AddressScope::kGlobal;
  return AddressScope::kReserved;
}

const char *to_string(AddressScope scope) {
  switch (scope) {
    case AddressScope::kUnspecified:
      return "unspecified";
    case AddressScope::kLoopback:
      return "loopback";
    case AddressScope::kLinkLocal:
      return "link-local";
    case AddressScope::kMulticast:
      return "multicast";
    case AddressScope::kBroadcast:
      return "broadcast";
    case AddressScope::kReserved:
      return "reserved";
    case AddressScope::kPrivate:
      return "private";
    case AddressScope::kGlobal:
      return "global";
  }
  return "?";
}

std::optional<TransportAddress> TransportAddress::parse(std::string_view text, std::string *error) {
  auto fail = [&](const std::string &why) -> std::optional<TransportAddress> {
    if (error) *error = why;
    return std::nullopt;
  };
  std::string why;
  auto host_port = base::parse_host_port(text, &why);
  if (!host_port) return fail(why);
  if (host_port->port == 0) return fail("port 0");
  auto ip = IpAddress::parse(host_port->host);
  if (!ip) return fail("not a numeric address");
  // "[1.2.3.4]:5" or an IPv4-mapped "[::ffff:1.2.3.4]:5" parse, but are not
  // the one spelling a sender writes; accepting them would let one host pass
  // as several candidates.
  const bool bracketed = text.starts_with('[');
  if (bracketed != ip->v6) return fail("brackets go around IPv6 addresses only");
  return TransportAddress{*ip, host_port->port};
}

std::string TransportAddress::to_string() const {
  return base::format_host_port(ip.to_string(), port);
}

}  // namespace wzp::nat
