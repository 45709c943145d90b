#include "signald/tls_identity.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string_view>

#include "libwzp/quic/tls.hpp"

namespace wzp::signald {
namespace {

// The pin, not the dates, is what clients check; a long life keeps a
// restarted daemon's certificate usable for anything that does look.
constexpr std::chrono::hours kValidFor{20L * 365 * 24};

// Writes `data` to a temporary file beside `path` with `mode`, fsyncs it and
// renames it into place, so a crash never leaves a half-written file.
bool write_file(const std::filesystem::path &path, std::string_view data, mode_t mode,
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
  while (written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  bool ok = written == data.size() && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (ok) ok = ::rename(temporary.c_str(), path.c_str()) == 0;
  if (!ok) {
    error = "cannot write " + path.string() + ": " + std::strerror(errno);
    ::unlink(temporary.c_str());
  }
  return ok;
}

bool generate(const CertificateFiles &files, std::string &error) {
  quic::SelfSignedIdentity identity;
  if (!quic::generate_self_signed(kValidFor, identity, error)) return false;
  // The key first: a certificate without its key is refused at the next start.
  bool ok = write_file(files.private_key, identity.private_key_pem, 0600, error) &&
            write_file(files.certificate, identity.certificate_pem, 0644, error);
  identity.wipe();
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
