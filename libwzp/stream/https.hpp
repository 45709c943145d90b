// What wzp-web and wzp-signald's TLS fallback share to serve over HTTPS
// with libsoup: a certificate from PEM files (or a fresh self-signed one)
// with the SHA-256 clients pin, and a SoupServer listening with it.
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include <chrono>
#include <string>

namespace wzp::stream {

// From `certificate_file` and `key_file` (PEM), or, when both are empty, a
// new self-signed one valid for `self_signed_validity`. Sets `fingerprint`
// (quic::sha256_fingerprint of its DER). nullptr + `error`.
GTlsCertificate *load_tls_certificate(const std::string &certificate_file,
                                      const std::string &key_file,
                                      std::chrono::seconds self_signed_validity,
                                      std::string &fingerprint, std::string &error);

// Listens on `address` (numeric) and `port` (0: any free one) over HTTPS;
// the bound port, or 0 + `error`.
uint16_t listen_https(SoupServer *server, const std::string &address, uint16_t port,
                      std::string &error);

}  // namespace wzp::stream
