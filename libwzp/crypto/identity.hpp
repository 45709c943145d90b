// A Warzone-compatible identity: one 32-byte seed yields the Ed25519 signing
// key and the X25519 key, and the fingerprint everyone sees.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace wzp::crypto {

inline constexpr size_t kSeedSize = 32;
inline constexpr size_t kFingerprintSize = 16;
using Seed = std::array<uint8_t, kSeedSize>;
using Fingerprint = std::array<uint8_t, kFingerprintSize>;
using SigningPublicKey = std::array<uint8_t, 32>;
using AgreementPublicKey = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;

// SHA-256(Ed25519 public key)[:16].
Fingerprint fingerprint_of(const SigningPublicKey &key);
// "xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx", lower-case hex.
std::string format_fingerprint(const Fingerprint &fingerprint);
// Accepts upper or lower case with any of ':', '-', ' ' or nothing between
// digits. On failure returns nullopt and says why in `error`.
std::optional<Fingerprint> parse_fingerprint(std::string_view text, std::string *error = nullptr);

bool verify_signature(const SigningPublicKey &key, std::span<const uint8_t> message,
                      const Signature &signature);

// The owner's keys. Secret bytes live in sodium_malloc'd memory (guarded,
// locked, wiped on free); copies are disabled so secrets are never duplicated.
class Identity {
 public:
  // HKDF-SHA256(no salt, seed, "warzone-ed25519" / "warzone-x25519").
  static Identity from_seed(const Seed &seed);
  static Identity generate();
  ~Identity();
  Identity(Identity &&other) noexcept;
  Identity &operator=(Identity &&other) noexcept;
  Identity(const Identity &) = delete;
  Identity &operator=(const Identity &) = delete;

  const SigningPublicKey &signing_public_key() const { return signing_public_; }
  const AgreementPublicKey &agreement_public_key() const { return agreement_public_; }
  const Fingerprint &fingerprint() const { return fingerprint_; }
  const Seed &seed() const { return secrets_->seed; }

  Signature sign(std::span<const uint8_t> message) const;
  // X25519 with this identity's agreement key; false for a low-order peer key.
  bool agree(const AgreementPublicKey &peer, std::span<uint8_t, 32> shared) const;
  // Opens a libsodium sealed box addressed to this identity's X25519 key.
  bool open_sealed(std::span<const uint8_t> sealed, std::span<uint8_t> plain) const;

 private:
  struct Secrets {
    Seed seed;
    uint8_t signing_secret[64];  // libsodium's seed || public key form
    uint8_t agreement_secret[32];
  };
  Identity();
  Secrets *secrets_ = nullptr;
  SigningPublicKey signing_public_{};
  AgreementPublicKey agreement_public_{};
  Fingerprint fingerprint_{};
};

// Room names never reach relays: hex(SHA-256("featherchat-group:" + name)[:16]).
std::string hash_room_name(std::string_view name);

}  // namespace wzp::crypto
