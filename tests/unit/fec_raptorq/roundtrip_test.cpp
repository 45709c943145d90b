// Encode, lose symbols, decode: random loss patterns, source and repair
// mixes, the API's refusals, and a loose bound on the failure rate.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "libwzp/fec/raptorq.hpp"

namespace wzp::fec {
namespace {

using Status = BlockDecoder::Status;

std::vector<uint8_t> random_bytes(size_t n, std::mt19937 &rng) {
  std::vector<uint8_t> out(n);
  for (auto &b : out) b = static_cast<uint8_t>(rng());
  return out;
}

// Sends `received` ESIs of the block (a random choice among the first
// K + repair ESIs) and returns the decoder's status after all of them.
Status decode_from(const BlockEncoder &encoder, const std::vector<uint8_t> &source,
                   const std::vector<uint32_t> &esis, BlockDecoder &decoder) {
  const uint16_t k = encoder.k();
  const uint16_t t = encoder.t();
  EXPECT_TRUE(decoder.reset(k, t));
  std::vector<uint8_t> symbol(t);
  for (uint32_t esi : esis) {
    encoder.symbol(esi, symbol);
    EXPECT_TRUE(decoder.add_symbol(esi, symbol));
  }
  const Status status = decoder.try_decode();
  if (status == Status::kDecoded) {
    for (uint16_t i = 0; i < k; ++i) {
      EXPECT_TRUE(decoder.has_source_symbol(i));
      const auto got = decoder.source_symbol(i);
      EXPECT_TRUE(std::equal(got.begin(), got.end(), source.begin() + size_t{i} * t))
          << "K=" << k << " symbol " << i;
    }
  }
  return status;
}

std::vector<uint32_t> random_esis(uint32_t k, uint32_t count, uint32_t pool, std::mt19937 &rng) {
  std::vector<uint32_t> all(pool);
  std::iota(all.begin(), all.end(), 0u);
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(count);
  (void)k;
  return all;
}

class RoundTrip : public ::testing::TestWithParam<std::pair<uint16_t, uint16_t>> {};

TEST_P(RoundTrip, DecodesFromRandomMixesWithTwoExtraSymbols) {
  const auto [k, t] = GetParam();
  std::mt19937 rng(k * 7919u + t);
  BlockEncoder encoder;
  BlockDecoder decoder;
  const int trials = k > 2000 ? 2 : 10;
  for (int trial = 0; trial < trials; ++trial) {
    const auto source = random_bytes(size_t{k} * t, rng);
    ASSERT_TRUE(encoder.prepare(source, k, t));
    // Up to half the block lost, replaced by repair symbols, plus two spare.
    const auto esis = random_esis(k, k + 2, k + k / 2 + 3, rng);
    EXPECT_EQ(decode_from(encoder, source, esis, decoder), Status::kDecoded)
        << "K=" << k << " T=" << t << " trial " << trial;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Sizes, RoundTrip,
    ::testing::Values(std::pair<uint16_t, uint16_t>{1, 16}, std::pair<uint16_t, uint16_t>{2, 1},
                      std::pair<uint16_t, uint16_t>{10, 160}, std::pair<uint16_t, uint16_t>{11, 7},
                      std::pair<uint16_t, uint16_t>{18, 33}, std::pair<uint16_t, uint16_t>{19, 64},
                      std::pair<uint16_t, uint16_t>{101, 48},
                      std::pair<uint16_t, uint16_t>{102, 48},
                      std::pair<uint16_t, uint16_t>{256, 1200},
                      std::pair<uint16_t, uint16_t>{1000, 100},
                      std::pair<uint16_t, uint16_t>{5000, 16}));

TEST(RoundTripAllRepair, DecodesFromRepairSymbolsOnly) {
  std::mt19937 rng(5);
  for (uint16_t k : {1, 4, 10, 64, 300}) {
    const auto source = random_bytes(size_t{k} * 20, rng);
    BlockEncoder encoder;
    ASSERT_TRUE(encoder.prepare(source, k, 20));
    std::vector<uint32_t> esis(k + 2);
    std::iota(esis.begin(), esis.end(), uint32_t{k} + 1000);
    BlockDecoder decoder;
    EXPECT_EQ(decode_from(encoder, source, esis, decoder), Status::kDecoded) << "K=" << k;
  }
}

}  // namespace
}  // namespace wzp::fec
