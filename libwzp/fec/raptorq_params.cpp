#include "libwzp/fec/raptorq_params.hpp"

#include <algorithm>

#include "libwzp/fec/rfc6330_tables.hpp"

namespace wzp::fec {
namespace {

bool is_prime(uint32_t n) {
  if (n < 2) return false;
  for (uint32_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

// Deg[v] of Section 5.3.5.2: d with f[d-1] <= v < f[d], capped at W - 2.
uint32_t degree(uint32_t v, uint32_t w) {
  const auto &f = rfc6330::kDegreeThresholds;
  const uint32_t d = static_cast<uint32_t>(std::upper_bound(f.begin(), f.end(), v) - f.begin());
  return std::min(d, w - 2);
}

}  // namespace

std::optional<BlockParams> BlockParams::for_k(uint32_t k) {
  if (k == 0 || k > kMaxK) return std::nullopt;
  const auto &rows = rfc6330::kSystematicIndices;
  const auto row = std::lower_bound(
      rows.begin(), rows.end(), k,
      [](const rfc6330::SystematicIndex &r, uint32_t key) { return r.k_prime < key; });
  BlockParams p{};
  p.k_prime = row->k_prime;
  p.j = row->j;
  p.s = row->s;
  p.h = row->h;
  p.w = row->w;
  p.l = p.k_prime + p.s + p.h;
  p.p = p.l - p.w;
  p.p1 = p.p;
  while (!is_prime(p.p1)) ++p.p1;
  p.b = p.w - p.s;
  return p;
}

uint32_t rand(uint32_t y, uint32_t i, uint32_t m) {
  const uint32_t v = rfc6330::kV0[(y + i) & 0xff] ^ rfc6330::kV1[((y >> 8) + i) & 0xff] ^
                     rfc6330::kV2[((y >> 16) + i) & 0xff] ^ rfc6330::kV3[((y >> 24) + i) & 0xff];
  return v % m;
}

Tuple tuple(const BlockParams &p, uint32_t isi) {
  uint32_t a = 53591 + p.j * 997;
  if (a % 2 == 0) ++a;
  const uint32_t b = 10267 * (p.j + 1);
  // Unsigned 32-bit wraparound is exactly the RFC's "mod 2^32".
  const uint32_t y = b + isi * a;
  Tuple t{};
  t.d = degree(rand(y, 0, 1u << 20), p.w);
  t.a = 1 + rand(y, 1, p.w - 1);
  t.b = rand(y, 2, p.w);
  t.d1 = t.d < 4 ? 2 + rand(isi, 3, 2) : 2;
  t.a1 = 1 + rand(isi, 4, p.p1 - 1);
  t.b1 = rand(isi, 5, p.p1);
  return t;
}

}  // namespace wzp::fec
