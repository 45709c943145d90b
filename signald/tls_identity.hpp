// The daemon's TLS certificate when no --cert/--key is given: a self-signed
// one made on first start and kept in the state directory (beside the
// database), so the SHA-256 pin clients hold survives restarts.
#pragma once

#include <filesystem>
#include <string>

namespace wzp::signald {

struct CertificateFiles {
  std::filesystem::path certificate;  // PEM
  std::filesystem::path private_key;  // PEM, mode 0600
};

// Where the generated certificate of the daemon with this database lives:
// "<database>.cert.pem" and "<database>.key.pem".
CertificateFiles generated_certificate_files(const std::filesystem::path &database);

// Makes the pair if neither file exists; keeps an existing pair as it is.
// false with `error` when only one exists (a half-written or mangled state
// directory: the daemon must not silently change its pin) or writing fails.
bool ensure_certificate(const CertificateFiles &files, std::string &error);

}  // namespace wzp::signald
