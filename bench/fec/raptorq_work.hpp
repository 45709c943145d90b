// The work bench_fec_raptorq gives every RaptorQ implementation: the same
// blocks, the same repair symbols to encode, the same received symbols to
// decode, the same sizes.
#pragma once

#include <benchmark/benchmark.h>

extern "C" {
#include <lcrq.h>
}

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "libwzp/fec/raptorq.hpp"

namespace wzp::bench {

inline std::vector<uint8_t> random_block(size_t n) {
  std::mt19937 rng(static_cast<uint32_t>(n));
  std::vector<uint8_t> out(n);
  for (auto &b : out) b = static_cast<uint8_t>(rng());
  return out;
}

inline uint32_t repair_count(uint32_t k) { return k < 10 ? 1 : k / 10; }

inline void set_label(benchmark::State &state, uint32_t k, uint32_t t) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * k * t);
}

// The symbols a receiver holds, the same for every implementation: source
// symbols with every tenth lost, then repair symbols up to K + `extra`.
// Checked to decode with wzp and liblcrq at set-up; a set that lacks rank
// (about one in 200 at exactly K, docs/fec-raptorq.md) has its last repair
// symbol replaced by the next until both decode it, so no side is measured
// on a failure (a full-rank set has one solution, so any RFC 6330 decoder
// decodes it).
struct Received {
  std::vector<uint8_t> source;
  std::vector<uint32_t> esis;
  std::vector<uint8_t> symbols;  // esis.size() symbols of T bytes, in order

  Received(uint16_t k, uint16_t t, uint32_t extra) : source(random_block(size_t{k} * t)) {
    const uint32_t lost = repair_count(k);
    for (uint32_t i = 0; i < k; ++i) {
      if (i % (k / lost) != 0 || i / (k / lost) >= lost) esis.push_back(i);
    }
    for (uint32_t esi = k; esis.size() < uint32_t{k} + extra; ++esi) esis.push_back(esi);
    fec::BlockEncoder encoder;
    encoder.prepare(source, k, t);
    for (;;) {
      symbols.assign(esis.size() * t, 0);
      for (size_t i = 0; i < esis.size(); ++i) encoder.symbol(esis[i], symbol(i, t));
      if (decodes_wzp(k, t) && decodes_lcrq(t)) return;
      ++esis.back();
    }
  }
  std::span<uint8_t> symbol(size_t i, uint16_t t) { return {symbols.data() + i * t, t}; }

  bool decodes_wzp(uint16_t k, uint16_t t) {
    fec::BlockDecoder decoder;
    decoder.reset(k, t);
    for (size_t i = 0; i < esis.size(); ++i) decoder.add_symbol(esis[i], symbol(i, t));
    return decoder.try_decode() == fec::BlockDecoder::Status::kDecoded;
  }
  bool decodes_lcrq(uint16_t t) {
    std::vector<uint8_t> out(source.size());
    rq_t *rq = rq_init(source.size(), t);
    const bool ok = rq_decode(rq, out.data(), symbols.data(), esis.data(),
                              static_cast<uint32_t>(esis.size())) == 0 &&
                    out == source;
    rq_free(rq);
    return ok;
  }
};

constexpr std::pair<int64_t, int64_t> kSizes[] = {
    {4, 160}, {16, 160}, {64, 1200}, {256, 1200}, {1000, 1200}};

inline void sizes(benchmark::internal::Benchmark *b) {
  for (auto [k, t] : kSizes) b->Args({k, t});
  b->Unit(benchmark::kMicrosecond);
}

// Decoding from exactly K received symbols, the fewest that can work, and
// from K + 2, where a set lacking rank is about 65,000 times rarer.
inline void sizes_and_received(benchmark::internal::Benchmark *b) {
  for (auto [k, t] : kSizes) {
    for (int64_t extra : {0, 2}) b->Args({k, t, extra});
  }
  b->Unit(benchmark::kMicrosecond);
}

}  // namespace wzp::bench
