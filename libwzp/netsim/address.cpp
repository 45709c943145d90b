#include "libwzp/netsim/address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cstring>

#include "libwzp/base/host_port.hpp"

namespace wzp::netsim {

uint16_t SocketAddress::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in *>(&storage)->sin_port);
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6 *>(&storage)->sin6_port);
  }
  return 0;
}

bool SocketAddress::operator==(const SocketAddress &other) const {
  return length == other.length && std::memcmp(&storage, &other.storage, length) == 0;
}

std::string parse_address(std::string_view text, SocketAddress &out) {
  std::string error;
  auto parsed = base::parse_host_port(text, &error);
  if (!parsed) return error;
  if (parsed->host.empty()) return "expected host:port, got '" + std::string(text) + "'";
  std::string_view host = parsed->host;

  // Numeric hosts only (and "localhost"): a test tool must never wait on DNS.
  if (host == "localhost") host = "127.0.0.1";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
  addrinfo *found = nullptr;
  const std::string host_text(host);
  const std::string port_text = std::to_string(parsed->port);
  if (int rc = getaddrinfo(host_text.c_str(), port_text.c_str(), &hints, &found); rc != 0) {
    return "bad address '" + std::string(text) + "': " + gai_strerror(rc);
  }
  std::memcpy(&out.storage, found->ai_addr, found->ai_addrlen);
  out.length = found->ai_addrlen;
  freeaddrinfo(found);
  return "";
}

std::string to_string(const SocketAddress &address) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (address.family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in *>(&address.storage)->sin_addr, host,
              sizeof host);
    return base::format_host_port(host, address.port());
  }
  if (address.family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6 *>(&address.storage)->sin6_addr, host,
              sizeof host);
    return base::format_host_port(host, address.port());
  }
  return "?";
}

}  // namespace wzp::netsim
