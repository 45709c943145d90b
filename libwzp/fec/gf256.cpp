#include "libwzp/fec/gf256.hpp"

#include <immintrin.h>

#include <cstring>

namespace wzp::fec::gf256 {
namespace {

// Products of c with every low nibble and every high nibble: c*x is
// low[x & 15] ^ high[x >> 4], which the shuffle kernels look up 16 or 32 at a time.
struct NibbleTables {
  alignas(16) uint8_t low[16];
  alignas(16) uint8_t high[16];
};
constexpr std::array<NibbleTables, 256> make_nibble_tables() {
  std::array<NibbleTables, 256> all{};
  for (unsigned c = 0; c < 256; ++c) {
    for (unsigned i = 0; i < 16; ++i) {
      all[c].low[i] = mul(static_cast<uint8_t>(c), static_cast<uint8_t>(i));
      all[c].high[i] = mul(static_cast<uint8_t>(c), static_cast<uint8_t>(i << 4));
    }
  }
  return all;
}
constexpr std::array<NibbleTables, 256> kNibbleTables = make_nibble_tables();

void add_scalar(uint8_t *dst, const uint8_t *src, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t a, b;
    std::memcpy(&a, dst + i, 8);
    std::memcpy(&b, src + i, 8);
    a ^= b;
    std::memcpy(dst + i, &a, 8);
  }
  for (; i < n; ++i) dst[i] ^= src[i];
}
void xor_sum_scalar(uint8_t *dst, const uint8_t *const *srcs, size_t count, size_t n,
                    bool accumulate) {
  size_t first = 0;
  if (!accumulate) {
    if (count == 0) {
      std::memset(dst, 0, n);
      return;
    }
    std::memcpy(dst, srcs[0], n);
    first = 1;
  }
  for (size_t s = first; s < count; ++s) add_scalar(dst, srcs[s], n);
}
void mul_add_scalar(uint8_t *dst, const uint8_t *src, uint8_t c, size_t n) {
  const Tables &t = kTables;
  const unsigned log_c = t.log[c];
  for (size_t i = 0; i < n; ++i) {
    if (src[i] != 0) dst[i] ^= t.exp[t.log[src[i]] + log_c];
  }
}
void scale_scalar(uint8_t *dst, uint8_t c, size_t n) {
  const Tables &t = kTables;
  const unsigned log_c = t.log[c];
  for (size_t i = 0; i < n; ++i) {
    if (dst[i] != 0) dst[i] = t.exp[t.log[dst[i]] + log_c];
  }
}

__attribute__((target("ssse3"))) void mul_add_ssse3(uint8_t *dst, const uint8_t *src, uint8_t c,
                                                    size_t n) {
  const NibbleTables &nt = kNibbleTables[c];
  const __m128i low = _mm_load_si128(reinterpret_cast<const __m128i *>(nt.low));
  const __m128i high = _mm_load_si128(reinterpret_cast<const __m128i *>(nt.high));
  const __m128i mask = _mm_set1_epi8(0x0f);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i *>(src + i));
    __m128i p = _mm_xor_si128(_mm_shuffle_epi8(low, _mm_and_si128(s, mask)),
                              _mm_shuffle_epi8(high, _mm_and_si128(_mm_srli_epi64(s, 4), mask)));
    __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i *>(dst + i));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(dst + i), _mm_xor_si128(d, p));
  }
  if (i < n) mul_add_scalar(dst + i, src + i, c, n - i);
}
__attribute__((target("ssse3"))) void scale_ssse3(uint8_t *dst, uint8_t c, size_t n) {
  const NibbleTables &nt = kNibbleTables[c];
  const __m128i low = _mm_load_si128(reinterpret_cast<const __m128i *>(nt.low));
  const __m128i high = _mm_load_si128(reinterpret_cast<const __m128i *>(nt.high));
  const __m128i mask = _mm_set1_epi8(0x0f);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i *>(dst + i));
    __m128i p = _mm_xor_si128(_mm_shuffle_epi8(low, _mm_and_si128(s, mask)),
                              _mm_shuffle_epi8(high, _mm_and_si128(_mm_srli_epi64(s, 4), mask)));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(dst + i), p);
  }
  if (i < n) scale_scalar(dst + i, c, n - i);
}

