// The checked-in seeds of the crypto fuzz targets still get past each
// target's first check (signature, tag, parse), so fuzzing starts deep; and
// the generator that made them still makes seeds that do.
#include "tests/fuzz/crypto_seeds/crypto_seeds.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "tests/support/paths.hpp"

namespace wzp::fuzz {
namespace {

TEST(CryptoFuzzSeeds, CheckedInSeedsPassTheFirstCheck) {
  for (const std::string &target : crypto_seed_targets()) {
    const auto dir = wzp::test::source_dir() / "tests" / "fuzz" / "corpus" / target;
    ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
    size_t seeds = 0;
    for (const auto &entry : std::filesystem::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
      std::string why;
      EXPECT_TRUE(passes_first_check(target, entry.path().filename().string(), bytes, why))
          << entry.path() << " is refused: " << why
          << " (regenerate with make_crypto_seeds tests/fuzz/corpus)";
      ++seeds;
    }
    EXPECT_GE(seeds, 1u) << target;
  }
}

TEST(CryptoFuzzSeeds, GeneratorMakesSeedsThatPass) {
  const auto seeds = make_crypto_seeds();
  for (const std::string &target : crypto_seed_targets()) {
    EXPECT_TRUE(std::any_of(seeds.begin(), seeds.end(), [&](const CorpusSeed &seed) {
      return seed.target == target;
    })) << target;
  }
  for (const CorpusSeed &seed : seeds) {
    std::string why;
    EXPECT_TRUE(passes_first_check(seed.target, seed.name, seed.bytes, why))
        << seed.target << "/" << seed.name << ": " << why;
  }
}

// The check itself can fail: one flipped byte in a signed or sealed seed is
// refused. (The fuzzers only parse answers and confirmations, and an
// identity file's header is not authenticated.)
TEST(CryptoFuzzSeeds, OneFlippedByteIsRefused) {
  for (CorpusSeed seed : make_crypto_seeds()) {
    if (seed.target == "crypto_identity_file" || seed.name.starts_with("answer") ||
        seed.name.starts_with("confirm")) {
      continue;
    }
    seed.bytes[seed.bytes.size() - 1] ^= 0x01;
    std::string why;
    EXPECT_FALSE(passes_first_check(seed.target, seed.name, seed.bytes, why))
        << seed.target << "/" << seed.name;
  }
}

}  // namespace
}  // namespace wzp::fuzz
