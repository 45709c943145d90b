#include "libwzp/crypto/media.hpp"

#include <sodium.h>

#include "libwzp/base/bytes.hpp"
#include "libwzp/base/hex.hpp"
#include "libwzp/crypto/hkdf.hpp"

namespace wzp::crypto {
namespace {

using base::put_u32;

}  // namespace

TrafficSecret ratchet(const TrafficSecret &secret) {
  TrafficSecret out;
  hkdf_expand(secret, label("wzp epoch ratchet"), out);
  return out;
}

EpochKeys EpochKeys::derive(uint32_t epoch, const TrafficSecret &secret) {
  EpochKeys keys;
  keys.epoch = epoch;
  keys.secret = secret;
  hkdf_expand(secret, label("wzp media key"), keys.key);
  hkdf_expand(secret, label("wzp media iv"), keys.iv);
  keys.valid = true;
  return keys;
}

void EpochKeys::wipe() {
  sodium_memzero(this, sizeof *this);  // also clears `valid`
}

void make_nonce(const EpochKeys &keys, uint32_t stream_id, uint32_t sequence,
                uint8_t out[kNonceSize]) {
  put_u32(out, keys.epoch);
  put_u32(out + 4, stream_id);
  put_u32(out + 8, sequence);
  for (size_t i = 0; i < kNonceSize; ++i) out[i] ^= keys.iv[i];
}

void seal(const EpochKeys &keys, uint32_t stream_id, uint32_t sequence,
          std::span<const uint8_t> aad, std::span<uint8_t> payload, uint8_t tag[kTagSize]) {
  uint8_t nonce[kNonceSize];
  make_nonce(keys, stream_id, sequence, nonce);
  crypto_aead_chacha20poly1305_ietf_encrypt_detached(payload.data(), tag, nullptr, payload.data(),
                                                     payload.size(), aad.data(), aad.size(),
                                                     nullptr, nonce, keys.key);
}

bool open(const EpochKeys &keys, uint32_t stream_id, uint32_t sequence,
          std::span<const uint8_t> aad, std::span<uint8_t> payload, const uint8_t tag[kTagSize]) {
  uint8_t nonce[kNonceSize];
  make_nonce(keys, stream_id, sequence, nonce);
  return crypto_aead_chacha20poly1305_ietf_decrypt_detached(payload.data(), nullptr, payload.data(),
                                                            payload.size(), tag, aad.data(),
                                                            aad.size(), nonce, keys.key) == 0;
}

}  // namespace wzp::crypto

#include "libwzp/crypto/identity.hpp"

namespace wzp::crypto {

bool parse_secret_hex(std::string_view text, TrafficSecret &out) {
  auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return base::from_hex(text, out);
}

}  // namespace wzp::crypto
