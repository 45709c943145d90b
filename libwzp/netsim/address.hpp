// Socket addresses written as "host:port" or "[v6-host]:port".
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace wzp::netsim {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  const sockaddr *get() const { return reinterpret_cast<const sockaddr *>(&storage); }
  sockaddr *get() { return reinterpret_cast<sockaddr *>(&storage); }
  int family() const { return storage.ss_family; }
  uint16_t port() const;
  bool operator==(const SocketAddress &other) const;
};

// Parses "127.0.0.1:5000", "[::1]:5000" or "localhost:5000" (numeric hosts
// and localhost only, so it never waits on DNS). Returns "" on success or a
// message saying what is wrong.
std::string parse_address(std::string_view text, SocketAddress &out);

std::string to_string(const SocketAddress &address);

}  // namespace wzp::netsim
