// Padding a sealed media packet to a size class, inside the ciphertext
// (docs/crypto.md, "Packet sizes"): packet sizes follow speech under VBR,
// so a relay learns who talks when; padded, every packet of a class is one
// size. The padding is `n` zero bytes then `n` as a big-endian u16 at the end
// of the plaintext, and the header's padded flag (wire::set_padded) says it
// is there; both are authenticated, so a relay can neither add nor strip it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace wzp::crypto {

// The u16 that ends every padded plaintext, saying how many zero bytes
// precede it.
inline constexpr size_t kPaddingTrailerSize = 2;

// The plaintext payload size that makes a packet of `header_size` header
// bytes and `payload_size` payload bytes, sealed (tag included), a multiple
// of `size_class` bytes, never above `max_packet_size`; at least
// payload_size + kPaddingTrailerSize. nullopt when even the trailer does not
// fit under `max_packet_size`, or `size_class` is 0 (no padding).
std::optional<size_t> padded_payload_size(size_t header_size, size_t payload_size,
                                          size_t size_class, size_t max_packet_size);

// Writes the padding after the first `payload_size` bytes of `plaintext`,
// which is the padded size (payload_size + kPaddingTrailerSize or more).
void pad(std::span<uint8_t> plaintext, size_t payload_size);

// The payload size of an opened padded plaintext, or nullopt when its
// padding is malformed: no room for the trailer, a length past the start,
// or a padding byte that is not zero.
std::optional<size_t> unpadded_size(std::span<const uint8_t> plaintext);

}  // namespace wzp::crypto
