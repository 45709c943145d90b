#include "libwzp/nat/interfaces.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>

namespace wzp::nat {

std::vector<InterfaceAddress> list_interface_addresses(std::string &error) {
  std::vector<InterfaceAddress> out;
  ifaddrs *list = nullptr;
  if (getifaddrs(&list) != 0) {
    error = std::string("getifaddrs: ") + std::strerror(errno);
    return out;
  }
  for (const ifaddrs *entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr) continue;
    InterfaceAddress address;
    address.interface = entry->ifa_name ? entry->ifa_name : "";
    address.up = (entry->ifa_flags & IFF_UP) && (entry->ifa_flags & IFF_RUNNING);
    address.loopback = entry->ifa_flags & IFF_LOOPBACK;
    if (entry->ifa_addr->sa_family == AF_INET) {
      const auto *v4 = reinterpret_cast<const sockaddr_in *>(entry->ifa_addr);
      std::memcpy(address.ip.bytes.data(), &v4->sin_addr, 4);
    } else if (entry->ifa_addr->sa_family == AF_INET6) {
      const auto *v6 = reinterpret_cast<const sockaddr_in6 *>(entry->ifa_addr);
      address.ip = IpAddress::v6_from(v6->sin6_addr.s6_addr);
    } else {
      continue;
    }
    out.push_back(std::move(address));
  }
  freeifaddrs(list);
  return out;
}

}  // namespace wzp::nat
