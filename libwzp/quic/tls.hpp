// TLS 1.3 for QUIC through GnuTLS: the credentials of one endpoint, the
// sessions of its connections, and certificate fingerprints for pinning.
#pragma once

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "libwzp/quic/config.hpp"

namespace wzp::quic {

// "ab:cd:..." (lower-case hex pairs) of the SHA-256 of a DER certificate.
std::string sha256_fingerprint(std::span<const uint8_t> der);
// Lower-case hex without separators, so pins compare whatever their spelling.
std::string normalize_fingerprint(std::string_view fingerprint);

// An ECDSA P-256 certificate signed by its own key (CN "wzp"), valid from
// an hour ago for `valid_for`: what a server without a configured identity
// uses, and what wzp-signald keeps on disk so its pin survives restarts.
struct SelfSignedIdentity {
  std::string certificate_pem;
  std::string private_key_pem;
  void wipe();  // zeroes the key
};
bool generate_self_signed(std::chrono::seconds valid_for, SelfSignedIdentity &out,
                          std::string &error);

class TlsContext {
 public:
  // Loads or (for an accepting endpoint without files) generates the server
  // identity and sets up trust for client connections. nullptr + `error`.
  static std::unique_ptr<TlsContext> create(const TlsConfig &config, bool server_identity,
                                            std::string &error);
  ~TlsContext();
  TlsContext(const TlsContext &) = delete;
  TlsContext &operator=(const TlsContext &) = delete;

  // The SHA-256 fingerprint of this endpoint's certificate ("" if none).
  const std::string &fingerprint() const { return fingerprint_; }
  const TlsConfig &config() const { return config_; }

  // A session for one connection, already configured for ngtcp2. The
  // session pointer is `ref`, as ngtcp2_crypto_gnutls expects.
  gnutls_session_t new_session(bool server, ngtcp2_crypto_conn_ref *ref, std::string &error);

  // Checks the server certificate of a client session against the pin.
  static bool check_pinned(gnutls_session_t session, std::string_view pin, std::string &error);

 private:
  TlsContext() = default;
  bool load_identity(std::string &error);
  bool generate_identity(std::string &error);
  void remember_fingerprint();  // of the certificate in credentials_

  TlsConfig config_;
  gnutls_certificate_credentials_t credentials_ = nullptr;
  std::string fingerprint_;
};

}  // namespace wzp::quic
