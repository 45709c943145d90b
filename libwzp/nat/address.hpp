// Numeric transport addresses as candidates carry them: "ip:port" or
// "[ipv6]:port", never a name (a name would make the receiver ask DNS on a
// caller's behalf). A value type that compares and classifies without a
// socket, so the decisions about candidates are tested without a network.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wzp::nat {

struct IpAddress {
  bool v6 = false;
  // IPv4 in the first 4 bytes; IPv6 in all 16.
  std::array<uint8_t, 16> bytes{};

  static IpAddress v4_from(uint32_t host_order);
  // 16 bytes in network order; an IPv4-mapped address (::ffff:a.b.c.d) comes
  // back as IPv4, so one host is never two candidates.
  static IpAddress v6_from(const uint8_t *network_order);
  // nullopt unless `text` is a dotted quad or an RFC 4291 IPv6 text form
  // (IPv4-mapped ones come back as IPv4, as from v6_from).
  static std::optional<IpAddress> parse(std::string_view text);
  std::string to_string() const;
  auto operator<=>(const IpAddress &) const = default;
};

// What an address is good for, from the ranges the IANA special-purpose
// registries list (RFC 6890 and its updates).
enum class AddressScope {
  kUnspecified,  // 0.0.0.0, ::
  kLoopback,     // 127/8, ::1
  kLinkLocal,    // 169.254/16, fe80::/10: needs an interface to mean anything
  kMulticast,    // 224/4, ff00::/8
  kBroadcast,    // 255.255.255.255
  kReserved,     // 0/8, 240/4, and IPv6 outside 2000::/3 and fc00::/7
  kPrivate,      // 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT), fc00::/7 (ULA)
  kGlobal,       // everything else: reachable across the internet, if anything is
};
AddressScope scope_of(const IpAddress &address);
const char *to_string(AddressScope scope);

struct TransportAddress {
  IpAddress ip;
  uint16_t port = 0;

  // nullopt, with `error` saying why, unless `text` is exactly "a.b.c.d:port"
  // or "[v6]:port" with a port of 1..65535 (no names, no zone ids, no spaces).
  static std::optional<TransportAddress> parse(std::string_view text, std::string *error = nullptr);
  std::string to_string() const;
  auto operator<=>(const TransportAddress &) const = default;
};

}  // namespace wzp::nat
