// Hex literals for test vectors.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "libwzp/base/hex.hpp"

namespace wzp::crypto::test {

inline std::vector<uint8_t> unhex(std::string_view text) {
  std::vector<uint8_t> out(text.size() / 2);
  if (text.size() % 2 || !base::from_hex(text, out)) throw std::invalid_argument("bad hex in test");
  return out;
}

}  // namespace wzp::crypto::test
