#include "signald/tls_identity.hpp"

#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace wzp::signald {
namespace {

// The pin, not the dates, is what clients check; a long life keeps a
// restarted daemon's certificate usable for anything that does look.
constexpr time_t kValidSeconds = 20L * 365 * 24 * 3600;

std::string gnutls_error(const char *what, int rv) {
  return std::string(what) + ": " + gnutls_strerror(rv);
}

// Writes `data` to a temporary file beside `path` with `mode`, fsyncs it and
// renames it into place, so a crash never leaves a half-written file.
bool write_file(const std::filesystem::path &path, const gnutls_datum_t &data, mode_t mode,
                std::string &error) {
  std::string temporary = path.string() + ".tmp";
  // A leftover from a crash could carry looser permissions: start afresh.
  ::unlink(temporary.c_str());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    error = "cannot write " + temporary + ": " + std::strerror(errno);
    return false;
  }
  size_t written = 0;
  while (written < data.size) {
    ssize_t n = ::write(fd, data.data + written, data.size - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  bool ok = written == data.size && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (ok) ok = ::rename(temporary.c_str(), path.c_str()) == 0;
  if (!ok) {
    error = "cannot write " + path.string() + ": " + std::strerror(errno);
    ::unlink(temporary.c_str());
  }
  return ok;
}

bool generate(const CertificateFiles &files, std::string &error) {
  gnutls_x509_privkey_t key = nullptr;
  gnutls_x509_crt_t crt = nullptr;
  gnutls_datum_t key_pem{}, crt_pem{};
  uint8_t serial[16];
  time_t now = time(nullptr);
  int rv = gnutls_x509_privkey_init(&key);
  if (rv == 0) {
    rv = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                      GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
  }
  if (rv == 0) rv = gnutls_x509_crt_init(&crt);
  if (rv == 0) rv = gnutls_x509_crt_set_version(crt, 3);
  if (rv == 0) rv = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial);
  serial[0] &= 0x7f;  // a positive serial number
  if (rv == 0) rv = gnutls_x509_crt_set_serial(crt, serial, sizeof serial);
  if (rv == 0) rv = gnutls_x509_crt_set_activation_time(crt, now - 3600);
  if (rv == 0) rv = gnutls_x509_crt_set_expiration_time(crt, now + kValidSeconds);
  if (rv == 0) rv = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "wzp", 3);
  if (rv == 0) rv = gnutls_x509_crt_set_key(crt, key);
  if (rv == 0) rv = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
  if (rv == 0) rv = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
  if (rv == 0) rv = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &key_pem);
  if (rv == 0) rv = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &crt_pem);
  bool ok = rv == 0;
  if (!ok) error = gnutls_error("cannot generate a self-signed certificate", rv);
  // The key first: a certificate without its key is refused at the next start.
  if (ok) ok = write_file(files.private_key, key_pem, 0600, error);
  if (ok) ok = write_file(files.certificate, crt_pem, 0644, error);
  if (key_pem.data != nullptr) {
    gnutls_memset(key_pem.data, 0, key_pem.size);
    gnutls_free(key_pem.data);
  }
  if (crt_pem.data != nullptr) gnutls_free(crt_pem.data);
  if (crt != nullptr) gnutls_x509_crt_deinit(crt);
  if (key != nullptr) gnutls_x509_privkey_deinit(key);
  return ok;
}

}  // namespace

CertificateFiles generated_certificate_files(const std::filesystem::path &database) {
  return {database.string() + ".cert.pem", database.string() + ".key.pem"};
}

bool ensure_certificate(const CertificateFiles &files, std::string &error) {
  std::error_code ignored;
  bool have_certificate = std::filesystem::exists(files.certificate, ignored);
  bool have_key = std::filesystem::exists(files.private_key, ignored);
  if (have_certificate && have_key) return true;
  if (have_certificate != have_key) {
    error = "found " + (have_certificate ? files.certificate : files.private_key).string() +
            " without " + (have_certificate ? files.private_key : files.certificate).string() +
            ": restore it, or remove both to make a new certificate (clients must then pin the "
            "new one)";
    return false;
  }
  return generate(files, error);
}

}  // namespace wzp::signald
