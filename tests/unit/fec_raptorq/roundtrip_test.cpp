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

TEST(RoundTripLarge, DecodesTheLargestBlock) {
  constexpr uint16_t k = 56403;
  constexpr uint16_t t = 8;
  std::mt19937 rng(56403);
  const auto source = random_bytes(size_t{k} * t, rng);
  BlockEncoder encoder;
  ASSERT_TRUE(encoder.prepare(source, k, t));
  // 10 % of the source symbols replaced by repair symbols.
  std::vector<uint32_t> esis;
  for (uint32_t i = 0; i < k; ++i) {
    if (i % 10 != 3) esis.push_back(i);
  }
  for (uint32_t esi = k; esis.size() < k + 2u; ++esi) esis.push_back(esi);
  BlockDecoder decoder;
  EXPECT_EQ(decode_from(encoder, source, esis, decoder), Status::kDecoded);
}

TEST(DecoderApi, NeedsKSymbolsAndRefusesBadInput) {
  std::mt19937 rng(11);
  const uint16_t k = 20, t = 12;
  const auto source = random_bytes(size_t{k} * t, rng);
  BlockEncoder encoder;
  ASSERT_TRUE(encoder.prepare(source, k, t));
  BlockDecoder decoder;
  ASSERT_TRUE(decoder.reset(k, t));
  std::vector<uint8_t> symbol(t);
  for (uint32_t esi = 1; esi < k; ++esi) {  // source symbol 0 lost
    encoder.symbol(esi, symbol);
    ASSERT_TRUE(decoder.add_symbol(esi, symbol));
    EXPECT_EQ(decoder.try_decode(), Status::kNeedMore);
  }
  EXPECT_FALSE(decoder.has_source_symbol(0));
  EXPECT_TRUE(decoder.has_source_symbol(5));
  encoder.symbol(3, symbol);
  EXPECT_FALSE(decoder.add_symbol(3, symbol)) << "duplicate source ESI";
  EXPECT_FALSE(decoder.add_symbol(40, std::span<const uint8_t>(symbol).first(t - 1)))
      << "short symbol";
  std::vector<uint8_t> long_symbol(t + 1);
  EXPECT_FALSE(decoder.add_symbol(40, long_symbol)) << "long symbol";
  EXPECT_FALSE(decoder.add_symbol(kMaxEsi + 1, symbol)) << "ESI beyond 24 bits";
  encoder.symbol(40, symbol);
  EXPECT_TRUE(decoder.add_symbol(40, symbol));
  EXPECT_FALSE(decoder.add_symbol(40, symbol)) << "duplicate repair ESI";
  EXPECT_EQ(decoder.received(), uint32_t{k});
  // K symbols held; one more repair symbol settles any rank deficiency.
  Status status = decoder.try_decode();
  for (uint32_t esi = 41; status != Status::kDecoded && esi < 50; ++esi) {
    encoder.symbol(esi, symbol);
    ASSERT_TRUE(decoder.add_symbol(esi, symbol));
    status = decoder.try_decode();
  }
  ASSERT_EQ(status, Status::kDecoded);
  const auto recovered = decoder.source_symbol(0);
  EXPECT_TRUE(std::equal(recovered.begin(), recovered.end(), source.begin()));
  EXPECT_FALSE(decoder.add_symbol(60, symbol)) << "after decoding finished";
  EXPECT_TRUE(decoder.source_symbol(k).empty());
}

TEST(DecoderApi, BoundsHeldSymbols) {
  const uint16_t k = 4, t = 4;
  BlockDecoder decoder;
  ASSERT_TRUE(decoder.reset(k, t));
  const std::vector<uint8_t> junk(t, 0x5a);
  uint32_t accepted = 0;
  for (uint32_t esi = k; esi < k + 500; ++esi) accepted += decoder.add_symbol(esi, junk);
  EXPECT_EQ(accepted, k + BlockDecoder::kMaxExtraSymbols);
}

TEST(EncoderApi, RefusesInvalidBlocks) {
  BlockEncoder encoder;
  std::vector<uint8_t> source(100);
  EXPECT_FALSE(encoder.prepare(source, 0, 10));
  EXPECT_FALSE(encoder.prepare(source, 10, 0));
  EXPECT_FALSE(encoder.prepare(source, 10, 11)) << "size is not K*T";
  EXPECT_FALSE(encoder.prepare(std::vector<uint8_t>(56404), 56404, 1)) << "K above 56403";
  std::vector<uint8_t> out(10, 0xee);
  encoder.symbol(0, out);  // nothing prepared: writes nothing
  EXPECT_EQ(out, std::vector<uint8_t>(10, 0xee));
  ASSERT_TRUE(encoder.prepare(source, 10, 10));
  std::vector<uint8_t> small(9, 0xee);
  encoder.symbol(12, small);
  EXPECT_EQ(small, std::vector<uint8_t>(9, 0xee));
  BlockDecoder decoder;
  EXPECT_FALSE(decoder.reset(0, 4));
  EXPECT_FALSE(decoder.reset(4, 0));
  EXPECT_FALSE(decoder.add_symbol(0, std::vector<uint8_t>(4)));
  EXPECT_EQ(decoder.try_decode(), Status::kNeedMore);
}

// Expected failure rates are about 4e-3 at K symbols, 1.5e-5 at K + 1 and
// 6e-8 at K + 2 (docs/fec-raptorq.md). 300 trials at each overhead can only
// show gross errors, so the bounds are loose; bench/fec measures the rates.
TEST(FailureRate, StaysNearRfcFiguresAtKAndAbove) {
  std::mt19937 rng(99);
  const uint16_t k = 40, t = 4;
  BlockEncoder encoder;
  BlockDecoder decoder;
  int failures[3] = {0, 0, 0};
  constexpr int kTrials = 300;
  for (int trial = 0; trial < kTrials; ++trial) {
    const auto source = random_bytes(size_t{k} * t, rng);
    ASSERT_TRUE(encoder.prepare(source, k, t));
    const auto esis = random_esis(k, k + 2, 3 * k, rng);
    for (int extra = 0; extra < 3; ++extra) {
      const std::vector<uint32_t> some(esis.begin(), esis.begin() + k + extra);
      failures[extra] += decode_from(encoder, source, some, decoder) != Status::kDecoded;
    }
  }
  EXPECT_LE(failures[0], 15);  // expected about 3 or fewer
  EXPECT_LE(failures[1], 2);
  EXPECT_EQ(failures[2], 0);
}

}  // namespace
}  // namespace wzp::fec
