// HKDF-SHA256 (RFC 5869) on libsodium's HMAC-SHA256: Debian 12's libsodium
// 1.0.18 predates crypto_kdf_hkdf_sha256.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace wzp::crypto {

inline constexpr size_t kHashSize = 32;
using Hash = std::array<uint8_t, kHashSize>;

// PRK = HMAC-SHA256(salt, ikm); an empty salt means 32 zero bytes.
Hash hkdf_extract(std::span<const uint8_t> salt, std::span<const uint8_t> ikm);

// Fills `out` (at most 255 * 32 bytes) from `prk` and `info`. Returns false
// only when `out` is too long.
bool hkdf_expand(std::span<const uint8_t> prk, std::span<const uint8_t> info,
                 std::span<uint8_t> out);

// Extract then expand, the way Warzone derives its identity keys.
bool hkdf(std::span<const uint8_t> salt, std::span<const uint8_t> ikm,
          std::span<const uint8_t> info, std::span<uint8_t> out);

// A label as HKDF info bytes, without its terminating NUL.
inline std::span<const uint8_t> label(std::string_view text) {
  return {reinterpret_cast<const uint8_t *>(text.data()), text.size()};
}

Hash sha256(std::span<const uint8_t> data);

}  // namespace wzp::crypto