__attribute__((target("avx2"))) void add_avx2(uint8_t *dst, const uint8_t *src, size_t n) {
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(src + i));
    __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(dst + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(dst + i), _mm256_xor_si256(d, s));
  }
  if (i < n) add_scalar(dst + i, src + i, n - i);
}
__attribute__((target("avx2"))) inline __m256i load(const uint8_t *p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
}
// Sums 128-byte stripes in registers, so dst is written once per stripe.
__attribute__((target("avx2"))) void xor_sum_avx2(uint8_t *dst, const uint8_t *const *srcs,
                                                  size_t count, size_t n, bool accumulate) {
  if (!accumulate && count == 0) {
    std::memset(dst, 0, n);
    return;
  }
  const uint8_t *start = accumulate ? dst : srcs[0];
  const size_t first = accumulate ? 0 : 1;
  size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    __m256i a0 = load(start + i), a1 = load(start + i + 32), a2 = load(start + i + 64),
            a3 = load(start + i + 96);
    for (size_t s = first; s < count; ++s) {
      const uint8_t *src = srcs[s] + i;
      a0 = _mm256_xor_si256(a0, load(src));
      a1 = _mm256_xor_si256(a1, load(src + 32));
      a2 = _mm256_xor_si256(a2, load(src + 64));
      a3 = _mm256_xor_si256(a3, load(src + 96));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(dst + i), a0);
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(dst + i + 32), a1);
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(dst + i + 64), a2);
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(dst + i + 96), a3);
  }
  for (; i + 32 <= n; i += 32) {
    __m256i a = load(start + i);
    for (size_t s = first; s < count; ++s) a = _mm256_xor_si256(a, load(srcs[s] + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(dst + i), a);
  }
  for (; i < n; ++i) {
    uint8_t a = start[i];
    for (size_t s = first; s < count; ++s) a ^= srcs[s][i];
    dst[i] = a;
  }
}
__attribute__((target("avx2"))) void mul_add_avx2(uint8_t *dst, const uint8_t *src, uint8_t c,
                                                  size_t n) {
  const NibbleTables &nt = kNibbleTables[c];
  const __m256i low =
      _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i *>(nt.low)));
  const __m256i high =
      _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i *>(nt.high)));
  const __m256i mask = _mm256_set1_epi8(0x0f);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(src + i));
    __m256i p = _mm256_xor_si256(
        _mm256_shuffle_epi8(low, _mm256_and_si256(s, mask)),
        _mm256_shuffle_epi8(high, _mm256_and_si256(_mm256_srli_epi64(s, 4), mask)));
    __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(dst + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(dst + i), _mm256_xor_si256(d, p));
  }
  if (i < n) mul_add_scalar(dst + i, src + i, c, n - i);
}
__attribute__((target("avx2"))) void scale_avx2(uint8_t *dst, uint8_t c, size_t n) {
  const NibbleTables &nt = kNibbleTables[c];
  const __m256i low =
      _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i *>(nt.low)));
  const __m256i high =
      _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i *>(nt.high)));
  const __m256i mask = _mm256_set1_epi8(0x0f);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(dst + i));
    __m256i p = _mm256_xor_si256(
        _mm256_shuffle_epi8(low, _mm256_and_si256(s, mask)),
        _mm256_shuffle_epi8(high, _mm256_and_si256(_mm256_srli_epi64(s, 4), mask)));
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(dst + i), p);
  }
  if (i < n) scale_scalar(dst + i, c, n - i);
}

