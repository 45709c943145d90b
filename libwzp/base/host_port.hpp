// "host:port" as users type it on command lines and in config files:
// "example.org:4433", "127.0.0.1:4433", "[::1]:4433", ":4433" (no host).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wzp::base {

struct HostPort {
  std::string host;  // without brackets; empty for ":4433"
  uint16_t port = 0;
};

// nullopt, with `error` saying why, on: no ':' before the port, an empty or
// non-decimal port or one above 65535, an IPv6 host without brackets
// ("::1:4433" is ambiguous), or an unclosed or empty bracket. Whether an
// empty host or port 0 is acceptable is the caller's call.
std::optional<HostPort> parse_host_port(std::string_view text, std::string *error = nullptr);

// The inverse: brackets around a host that contains ':'.
std::string format_host_port(std::string_view host, uint16_t port);

// Whether a numeric address, as inet_ntop and GLib print it, is this host's
// loopback: 127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into IPv6
// (::ffff:127.0.0.1, how a dual-stack socket's kernel address names an
// IPv4 peer on loopback). Anything else, names and unparsable text included, is not.
bool is_loopback_address(std::string_view address);

}  // namespace wzp::base
