// RFC 6330 constant tables (Section 5.5 V0..V3, 5.3.5.2 Table 1, 5.6 Table 2).
// The data lives in the generated rfc6330_tables.cpp.
#pragma once

#include <array>
#include <cstdint>

namespace wzp::fec::rfc6330 {

// One row of Table 2: a supported extended block size K' and its parameters.
struct SystematicIndex {
  uint16_t k_prime;
  uint16_t j;  // systematic index J(K')
  uint16_t s;  // LDPC symbols
  uint16_t h;  // HDPC symbols
  uint16_t w;  // LT symbols
};

extern const std::array<SystematicIndex, 477> kSystematicIndices;
extern const std::array<uint32_t, 256> kV0;
extern const std::array<uint32_t, 256> kV1;
extern const std::array<uint32_t, 256> kV2;
extern const std::array<uint32_t, 256> kV3;
// f[0..30]: Deg[v] = d for f[d-1] <= v < f[d].
extern const std::array<uint32_t, 31> kDegreeThresholds;

}  // namespace wzp::fec::rfc6330
