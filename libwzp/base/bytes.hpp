// Big-endian integer access for everything that writes bytes: the wire
// header, FEC prefixes, crypto messages, message framing. Callers check
// bounds first.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wzp::base {

// The low `size` bytes of `v`, most significant first (size 1..8).
inline void put_be(uint8_t *p, uint64_t v, size_t size) {
  for (size_t i = 0; i < size; ++i) p[i] = static_cast<uint8_t>(v >> (8 * (size - 1 - i)));
}
inline uint64_t get_be(const uint8_t *p, size_t size) {
  uint64_t v = 0;
  for (size_t i = 0; i < size; ++i) v = v << 8 | p[i];
  return v;
}

inline void put_u16(uint8_t *p, uint16_t v) { put_be(p, v, 2); }
inline void put_u32(uint8_t *p, uint32_t v) { put_be(p, v, 4); }
inline void put_u64(uint8_t *p, uint64_t v) { put_be(p, v, 8); }
inline uint16_t get_u16(const uint8_t *p) { return static_cast<uint16_t>(get_be(p, 2)); }
inline uint32_t get_u32(const uint8_t *p) { return static_cast<uint32_t>(get_be(p, 4)); }
inline uint64_t get_u64(const uint8_t *p) { return get_be(p, 8); }

}  // namespace wzp::base
