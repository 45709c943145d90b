// Media packet protection: ChaCha20-Poly1305 (IETF) over the payload with the
// wire header as associated data. Each sender's traffic secret yields one
// key and IV per epoch; the next epoch's secret is an HKDF ratchet of the
// current one (docs/crypto.md, "Key schedule").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace wzp::crypto {

inline constexpr size_t kTagSize = 16;
inline constexpr size_t kSecretSize = 32;
inline constexpr size_t kNonceSize = 12;
using TrafficSecret = std::array<uint8_t, kSecretSize>;

// secret' = HKDF-Expand(secret, "wzp epoch ratchet", 32). One-way: a member
// holding epoch e's secret can derive e+1 but never e-1.
TrafficSecret ratchet(const TrafficSecret &secret);

// The packet-protection keys of one epoch. Plain data so tables of them can
// be preallocated; wipe() when an epoch is retired.
struct EpochKeys {
  uint32_t epoch = 0;
  TrafficSecret secret{};
  uint8_t key[32] = {};
  uint8_t iv[kNonceSize] = {};
  bool valid = false;

  // key = HKDF-Expand(secret, "wzp media key", 32),
  // iv  = HKDF-Expand(secret, "wzp media iv", 12).
  static EpochKeys derive(uint32_t epoch, const TrafficSecret &secret);
  EpochKeys next() const { return derive(epoch + 1, ratchet(secret)); }
  void wipe();
};

// nonce = iv XOR (epoch || stream_id || sequence), each big-endian u32. A
// sender never reuses a (stream, sequence) pair within an epoch, so a nonce
// never repeats under one key.
void make_nonce(const EpochKeys &keys, uint32_t stream_id, uint32_t sequence,
                uint8_t out[kNonceSize]);

// Encrypts `payload` in place and writes the 16-byte tag.
void seal(const EpochKeys &keys, uint32_t stream_id, uint32_t sequence,
          std::span<const uint8_t> aad, std::span<uint8_t> payload, uint8_t tag[kTagSize]);
// Verifies the tag and only then decrypts `payload` in place; on failure the
// payload is left untouched and false is returned.
bool open(const EpochKeys &keys, uint32_t stream_id, uint32_t sequence,
          std::span<const uint8_t> aad, std::span<uint8_t> payload, const uint8_t tag[kTagSize]);

}  // namespace wzp::crypto

namespace wzp::crypto {
// A traffic secret typed or stored as 64 hex digits; surrounding whitespace
// (a key file's trailing newline) is ignored.
bool parse_secret_hex(std::string_view text, TrafficSecret &out);
}  // namespace wzp::crypto
