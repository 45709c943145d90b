// Byte-for-byte agreement with liblcrq, an independent RFC 6330 encoder,
// across many block sizes (Table 2 boundaries included), symbol sizes and
// ESIs; and liblcrq decoding blocks from our repair symbols.
#include <gtest/gtest.h>

extern "C" {
#include <lcrq.h>
}

#include <memory>
#include <random>
#include <vector>

#include "libwzp/fec/raptorq.hpp"

namespace wzp::fec {
namespace {

struct RqDeleter {
  void operator()(rq_t *rq) const { rq_free(rq); }
};
using RqPtr = std::unique_ptr<rq_t, RqDeleter>;

std::vector<uint8_t> random_block(size_t n, std::mt19937 &rng) {
  std::vector<uint8_t> out(n);
  for (auto &b : out) b = static_cast<uint8_t>(rng());
  return out;
}

std::vector<uint8_t> lcrq_symbol(rq_t *rq, uint32_t esi, uint16_t t) {
  std::vector<uint8_t> sym(t);
  rq_pid_t pid = 0;
  pid = rq_pidsetesi(pid, esi);
  rq_symbol(rq, &pid, sym.data(), 0);
  return sym;
}

// K values around Table 2 boundaries (K' = 10, 12, 18, 101, 1002, ...). liblcrq
// takes seconds per block beyond a few thousand symbols, so larger K are
// covered by round trips instead.
const uint16_t kBlockSizes[] = {1,   2,   3,   9,   10,  11,  12,  13,   17,   18,   19,
                                20,  21,  26,  27,  48,  49,  50,  100,  101,  102,  127,
                                128, 255, 256, 257, 258, 500, 999, 1000, 1002, 1003, 1200};

TEST(LcrqConformance, RepairAndSourceSymbolsAreByteIdentical) {
  std::mt19937 rng(42);
  BlockEncoder encoder;
  int compared = 0;
  for (uint16_t k : kBlockSizes) {
    const uint16_t t = static_cast<uint16_t>(4 * (1 + rng() % 40));  // lcrq needs T % 4 == 0
    const auto source = random_block(size_t{k} * t, rng);
    ASSERT_TRUE(encoder.prepare(source, k, t));
    RqPtr rq(rq_init(source.size(), t));
    ASSERT_NE(rq, nullptr);
    ASSERT_EQ(rq_Z(rq.get()), 1);
    ASSERT_EQ(rq_KP(rq.get()), encoder.k_prime()) << "K=" << k;
    auto data = source;  // rq_encode takes a non-const pointer
    ASSERT_EQ(rq_encode(rq.get(), data.data(), data.size()), 0);
    std::vector<uint32_t> esis = {0, k - 1u, k, k + 1u, k + 2u, 0xffffffu};
    for (int i = 0; i < 12; ++i) esis.push_back(k + rng() % (4u * k + 50));
    for (int i = 0; i < 4; ++i) esis.push_back(rng() % 0x1000000);
    std::vector<uint8_t> ours(t);
    for (uint32_t esi : esis) {
      encoder.symbol(esi, ours);
      EXPECT_EQ(ours, lcrq_symbol(rq.get(), esi, t)) << "K=" << k << " T=" << t << " ESI=" << esi;
      ++compared;
    }
  }
  EXPECT_GT(compared, 700);
}

TEST(LcrqConformance, LcrqDecodesFromOurSymbols) {
  std::mt19937 rng(7);
  BlockEncoder encoder;
  for (uint16_t k : {4, 10, 64, 300}) {
    const uint16_t t = 32;
    const auto source = random_block(size_t{k} * t, rng);
    ASSERT_TRUE(encoder.prepare(source, k, t));
    RqPtr rq(rq_init(source.size(), t));
    ASSERT_NE(rq, nullptr);
    // Every other source symbol lost; repair symbols fill in, K' + 5 in all.
    const uint32_t wanted = encoder.k_prime() + 5;
    std::vector<uint32_t> esis;
    for (uint32_t i = 0; i < k; i += 2) esis.push_back(i);
    for (uint32_t esi = k; esis.size() < wanted; ++esi) esis.push_back(esi);
    std::vector<uint8_t> enc(esis.size() * t);
    for (size_t i = 0; i < esis.size(); ++i) {
      encoder.symbol(esis[i], std::span<uint8_t>(enc).subspan(i * t, t));
    }
    std::vector<uint8_t> dec(size_t{k} * t);
    ASSERT_EQ(rq_decode(rq.get(), dec.data(), enc.data(), esis.data(),
                        static_cast<uint32_t>(esis.size())),
              0)
        << "K=" << k;
    EXPECT_EQ(dec, source) << "K=" << k;
  }
}

}  // namespace
}  // namespace wzp::fec
