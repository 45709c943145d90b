#include "libwzp/crypto/identity_file.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "libwzp/base/bytes.hpp"

namespace wzp::crypto {
namespace {

// "WZPID" then format version 1, then two bytes of padding kept zero.
constexpr uint8_t kMagic[8] = {'W', 'Z', 'P', 'I', 'D', 0x01, 0x00, 0x00};
constexpr size_t kHeaderSize = 8 + 4 + 4 + 16 + 24;  // magic, ops, mem, salt, nonce
constexpr uint32_t kMaxOpslimit = 16;
constexpr uint32_t kMaxMemlimitKib = 1024 * 1024;  // 1 GiB: bounds what a file can make us allocate
static_assert(kHeaderSize + kSeedSize + crypto_aead_xchacha20poly1305_ietf_ABYTES ==
              kIdentityFileSize);

using base::get_u32;
using base::put_u32;

bool params_ok(const KdfParams &kdf) {
  return kdf.opslimit >= crypto_pwhash_argon2id_OPSLIMIT_MIN && kdf.opslimit <= kMaxOpslimit &&
         uint64_t{kdf.memlimit_kib} * 1024 >= crypto_pwhash_argon2id_MEMLIMIT_MIN &&
         kdf.memlimit_kib <= kMaxMemlimitKib;
}

bool derive_key(std::string_view passphrase, const IdentityFileHeader &header, uint8_t key[32]) {
  return crypto_pwhash(key, 32, passphrase.data(), passphrase.size(), header.salt,
                       header.kdf.opslimit, size_t{header.kdf.memlimit_kib} * 1024,
                       crypto_pwhash_ALG_ARGON2ID13) == 0;
}

bool write_all(int fd, std::span<const uint8_t> bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

const char *to_string(IdentityFileError error) {
  switch (error) {
    case IdentityFileError::kOk:
      return "ok";
    case IdentityFileError::kIo:
      return "identity file could not be read or written";
    case IdentityFileError::kExists:
      return "an identity file already exists there";
    case IdentityFileError::kNotAnIdentityFile:
      return "not a wzp identity file (or truncated)";
    case IdentityFileError::kBadParameters:
      return "identity file has out-of-range KDF parameters";
    case IdentityFileError::kWrongPassphrase:
      return "wrong passphrase, or the identity file is corrupted";
    case IdentityFileError::kKdfFailed:
      return "Argon2id failed (out of memory?)";
  }
  return "unknown";
}

IdentityFileError parse_identity_header(std::span<const uint8_t> file, IdentityFileHeader &out) {
  if (file.size() != kIdentityFileSize || !std::equal(kMagic, kMagic + 8, file.begin())) {
    return IdentityFileError::kNotAnIdentityFile;
  }
  out.kdf.opslimit = get_u32(file.data() + 8);
  out.kdf.memlimit_kib = get_u32(file.data() + 12);
  std::copy_n(file.data() + 16, 16, out.salt);
  std::copy_n(file.data() + 32, 24, out.nonce);
  return params_ok(out.kdf) ? IdentityFileError::kOk : IdentityFileError::kBadParameters;
}

IdentityFileError seal_identity(const Seed &seed, std::string_view passphrase, const KdfParams &kdf,
                                std::span<uint8_t, kIdentityFileSize> out) {
  if (sodium_init() < 0 || !params_ok(kdf)) return IdentityFileError::kBadParameters;
  IdentityFileHeader header{.kdf = kdf};
  randombytes_buf(header.salt, sizeof header.salt);
  randombytes_buf(header.nonce, sizeof header.nonce);
  std::copy(kMagic, kMagic + 8, out.begin());
  put_u32(out.data() + 8, kdf.opslimit);
  put_u32(out.data() + 12, kdf.memlimit_kib);
  std::copy_n(header.salt, 16, out.data() + 16);
  std::copy_n(header.nonce, 24, out.data() + 32);
  uint8_t key[32];
  if (!derive_key(passphrase, header, key)) return IdentityFileError::kKdfFailed;
  // The clear header is associated data, so its parameters cannot be swapped.
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + kHeaderSize, nullptr, seed.data(),
                                             seed.size(), out.data(), kHeaderSize, nullptr,
                                             header.nonce, key);
  sodium_memzero(key, sizeof key);
  return IdentityFileError::kOk;
}

IdentityFileError open_identity(std::span<const uint8_t> file, std::string_view passphrase,
                                Seed &out) {
  if (sodium_init() < 0) return IdentityFileError::kKdfFailed;
  IdentityFileHeader header;
  if (auto error = parse_identity_header(file, header); error != IdentityFileError::kOk) {
    return error;
  }
  uint8_t key[32];
  if (!derive_key(passphrase, header, key)) return IdentityFileError::kKdfFailed;
  int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
      out.data(), nullptr, nullptr, file.data() + kHeaderSize, file.size() - kHeaderSize,
      file.data(), kHeaderSize, header.nonce, key);
  sodium_memzero(key, sizeof key);
  if (rc != 0) {
    sodium_memzero(out.data(), out.size());
    return IdentityFileError::kWrongPassphrase;
  }
  return IdentityFileError::kOk;
}

IdentityFileError save_identity_file(const std::filesystem::path &path, const Seed &seed,
                                     std::string_view passphrase, bool overwrite,
                                     const KdfParams &kdf) {
  std::error_code ec;
  if (!overwrite && std::filesystem::exists(path, ec)) return IdentityFileError::kExists;
  uint8_t image[kIdentityFileSize];
  if (auto error = seal_identity(seed, passphrase, kdf, image); error != IdentityFileError::kOk) {
    return error;
  }
  std::string temp = path.string() + ".tmp.XXXXXX";
  int fd = ::mkstemp(temp.data());  // mode 0600
  if (fd < 0) return IdentityFileError::kIo;
  bool ok = ::fchmod(fd, 0600) == 0 && write_all(fd, image) && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (ok && !overwrite) {
    // link() fails if the target appeared meanwhile, so nothing is replaced.
    ok = ::link(temp.c_str(), path.c_str()) == 0;
    if (!ok && errno == EEXIST) {
      ::unlink(temp.c_str());
      return IdentityFileError::kExists;
    }
    ::unlink(temp.c_str());
  } else if (ok) {
    ok = ::rename(temp.c_str(), path.c_str()) == 0;
  }
  if (!ok) {
    ::unlink(temp.c_str());
    return IdentityFileError::kIo;
  }
  return IdentityFileError::kOk;
}

IdentityFileError load_identity_file(const std::filesystem::path &path, std::string_view passphrase,
                                     Seed &out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IdentityFileError::kIo;
  uint8_t image[kIdentityFileSize + 1];  // one spare byte detects an oversized file
  size_t got = 0;
  while (got < sizeof image) {
    ssize_t n = ::read(fd, image + got, sizeof image - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return IdentityFileError::kIo;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  return open_identity({image, got}, passphrase, out);
}

}  // namespace wzp::crypto
