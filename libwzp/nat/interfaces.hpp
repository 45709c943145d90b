// This host's interface addresses, from getifaddrs(3): the input of
// host_candidates() (candidate.hpp), which decides which of them to offer.
#pragma once

#include <string>
#include <vector>

#include "libwzp/nat/candidate.hpp"

namespace wzp::nat {

// Every IPv4 and IPv6 address of every interface, in the kernel's order;
// empty, with `error` set, if getifaddrs fails.
std::vector<InterfaceAddress> list_interface_addresses(std::string &error);

}  // namespace wzp::nat
