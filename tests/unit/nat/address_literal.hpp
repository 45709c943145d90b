// An address the test spells out and knows to be valid.
#pragma once

#include "libwzp/nat/address.hpp"

namespace wzp::nat {

inline TransportAddress at(const char *text) { return *TransportAddress::parse(text); }

}  // namespace wzp::nat
