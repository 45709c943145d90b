// Fingerprints, mnemonics and hex keys are typed or pasted by people.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "libwzp/base/hex.hpp"
#include "libwzp/crypto/bip39.hpp"
#include "libwzp/crypto/media.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::crypto;
  std::string_view text(reinterpret_cast<const char *>(data), size);
  std::string error;
  if (auto fingerprint = parse_fingerprint(text, &error)) {
    if (parse_fingerprint(format_fingerprint(*fingerprint)) != fingerprint) __builtin_trap();
  }
  if (auto seed = mnemonic_to_seed(text, &error)) {
    if (mnemonic_to_seed(seed_to_mnemonic(*seed)) != seed) __builtin_trap();
  }
  TrafficSecret secret;
  wzp::base::from_hex(text, secret);
  return 0;
}
