// Big-endian integer access for the wire codecs. Callers check bounds first.
#pragma once

#include <cstdint>

namespace wzp::wire {

inline void put_u16(uint8_t *p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void put_u32(uint8_t *p, uint32_t v) {
  put_u16(p, static_cast<uint16_t>(v >> 16));
  put_u16(p + 2, static_cast<uint16_t>(v));
}
inline uint16_t get_u16(const uint8_t *p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t get_u32(const uint8_t *p) { return uint32_t{get_u16(p)} << 16 | get_u16(p + 2); }

}  // namespace wzp::wire
