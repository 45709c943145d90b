// "host:port" parsing on arbitrary text: refused with a message, or an
// address whose printed form parses back to the same address.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "libwzp/netsim/address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::netsim;
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  SocketAddress address;
  if (!parse_address(text, address).empty()) return 0;
  if (address.family() != AF_INET && address.family() != AF_INET6) std::abort();
  SocketAddress again;
  if (!parse_address(to_string(address), again).empty()) std::abort();
  if (again.port() != address.port() || again.family() != address.family()) std::abort();
  return 0;
}
