// GF(256) arithmetic: field laws and every SIMD kernel against the scalar one.
#include "libwzp/fec/gf256.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace wzp::fec::gf256 {
namespace {

TEST(Gf256, FieldLaws) {
  EXPECT_EQ(mul(2, 128), 0x1d);  // alpha^8 reduced by x^8 + x^4 + x^3 + x^2 + 1
  EXPECT_EQ(alpha_pow(255), 1);
  EXPECT_EQ(alpha_pow(0), 1);
  for (int a = 1; a < 256; ++a) {
    EXPECT_EQ(mul(static_cast<uint8_t>(a), div(1, static_cast<uint8_t>(a))), 1) << a;
    EXPECT_EQ(mul(static_cast<uint8_t>(a), 0), 0);
    EXPECT_EQ(mul(static_cast<uint8_t>(a), 1), a);
  }
  for (int a = 0; a < 256; a += 7) {
    for (int b = 0; b < 256; b += 5) {
      for (int c = 0; c < 256; c += 11) {
        const auto x = static_cast<uint8_t>(a), y = static_cast<uint8_t>(b),
                   z = static_cast<uint8_t>(c);
        EXPECT_EQ(mul(x, static_cast<uint8_t>(y ^ z)), mul(x, y) ^ mul(x, z));
        EXPECT_EQ(mul(mul(x, y), z), mul(x, mul(y, z)));
      }
    }
  }
}

std::vector<uint8_t> other_bytes(size_t n, std::mt19937 &rng) {
  std::vector<uint8_t> out(n);
  for (auto &b : out) b = static_cast<uint8_t>(rng());
  return out;
}

// Runs the bulk kernels under each kernel set and compares with byte-wise mul.
TEST(Gf256, EveryKernelSetMatchesBytewiseArithmetic) {
  const std::string original = kernel_name();
  std::mt19937 rng(3);
  int sets_run = 0;
  for (const char *name : {"scalar", "ssse3", "avx2"}) {
    if (!force_kernel(name)) continue;
    ++sets_run;
    for (size_t n : {0, 1, 15, 16, 17, 31, 32, 33, 100, 1200, 1203}) {
      std::vector<uint8_t> src(n), dst(n);
      for (auto &b : src) b = static_cast<uint8_t>(rng());
      for (auto &b : dst) b = static_cast<uint8_t>(rng());
      for (int c : {0, 1, 2, 0x53, 0xff}) {
        const auto coef = static_cast<uint8_t>(c);
        std::vector<uint8_t> want = dst, got = dst;
        for (size_t i = 0; i < n; ++i) want[i] ^= mul(coef, src[i]);
        mul_add(got.data(), src.data(), coef, n);
        EXPECT_EQ(got, want) << name << " mul_add n=" << n << " c=" << c;
        want = dst;
        got = dst;
        for (size_t i = 0; i < n; ++i) want[i] = mul(coef, want[i]);
        scale(got.data(), coef, n);
        EXPECT_EQ(got, want) << name << " scale n=" << n << " c=" << c;
      }
      std::vector<uint8_t> want = dst, got = dst;
      for (size_t i = 0; i < n; ++i) want[i] ^= src[i];
      add(got.data(), src.data(), n);
      EXPECT_EQ(got, want) << name << " add n=" << n;
      // running_sum_step with and without each optional operand.
      for (int mask = 0; mask < 8; ++mask) {
        std::vector<uint8_t> acc = dst, o1 = src, o2 = other_bytes(n, rng);
        std::vector<uint8_t> want_acc = acc, want_o1 = o1, want_o2 = o2;
        for (size_t i = 0; i < n; ++i) {
          want_acc[i] = static_cast<uint8_t>(mul(0x02, acc[i]) ^ ((mask & 1) ? src[i] : 0));
          if (mask & 2) want_o1[i] ^= want_acc[i];
          if (mask & 4) want_o2[i] ^= want_acc[i];
        }
        running_sum_step(acc.data(), (mask & 1) ? src.data() : nullptr, 0x02,
                         (mask & 2) ? o1.data() : nullptr, (mask & 4) ? o2.data() : nullptr, n);
        EXPECT_EQ(acc, want_acc) << name << " running_sum_step n=" << n << " mask=" << mask;
        EXPECT_EQ(o1, want_o1) << name << " running_sum_step n=" << n << " mask=" << mask;
        EXPECT_EQ(o2, want_o2) << name << " running_sum_step n=" << n << " mask=" << mask;
      }
      // xor_sum over 0..3 sources, overwriting and accumulating.
      std::vector<uint8_t> other(n);
      for (auto &b : other) b = static_cast<uint8_t>(rng());
      const uint8_t *sources[3] = {src.data(), other.data(), src.data()};
      for (size_t count = 0; count <= 3; ++count) {
        for (bool accumulate : {false, true}) {
          want = accumulate ? dst : std::vector<uint8_t>(n, 0);
          for (size_t s = 0; s < count; ++s) {
            for (size_t i = 0; i < n; ++i) want[i] ^= sources[s][i];
          }
          got = dst;
          xor_sum(got.data(), sources, count, n, accumulate);
          EXPECT_EQ(got, want) << name << " xor_sum n=" << n << " count=" << count;
        }
      }
    }
  }
  EXPECT_GE(sets_run, 1);
  EXPECT_FALSE(force_kernel("no-such-kernel"));
  ASSERT_TRUE(force_kernel(original.c_str()));
}

}  // namespace
}  // namespace wzp::fec::gf256
