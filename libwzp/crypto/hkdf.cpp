#include "libwzp/crypto/hkdf.hpp"

#include <sodium.h>

#include <algorithm>

namespace wzp::crypto {

Hash hkdf_extract(std::span<const uint8_t> salt, std::span<const uint8_t> ikm) {
  static constexpr uint8_t kZeroSalt[kHashSize] = {};
  if (salt.empty()) salt = kZeroSalt;
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, salt.data(), salt.size());
  crypto_auth_hmacsha256_update(&state, ikm.data(), ikm.size());
  Hash prk;
  crypto_auth_hmacsha256_final(&state, prk.data());
  sodium_memzero(&state, sizeof state);
  return prk;
}

bool hkdf_expand(std::span<const uint8_t> prk, std::span<const uint8_t> info,
                 std::span<uint8_t> out) {
  if (out.size() > 255 * kHashSize) return false;
  uint8_t block[kHashSize];
  size_t done = 0;
  for (uint8_t counter = 1; done < out.size(); ++counter) {
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, prk.data(), prk.size());
    if (counter > 1) crypto_auth_hmacsha256_update(&state, block, sizeof block);
    crypto_auth_hmacsha256_update(&state, info.data(), info.size());
    crypto_auth_hmacsha256_update(&state, &counter, 1);
    crypto_auth_hmacsha256_final(&state, block);
    sodium_memzero(&state, sizeof state);
    size_t take = std::min(out.size() - done, sizeof block);
    std::copy_n(block, take, out.begin() + static_cast<std::ptrdiff_t>(done));
    done += take;
  }
  sodium_memzero(block, sizeof block);
  return true;
}

bool hkdf(std::span<const uint8_t> salt, std::span<const uint8_t> ikm,
          std::span<const uint8_t> info, std::span<uint8_t> out) {
  Hash prk = hkdf_extract(salt, ikm);
  bool ok = hkdf_expand(prk, info, out);
  sodium_memzero(prk.data(), prk.size());
  return ok;
}

Hash sha256(std::span<const uint8_t> data) {
  Hash out;
  crypto_hash_sha256(out.data(), data.data(), data.size());
  return out;
}

}  // namespace wzp::crypto
