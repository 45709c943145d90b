#include "libwzp/crypto/padding.hpp"

#include <algorithm>

#include "libwzp/base/bytes.hpp"
#include "libwzp/crypto/media.hpp"

namespace wzp::crypto {

std::optional<size_t> padded_payload_size(size_t header_size, size_t payload_size,
                                          size_t size_class, size_t max_packet_size) {
  if (size_class == 0) return std::nullopt;
  const size_t least = header_size + payload_size + kPaddingTrailerSize + kTagSize;
  if (least > max_packet_size) return std::nullopt;
  const size_t rounded = (least + size_class - 1) / size_class * size_class;
  return std::min(rounded, max_packet_size) - header_size - kTagSize;
}

void pad(std::span<uint8_t> plaintext, size_t payload_size) {
  const size_t zeros = plaintext.size() - payload_size - kPaddingTrailerSize;
  std::fill_n(plaintext.begin() + static_cast<std::ptrdiff_t>(payload_size), zeros, 0);
  base::put_u16(plaintext.data() + plaintext.size() - kPaddingTrailerSize,
                static_cast<uint16_t>(zeros));
}

std::optional<size_t> unpadded_size(std::span<const uint8_t> plaintext) {
  if (plaintext.size() < kPaddingTrailerSize) return std::nullopt;
  const size_t zeros = base::get_u16(plaintext.data() + plaintext.size() - kPaddingTrailerSize);
  if (zeros > plaintext.size() - kPaddingTrailerSize) return std::nullopt;
  const size_t payload_size = plaintext.size() - kPaddingTrailerSize - zeros;
  auto padding = plaintext.subspan(payload_size, zeros);
  if (std::any_of(padding.begin(), padding.end(), [](uint8_t b) { return b != 0; })) {
    return std::nullopt;
  }
  return payload_size;
}

}  // namespace wzp::crypto
