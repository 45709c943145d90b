// GF(256) arithmetic as RFC 6330 Section 5.7 defines it (polynomial
// x^8 + x^4 + x^3 + x^2 + 1, generator alpha = 2), plus the bulk kernels the
// RaptorQ solver spends its time in. The bulk kernels pick AVX2, SSSE3 or
// plain C++ once, at first use, from what the CPU supports.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace wzp::fec::gf256 {

struct Tables {
  std::array<uint8_t, 510> exp{};  // exp[i] = alpha^i, doubled so log sums need no modulo
  std::array<uint8_t, 256> log{};  // log[0] is unused
};
constexpr Tables make_tables() {
  Tables t;
  unsigned x = 1;
  for (unsigned i = 0; i < 255; ++i) {
    t.exp[i] = static_cast<uint8_t>(x);
    t.exp[i + 255] = static_cast<uint8_t>(x);
    t.log[x] = static_cast<uint8_t>(i);
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  return t;
}
inline constexpr Tables kTables = make_tables();

constexpr uint8_t mul(uint8_t a, uint8_t b) {
  if (a == 0 || b == 0) return 0;
  return kTables.exp[kTables.log[a] + kTables.log[b]];
}
// b must be nonzero.
constexpr uint8_t div(uint8_t a, uint8_t b) {
  if (a == 0) return 0;
  return kTables.exp[kTables.log[a] + 255 - kTables.log[b]];
}
// alpha^e for any e >= 0.
constexpr uint8_t alpha_pow(uint32_t e) { return kTables.exp[e % 255]; }

// dst[i] ^= src[i]
void add(uint8_t *dst, const uint8_t *src, size_t n);
// dst = srcs[0] ^ ... ^ srcs[count-1], or dst ^= that sum when `accumulate`;
// one pass over dst however many sources (zero sources: dst = 0 or unchanged).
void xor_sum(uint8_t *dst, const uint8_t *const *srcs, size_t count, size_t n, bool accumulate);
// dst[i] ^= c * src[i]
void mul_add(uint8_t *dst, const uint8_t *src, uint8_t c, size_t n);
// dst[i] = c * dst[i]
void scale(uint8_t *dst, uint8_t c, size_t n);

// One step of a running sum feeding two rows, in a single pass:
// acc = c * acc ^ v, then out1 ^= acc and out2 ^= acc. v, out1 and out2 may
// each be nullptr (skipped).
void running_sum_step(uint8_t *acc, const uint8_t *v, uint8_t c, uint8_t *out1, uint8_t *out2,
                      size_t n);

// Which kernel set is in use: "avx2", "ssse3" or "scalar".
const char *kernel_name();
// Forces a kernel set (for tests and benchmarks); returns false if this CPU
// cannot run it. Not thread-safe: call before any coding starts.
bool force_kernel(const char *name);

}  // namespace wzp::fec::gf256
