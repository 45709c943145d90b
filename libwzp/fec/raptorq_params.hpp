// RFC 6330 block parameters and the tuple generator (Sections 5.3.1-5.3.5):
// everything about a source block that follows from K' alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace wzp::fec {

inline constexpr uint32_t kMaxK = 56403;

struct BlockParams {
  uint32_t k_prime;  // extended block size K'
  uint32_t j;        // systematic index J(K')
  uint32_t s;        // LDPC symbols
  uint32_t h;        // HDPC symbols
  uint32_t w;        // LT symbols
  uint32_t l;        // intermediate symbols, K' + S + H
  uint32_t p;        // permanently inactive symbols, L - W
  uint32_t p1;       // smallest prime >= P
  uint32_t b;        // LT symbols that are not LDPC symbols, W - S

  // The parameters for a block of K source symbols (Table 2's first row with
  // K' >= K); nullopt when K is 0 or above kMaxK.
  static std::optional<BlockParams> for_k(uint32_t k);
};

// Rand[y, i, m] of Section 5.3.5.1.
uint32_t rand(uint32_t y, uint32_t i, uint32_t m);

// Tuple[K', X] of Section 5.3.5.4 for internal symbol ID X.
struct Tuple {
  uint32_t d, a, b;     // LT part: d symbols among the W LT symbols
  uint32_t d1, a1, b1;  // PI part: d1 symbols among the P PI symbols
};
Tuple tuple(const BlockParams &p, uint32_t isi);

// The most columns an encoding symbol sums: degree 30 plus 3 PI symbols.
inline constexpr size_t kMaxLtColumns = 33;

// Calls f(column) for each intermediate symbol that encoding symbol `isi`
// sums (Section 5.3.5.3): the LT columns, then the PI columns.
template <typename F>
void for_each_lt_column(const BlockParams &p, uint32_t isi, F &&f) {
  const Tuple t = tuple(p, isi);
  uint32_t b = t.b;
  f(b);
  for (uint32_t j = 1; j < t.d; ++j) {
    b = (b + t.a) % p.w;
    f(b);
  }
  uint32_t b1 = t.b1;
  while (b1 >= p.p) b1 = (b1 + t.a1) % p.p1;
  f(p.w + b1);
  for (uint32_t j = 1; j < t.d1; ++j) {
    b1 = (b1 + t.a1) % p.p1;
    while (b1 >= p.p) b1 = (b1 + t.a1) % p.p1;
    f(p.w + b1);
  }
}

}  // namespace wzp::fec
