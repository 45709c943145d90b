// The identity seed at rest: Argon2id (libsodium crypto_pwhash) turns the
// passphrase into a key, XChaCha20-Poly1305 seals the seed, and the file is
// replaced atomically with 0600 permissions (docs/crypto.md, "Identity file").
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "libwzp/crypto/identity.hpp"

namespace wzp::crypto {

inline constexpr size_t kIdentityFileSize = 104;

enum class IdentityFileError : uint8_t {
  kOk,
  kIo,                 // the file or its folder could not be read or written
  kExists,             // refusing to replace an identity without overwrite=true
  kNotAnIdentityFile,  // wrong magic or wrong size
  kBadParameters,      // KDF limits outside what wzp ever writes
  kWrongPassphrase,    // or the sealed seed was altered: AEAD cannot tell which
  kKdfFailed,          // Argon2id could not get its memory
};
const char *to_string(IdentityFileError error);

struct KdfParams {
  uint32_t opslimit = 3;              // Argon2id passes
  uint32_t memlimit_kib = 64 * 1024;  // 64 MiB
};

// The clear part of the file, parsed without running the KDF.
struct IdentityFileHeader {
  KdfParams kdf;
  uint8_t salt[16];
  uint8_t nonce[24];
};
IdentityFileError parse_identity_header(std::span<const uint8_t> file, IdentityFileHeader &out);

// Seals the seed into the 104-byte file image.
IdentityFileError seal_identity(const Seed &seed, std::string_view passphrase, const KdfParams &kdf,
                                std::span<uint8_t, kIdentityFileSize> out);
IdentityFileError open_identity(std::span<const uint8_t> file, std::string_view passphrase,
                                Seed &out);

// Write to a temporary file beside `path`, fsync, then rename over it: a
// crash or an error leaves the old file (if any) untouched.
IdentityFileError save_identity_file(const std::filesystem::path &path, const Seed &seed,
                                     std::string_view passphrase, bool overwrite = false,
                                     const KdfParams &kdf = {});
IdentityFileError load_identity_file(const std::filesystem::path &path, std::string_view passphrase,
                                     Seed &out);

}  // namespace wzp::crypto
