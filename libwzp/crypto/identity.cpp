#include "libwzp/crypto/identity.hpp"

#include <sodium.h>

#include <algorithm>
#include <new>
#include <utility>

#include "libwzp/base/hex.hpp"
#include "libwzp/crypto/hkdf.hpp"

namespace wzp::crypto {
namespace {

void ensure_sodium() {
  // sodium_init is idempotent and thread-safe; -1 means no usable RNG.
  if (sodium_init() < 0) throw std::bad_alloc();
}

}  // namespace

Fingerprint fingerprint_of(const SigningPublicKey &key) {
  Hash digest = sha256(key);
  Fingerprint out;
  std::copy_n(digest.begin(), out.size(), out.begin());
  return out;
}

std::string format_fingerprint(const Fingerprint &fingerprint) {
  return base::to_hex(fingerprint, 4);
}

std::optional<Fingerprint> parse_fingerprint(std::string_view text, std::string *error) {
  auto fail = [&](std::string why) -> std::optional<Fingerprint> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  std::string digits;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ':' || c == '-' || c == ' ') continue;
    if (!base::is_hex_digit(c)) {
      return fail("fingerprint: character " + std::to_string(i + 1) +
                  " is not a hex digit or separator");
    }
    if (digits.size() >= 2 * kFingerprintSize) {
      return fail("fingerprint: more than 32 hex digits");
    }
    digits += c;
  }
  Fingerprint out{};
  if (!base::from_hex(digits, out)) {
    return fail("fingerprint: expected 32 hex digits, found " + std::to_string(digits.size()));
  }
  return out;
}

bool verify_signature(const SigningPublicKey &key, std::span<const uint8_t> message,
                      const Signature &signature) {
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     key.data()) == 0;
}

Identity::Identity() {
  ensure_sodium();
  secrets_ = static_cast<Secrets *>(sodium_malloc(sizeof(Secrets)));
  if (!secrets_) throw std::bad_alloc();
}

Identity::~Identity() {
  if (secrets_) sodium_free(secrets_);  // wipes before freeing
}

Identity::Identity(Identity &&other) noexcept
    : secrets_(std::exchange(other.secrets_, nullptr)),
      signing_public_(other.signing_public_),
      agreement_public_(other.agreement_public_),
      fingerprint_(other.fingerprint_) {}

Identity &Identity::operator=(Identity &&other) noexcept {
  if (this != &other) {
    if (secrets_) sodium_free(secrets_);
    secrets_ = std::exchange(other.secrets_, nullptr);
    signing_public_ = other.signing_public_;
    agreement_public_ = other.agreement_public_;
    fingerprint_ = other.fingerprint_;
  }
  return *this;
}

Identity Identity::from_seed(const Seed &seed) {
  Identity id;
  id.secrets_->seed = seed;
  uint8_t ed_seed[32];
  hkdf({}, seed, label("warzone-ed25519"), ed_seed);
  crypto_sign_seed_keypair(id.signing_public_.data(), id.secrets_->signing_secret, ed_seed);
  sodium_memzero(ed_seed, sizeof ed_seed);
  hkdf({}, seed, label("warzone-x25519"), id.secrets_->agreement_secret);
  crypto_scalarmult_base(id.agreement_public_.data(), id.secrets_->agreement_secret);
  id.fingerprint_ = fingerprint_of(id.signing_public_);
  return id;
}

Identity Identity::generate() {
  ensure_sodium();
  Seed seed;
  randombytes_buf(seed.data(), seed.size());
  Identity id = from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return id;
}

Signature Identity::sign(std::span<const uint8_t> message) const {
  Signature out;
  crypto_sign_detached(out.data(), nullptr, message.data(), message.size(),
                       secrets_->signing_secret);
  return out;
}

bool Identity::agree(const AgreementPublicKey &peer, std::span<uint8_t, 32> shared) const {
  return crypto_scalarmult(shared.data(), secrets_->agreement_secret, peer.data()) == 0;
}

bool Identity::open_sealed(std::span<const uint8_t> sealed, std::span<uint8_t> plain) const {
  if (sealed.size() < crypto_box_SEALBYTES ||
      plain.size() != sealed.size() - crypto_box_SEALBYTES) {
    return false;
  }
  return crypto_box_seal_open(plain.data(), sealed.data(), sealed.size(), agreement_public_.data(),
                              secrets_->agreement_secret) == 0;
}

std::string hash_room_name(std::string_view name) {
  std::string input = "featherchat-group:";
  input += name;
  Hash digest = sha256(label(input));
  return base::to_hex(std::span<const uint8_t>(digest).first(16));
}

}  // namespace wzp::crypto
