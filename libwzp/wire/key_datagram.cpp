#include "libwzp/wire/key_datagram.hpp"

#include <algorithm>
#include <array>

namespace wzp::wire {
namespace {

constexpr std::array<uint8_t, 4> kMagic = {'W', 'Z', 'R', 1};

}  // namespace

size_t write_key_datagram(std::span<const uint8_t> message, std::span<uint8_t> out) {
  if (message.size() != kKeyMessageSize || out.size() < kKeyDatagramSize) return 0;
  out[0] = kKeyDatagramType;
  std::copy(message.begin(), message.end(), out.begin() + 1);
  return kKeyDatagramSize;
}

std::optional<std::span<const uint8_t>> parse_key_datagram(std::span<const uint8_t> datagram) {
  if (datagram.size() != kKeyDatagramSize || datagram[0] != kKeyDatagramType ||
      !std::equal(kMagic.begin(), kMagic.end(), datagram.begin() + 1)) {
    return std::nullopt;
  }
  return datagram.subspan(1);
}

}  // namespace wzp::wire
