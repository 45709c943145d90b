// BIP39 English mnemonics for the 32-byte identity seed: 24 words carry the
// 256 seed bits plus an 8-bit SHA-256 checksum.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "libwzp/crypto/identity.hpp"

namespace wzp::crypto {

inline constexpr size_t kMnemonicWords = 24;

// Space-separated lower-case words.
std::string seed_to_mnemonic(const Seed &seed);
// Accepts any whitespace between words and upper case; rejects a wrong word
// count, an unknown word or a bad checksum, saying which in `error`.
std::optional<Seed> mnemonic_to_seed(std::string_view mnemonic, std::string *error = nullptr);

namespace bip39 {
// The 2048-word English list, embedded at build time from Debian's
// python3-mnemonic and checked against the list's published SHA-256.
extern const char *const kEnglishWords[2048];
}  // namespace bip39

}  // namespace wzp::crypto
