#include "libwzp/base/host_port.hpp"

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

}  // namespace wzp::base
