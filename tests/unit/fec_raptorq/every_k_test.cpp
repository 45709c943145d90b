// The systematic encoder for every Table 2 block size up to 12000 (the large
// ones are planned by the round-trip tests): each plan must succeed, and the
// intermediate symbols must regenerate every source symbol.
#include <gtest/gtest.h>

#include <numeric>
#include <random>
#include <vector>

#include "libwzp/fec/raptorq_solver.hpp"
#include "libwzp/fec/rfc6330_tables.hpp"

namespace wzp::fec {
namespace {

TEST(EveryTable2Size, SystematicSolveRegeneratesSourceSymbols) {
  constexpr size_t kT = 3;
  std::mt19937 rng(6330);
  Solver solver;
  SolvePlan plan;
  std::vector<uint32_t> isis;
  std::vector<uint8_t> source, intermediate, regenerated(kT);
  std::vector<const uint8_t *> symbols;
  int sizes = 0;
  for (const auto &row : rfc6330::kSystematicIndices) {
    if (row.k_prime > 12000) break;
    const BlockParams p = *BlockParams::for_k(row.k_prime);
    isis.resize(p.k_prime);
    std::iota(isis.begin(), isis.end(), 0u);
    ASSERT_TRUE(solver.plan(p, isis, plan)) << "K'=" << p.k_prime;
    source.resize(p.k_prime * kT);
    for (auto &b : source) b = static_cast<uint8_t>(rng());
    symbols.resize(p.k_prime);
    for (uint32_t i = 0; i < p.k_prime; ++i) symbols[i] = &source[i * kT];
    intermediate.assign(p.l * kT, 0);
    solver.execute(plan, symbols, kT, intermediate.data());
    for (uint32_t isi = 0; isi < p.k_prime; ++isi) {
      std::fill(regenerated.begin(), regenerated.end(), 0);
      for_each_lt_column(p, isi, [&](uint32_t col) {
        for (size_t b = 0; b < kT; ++b) regenerated[b] ^= intermediate[col * kT + b];
      });
      ASSERT_TRUE(std::equal(regenerated.begin(), regenerated.end(), &source[isi * kT]))
          << "K'=" << p.k_prime << " ISI " << isi;
    }
    ++sizes;
  }
  EXPECT_GT(sizes, 300);
}

}  // namespace
}  // namespace wzp::fec