__attribute__((target("avx2"))) void running_sum_step_avx2(uint8_t *acc, const uint8_t *v,
                                                           uint8_t c, uint8_t *out1, uint8_t *out2,
                                                           size_t n) {
  const NibbleTables &nt = kNibbleTables[c];
  const __m256i low =
      _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i *>(nt.low)));
  const __m256i high =
      _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i *>(nt.high)));
  const __m256i mask = _mm256_set1_epi8(0x0f);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i a = load(acc + i);
    __m256i r = _mm256_xor_si256(
        _mm256_shuffle_epi8(low, _mm256_and_si256(a, mask)),
        _mm256_shuffle_epi8(high, _mm256_and_si256(_mm256_srli_epi64(a, 4), mask)));
    if (v) r = _mm256_xor_si256(r, load(v + i));
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(acc + i), r);
    if (out1)
      _mm256_storeu_si256(reinterpret_cast<__m256i *>(out1 + i),
                          _mm256_xor_si256(load(out1 + i), r));
    if (out2)
      _mm256_storeu_si256(reinterpret_cast<__m256i *>(out2 + i),
                          _mm256_xor_si256(load(out2 + i), r));
  }
  for (; i < n; ++i) {
    uint8_t r = mul(c, acc[i]);
    if (v) r ^= v[i];
    acc[i] = r;
    if (out1) out1[i] ^= r;
    if (out2) out2[i] ^= r;
  }
}

struct Kernels {
  const char *name;
  void (*add)(uint8_t *, const uint8_t *, size_t);
  void (*xor_sum)(uint8_t *, const uint8_t *const *, size_t, size_t, bool);
  void (*mul_add)(uint8_t *, const uint8_t *, uint8_t, size_t);
  void (*scale)(uint8_t *, uint8_t, size_t);
};
constexpr Kernels kScalar{"scalar", add_scalar, xor_sum_scalar, mul_add_scalar, scale_scalar};
constexpr Kernels kSsse3{"ssse3", add_scalar, xor_sum_scalar, mul_add_ssse3, scale_ssse3};
constexpr Kernels kAvx2{"avx2", add_avx2, xor_sum_avx2, mul_add_avx2, scale_avx2};

bool cpu_runs(const Kernels &k) {
  if (&k == &kAvx2) return __builtin_cpu_supports("avx2");
  if (&k == &kSsse3) return __builtin_cpu_supports("ssse3");
  return true;
}

const Kernels *best_kernels() {
  __builtin_cpu_init();
  for (const Kernels *k : {&kAvx2, &kSsse3}) {
    if (cpu_runs(*k)) return k;
  }
  return &kScalar;
}

const Kernels *&active() {
  static const Kernels *kernels = best_kernels();
  return kernels;
}

}  // namespace

void add(uint8_t *dst, const uint8_t *src, size_t n) { active()->add(dst, src, n); }

void xor_sum(uint8_t *dst, const uint8_t *const *srcs, size_t count, size_t n, bool accumulate) {
  if (n == 0) return;
  active()->xor_sum(dst, srcs, count, n, accumulate);
}

void mul_add(uint8_t *dst, const uint8_t *src, uint8_t c, size_t n) {
  if (c == 0) return;
  if (c == 1) return active()->add(dst, src, n);
  active()->mul_add(dst, src, c, n);
}

void scale(uint8_t *dst, uint8_t c, size_t n) {
  if (c == 1 || n == 0) return;
  if (c == 0) {
    std::memset(dst, 0, n);
    return;
  }
  active()->scale(dst, c, n);
}

void running_sum_step(uint8_t *acc, const uint8_t *v, uint8_t c, uint8_t *out1, uint8_t *out2,
                      size_t n) {
  if (n == 0) return;
  if (active() == &kAvx2) return running_sum_step_avx2(acc, v, c, out1, out2, n);
  scale(acc, c, n);
  if (v) add(acc, v, n);
  if (out1) add(out1, acc, n);
  if (out2) add(out2, acc, n);
}

const char *kernel_name() { return active()->name; }

bool force_kernel(const char *name) {
  for (const Kernels *k : {&kAvx2, &kSsse3, &kScalar}) {
    if (std::strcmp(k->name, name) == 0 && cpu_runs(*k)) {
      active() = k;
      return true;
    }
  }
  return false;
}

}  // namespace wzp::fec::gf256
