#include "signald/stun_responder.hpp"

#include <arpa/inet.h>
#include <glib-unix.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "libwzp/nat/stun.hpp"

namespace wzp::signald {
namespace {

std::optional<nat::TransportAddress> address_of(const sockaddr_storage &from) {
  char text[INET6_ADDRSTRLEN] = {};
  uint16_t port = 0;
  if (from.ss_family == AF_INET) {
    const auto &v4 = reinterpret_cast<const sockaddr_in &>(from);
    inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    port = ntohs(v4.sin_port);
  } else if (from.ss_family == AF_INET6) {
    const auto &v6 = reinterpret_cast<const sockaddr_in6 &>(from);
    inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    port = ntohs(v6.sin6_port);
  }
  // An IPv4 client of a dual-stack socket comes back as IPv4.
  auto ip = nat::IpAddress::parse(text);
  if (!ip || port == 0) return std::nullopt;
  return nat::TransportAddress{*ip, port};
}

}  // namespace

StunResponder::~StunResponder() {
  if (source_ != 0) {
    g_message("STUN: answered %" G_GUINT64_FORMAT ", ignored %" G_GUINT64_FORMAT, answered_,
              ignored_);
    g_source_remove(source_);
  }
  if (socket_ >= 0) close(socket_);
}

bool StunResponder::start(const std::string &host, uint16_t port, std::string &error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  addrinfo *found = nullptr;
  const std::string service = std::to_string(port);
  if (int rv = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rv != 0) {
    error = gai_strerror(rv);
    return false;
  }
  socket_ = socket(found->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (socket_ >= 0 && found->ai_family == AF_INET6) {
    int off = 0;  // "::" answers IPv4 clients too
    setsockopt(socket_, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  }
  const bool bound = socket_ >= 0 && bind(socket_, found->ai_addr, found->ai_addrlen) == 0;
  freeaddrinfo(found);
  if (!bound) {
    error = std::strerror(errno);
    return false;
  }
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  getsockname(socket_, reinterpret_cast<sockaddr *>(&local), &length);
  port_ = local.ss_family == AF_INET
              ? ntohs(reinterpret_cast<const sockaddr_in &>(local).sin_port)
              : ntohs(reinterpret_cast<const sockaddr_in6 &>(local).sin6_port);
  source_ = g_unix_fd_add(socket_, G_IO_IN, on_readable, this);
  return true;
}

gboolean StunResponder::on_readable(gint, GIOCondition, gpointer self) {
  static_cast<StunResponder *>(self)->receive_all();
  return G_SOURCE_CONTINUE;
}

void StunResponder::receive_all() {
  // At most this many a wake-up, so a flood cannot starve the main loop.
  for (int i = 0; i < 64; ++i) {
    std::array<uint8_t, 1500> buffer;
    sockaddr_storage from{};
    socklen_t from_length = sizeof from;
    const ssize_t n = recvfrom(socket_, buffer.data(), buffer.size(), 0,
                               reinterpret_cast<sockaddr *>(&from), &from_length);
    if (n < 0) return;
    auto id = nat::stun::parse_binding_request({buffer.data(), static_cast<size_t>(n)});
    auto seen = address_of(from);
    if (!id || !seen) {
      ++ignored_;
      continue;
    }
    auto response = nat::stun::encode_binding_response(*id, *seen);
    sendto(socket_, response.data(), response.size(), 0, reinterpret_cast<sockaddr *>(&from),
           from_length);
    ++answered_;
  }
}

std::string StunResponder::metrics() const {
  return "wzp_signald_stun_requests_total{result=\"answered\"} " + std::to_string(answered_) +
         "\nwzp_signald_stun_requests_total{result=\"ignored\"} " + std::to_string(ignored_) + "\n";
}

}  // namespace wzp::signald
