// Valid seeds for the crypto fuzz targets, made with the real libwzp crypto
// as the parties of tests/fuzz/crypto_parties.hpp: offers the callee
// answers, cards and key messages that verify and open, packets whose tag
// checks. Random bytes almost never get past a signature or a tag, so
// without these seeds fuzzing would stop at the first check.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace wzp::fuzz {

struct CorpusSeed {
  std::string target;  // the corpus folder: tests/fuzz/corpus/<target>/
  std::string name;    // the file name in it
  std::vector<uint8_t> bytes;
};

// Fresh seeds (ephemeral keys and sealed room keys are random, so the bytes
// differ on every call; each seed passes its first check all the same).
std::vector<CorpusSeed> make_crypto_seeds();

// The targets make_crypto_seeds writes for.
std::vector<std::string> crypto_seed_targets();

// Whether `bytes` gets past the first check of `target`'s fuzz target, as
// that target's fixed parties see it; `why` says what refused it.
bool passes_first_check(const std::string &target, const std::string &name,
                        std::span<const uint8_t> bytes, std::string &why);

}  // namespace wzp::fuzz
