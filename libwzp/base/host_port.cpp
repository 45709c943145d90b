#include "libwzp/base/host_port.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace wzp::base {

std::optional<HostPort> parse_host_port(std::string_view text, std::string *error) {
  auto fail = [&](std::string why) -> std::optional<HostPort> {
    if (error) *error = why + ", got '" + std::string(text) + "'";
    return std::nullopt;
  };
  std::string_view host, port;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return fail("expected [host]:port");
    if (close == 1) return fail("empty [] host");
    if (text.substr(close + 1, 1) != ":") return fail("expected ':' and a port after ']'");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail("expected host:port");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return fail("an IPv6 host needs brackets ([::1]:4433)");
    }
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return fail("bad port '" + std::string(port) + "'");
  }
  return HostPort{std::string(host), static_cast<uint16_t>(value)};
}

std::string format_host_port(std::string_view host, uint16_t port) {
  const bool v6 = host.find(':') != std::string_view::npos;
  return (v6 ? "[" : "") + std::string(host) + (v6 ? "]:" : ":") + std::to_string(port);
}

bool is_loopback_address(std::string_view address) {
  // inet_pton wants a terminated string, and would stop at an inner NUL.
  if (address.find('\0') != std::string_view::npos) return false;
  const std::string text(address);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  // GLib hands over a dual-stack socket's IPv4 peer as IPv4, but text from
  // elsewhere may keep it mapped; g_inet_address_get_is_loopback says no.
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

}  // namespace wzp::base
