// "host:port" parsing on arbitrary text: refused with a message, or an
// address whose printed form parses back to the same address. The same
// text goes to base::is_loopback_address (the daemon's /presence check),
// whose answer for a parsed host must match the address's own bytes.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "libwzp/base/host_port.hpp"
#include "libwzp/netsim/address.hpp"

namespace {

// The host of a parsed address as inet_ntop prints it, and whether its
// bytes say loopback (127/8, ::1, ::ffff:127/104).
bool printed_host(const wzp::netsim::SocketAddress &address, char (&host)[INET6_ADDRSTRLEN],
                  bool &loopback) {
  if (address.family() == AF_INET) {
    const auto &v4 = reinterpret_cast<const sockaddr_in *>(address.get())->sin_addr;
    loopback = (ntohl(v4.s_addr) >> 24) == 127;
    return inet_ntop(AF_INET, &v4, host, sizeof host) != nullptr;
  }
  const auto &v6 = reinterpret_cast<const sockaddr_in6 *>(address.get())->sin6_addr;
  loopback = IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
  return inet_ntop(AF_INET6, &v6, host, sizeof host) != nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::netsim;
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  (void)wzp::base::is_loopback_address(text);
  SocketAddress address;
  if (!parse_address(text, address).empty()) return 0;
  if (address.family() != AF_INET && address.family() != AF_INET6) std::abort();
  SocketAddress again;
  if (!parse_address(to_string(address), again).empty()) std::abort();
  if (again.port() != address.port() || again.family() != address.family()) std::abort();
  char host[INET6_ADDRSTRLEN];
  bool loopback = false;
  if (!printed_host(address, host, loopback)) std::abort();
  if (wzp::base::is_loopback_address(host) != loopback) std::abort();
  return 0;
}
