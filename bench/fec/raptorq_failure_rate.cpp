// Decode-failure rate at exactly K, K+1 and K+2 received symbols: random
// loss patterns over source and repair symbols, many blocks per K. Prints one
// line per K; docs/fec-raptorq.md records the results beside RFC 6330's figures.
// Usage: bench_fec_raptorq_failure_rate [trials per K, default 20000]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <vector>

#include "libwzp/fec/raptorq.hpp"

int main(int argc, char **argv) {
  using wzp::fec::BlockDecoder;
  const long trials = argc > 1 ? std::atol(argv[1]) : 20000;
  constexpr uint16_t kT = 4;
  std::mt19937 rng(2026);
  std::printf("%6s %8s %12s %12s %12s\n", "K", "trials", "fail@K", "fail@K+1", "fail@K+2");
  for (uint16_t k : {1, 4, 10, 16, 40, 64, 101, 256, 1000}) {
    std::vector<uint8_t> source(size_t{k} * kT);
    wzp::fec::BlockEncoder encoder;
    BlockDecoder decoder;
    std::vector<uint8_t> symbol(kT);
    // Loss up to 50 %: the pool holds the source symbols and as many repair.
    std::vector<uint32_t> pool(2u * k + 2);
    long failures[3] = {0, 0, 0};
    long wrong = 0;
    for (long trial = 0; trial < trials; ++trial) {
      for (auto &b : source) b = static_cast<uint8_t>(rng());
      encoder.prepare(source, k, kT);
      std::iota(pool.begin(), pool.end(), 0u);
      std::shuffle(pool.begin(), pool.end(), rng);
      decoder.reset(k, kT);
      size_t used = 0;
      for (; used < k; ++used) {
        encoder.symbol(pool[used], symbol);
        decoder.add_symbol(pool[used], symbol);
      }
      for (int extra = 0; extra < 3; ++extra) {
        if (decoder.try_decode() == BlockDecoder::Status::kDecoded) break;
        ++failures[extra];
        encoder.symbol(pool[used], symbol);
        decoder.add_symbol(pool[used], symbol);
        ++used;
      }
      if (decoder.try_decode() != BlockDecoder::Status::kDecoded) continue;
      for (uint16_t i = 0; i < k; ++i) {
        const auto got = decoder.source_symbol(i);
        if (!std::equal(got.begin(), got.end(), source.begin() + size_t{i} * kT)) ++wrong;
      }
    }
    std::printf("%6u %8ld %12.2e %12.2e %12.2e%s\n", k, trials,
                static_cast<double>(failures[0]) / trials,
                static_cast<double>(failures[1]) / trials,
                static_cast<double>(failures[2]) / trials, wrong ? "  WRONG DATA" : "");
    std::fflush(stdout);
  }
  return 0;
}
