#include "libwzp/crypto/bip39.hpp"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "libwzp/crypto/hkdf.hpp"

namespace wzp::crypto {
namespace {

constexpr size_t kBitsPerWord = 11;

// The list is sorted, so a word's index is a binary search away.
int word_index(std::string_view word) {
  auto begin = std::begin(bip39::kEnglishWords);
  auto end = std::end(bip39::kEnglishWords);
  auto it = std::lower_bound(begin, end, word,
                             [](const char *entry, std::string_view w) { return entry < w; });
  if (it == end || *it != word) return -1;
  return static_cast<int>(it - begin);
}

// Seed then checksum byte: 264 bits, read 11 at a time, most significant first.
unsigned bits_at(const uint8_t *bytes, size_t bit_offset) {
  unsigned value = 0;
  for (size_t i = 0; i < kBitsPerWord; ++i) {
    size_t bit = bit_offset + i;
    value = value << 1 | ((bytes[bit / 8] >> (7 - bit % 8)) & 1u);
  }
  return value;
}

}  // namespace

std::string seed_to_mnemonic(const Seed &seed) {
  uint8_t bits[kSeedSize + 1];
  std::copy(seed.begin(), seed.end(), bits);
  bits[kSeedSize] = sha256(seed)[0];
  std::string out;
  for (size_t w = 0; w < kMnemonicWords; ++w) {
    if (w) out += ' ';
    out += bip39::kEnglishWords[bits_at(bits, w * kBitsPerWord)];
  }
  sodium_memzero(bits, sizeof bits);
  return out;
}

std::optional<Seed> mnemonic_to_seed(std::string_view mnemonic, std::string *error) {
  auto fail = [&](std::string why) -> std::optional<Seed> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  uint8_t bits[kSeedSize + 1] = {};
  size_t words = 0;
  size_t pos = 0;
  while (pos < mnemonic.size()) {
    if (std::isspace(static_cast<unsigned char>(mnemonic[pos]))) {
      ++pos;
      continue;
    }
    size_t end = pos;
    char word[16];
    size_t length = 0;
    while (end < mnemonic.size() && !std::isspace(static_cast<unsigned char>(mnemonic[end]))) {
      if (length < sizeof word) {
        word[length++] = static_cast<char>(std::tolower(static_cast<unsigned char>(mnemonic[end])));
      }
      ++end;
    }
    if (words >= kMnemonicWords) return fail("mnemonic: more than 24 words");
    int index = end - pos <= sizeof word ? word_index({word, length}) : -1;
    if (index < 0) {
      return fail("mnemonic: word " + std::to_string(words + 1) + " (\"" +
                  std::string(mnemonic.substr(pos, std::min<size_t>(end - pos, 32))) +
                  "\") is not in the BIP39 English list");
    }
    for (size_t i = 0; i < kBitsPerWord; ++i) {
      size_t bit = words * kBitsPerWord + i;
      if ((index >> (kBitsPerWord - 1 - i)) & 1)
        bits[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
    }
    ++words;
    pos = end;
  }
  if (words != kMnemonicWords) {
    return fail("mnemonic: expected 24 words, found " + std::to_string(words));
  }
  Seed seed;
  std::copy_n(bits, kSeedSize, seed.begin());
  bool checksum_ok = sha256(seed)[0] == bits[kSeedSize];
  sodium_memzero(bits, sizeof bits);
  if (!checksum_ok) {
    sodium_memzero(seed.data(), seed.size());
    return fail("mnemonic: checksum mismatch (a word is wrong or out of order)");
  }
  return seed;
}

}  // namespace wzp::crypto
