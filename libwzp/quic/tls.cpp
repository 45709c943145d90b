#include "libwzp/quic/tls.hpp"

#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include <cctype>
#include <ctime>

#include "libwzp/base/hex.hpp"

namespace wzp::quic {
namespace {

// QUIC carries TLS 1.3 only; middlebox compatibility mode makes no sense here.
constexpr const char *kPriority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:%DISABLE_TLS13_COMPAT_MODE";

std::string gnutls_message(const char *what, int rv) {
  return std::string(what) + ": " + gnutls_strerror(rv);
}

}  // namespace

std::string sha256_fingerprint(std::span<const uint8_t> der) {
  uint8_t digest[32];
  if (gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data(), der.size(), digest) < 0) return {};
  return base::to_hex(digest, 2);
}

std::string normalize_fingerprint(std::string_view fingerprint) {
  std::string out;
  for (char c : fingerprint) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

std::unique_ptr<TlsContext> TlsContext::create(const TlsConfig &config, bool server_identity,
                                               std::string &error) {
  std::unique_ptr<TlsContext> context(new TlsContext());
  context->config_ = config;
  if (config.alpn.empty()) {
    error = "at least one ALPN protocol is required";
    return nullptr;
  }
  int rv = gnutls_certificate_allocate_credentials(&context->credentials_);
  if (rv != 0) {
    error = gnutls_message("cannot allocate TLS credentials", rv);
    return nullptr;
  }
  bool have_files = !config.certificate_file.empty() || !config.private_key_file.empty();
  if (have_files && !context->load_identity(error)) return nullptr;
  if (!have_files && server_identity && !context->generate_identity(error)) return nullptr;
  if (config.server_fingerprint.empty()) {
    rv = config.ca_file.empty()
             ? gnutls_certificate_set_x509_system_trust(context->credentials_)
             : gnutls_certificate_set_x509_trust_file(context->credentials_, config.ca_file.c_str(),
                                                      GNUTLS_X509_FMT_PEM);
    if (rv < 0 && !config.ca_file.empty()) {
      error = gnutls_message(("cannot load CA file " + config.ca_file).c_str(), rv);
      return nullptr;
    }
  } else if (normalize_fingerprint(config.server_fingerprint).size() != 64) {
    error = "server fingerprint must be a SHA-256 digest (64 hex digits)";
    return nullptr;
  }
  return context;
}

TlsContext::~TlsContext() {
  if (credentials_ != nullptr) gnutls_certificate_free_credentials(credentials_);
}

void TlsContext::remember_fingerprint() {
  gnutls_datum_t der{};
  if (gnutls_certificate_get_crt_raw(credentials_, 0, 0, &der) == 0) {
    fingerprint_ = sha256_fingerprint({der.data, der.size});
  }
}

bool TlsContext::load_identity(std::string &error) {
  if (config_.certificate_file.empty() || config_.private_key_file.empty()) {
    error = "certificate-file and private-key-file must be given together";
    return false;
  }
  int rv =
      gnutls_certificate_set_x509_key_file(credentials_, config_.certificate_file.c_str(),
                                           config_.private_key_file.c_str(), GNUTLS_X509_FMT_PEM);
  if (rv < 0) {
    error = gnutls_message(("cannot load certificate " + config_.certificate_file + " / key " +
                            config_.private_key_file)
                               .c_str(),
                           rv);
    return false;
  }
  remember_fingerprint();
  return true;
}

bool generate_self_signed(std::chrono::seconds valid_for, SelfSignedIdentity &out,
                          std::string &error) {
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
  if (rv == 0) rv = gnutls_x509_crt_set_expiration_time(crt, now + valid_for.count());
  if (rv == 0) rv = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "wzp", 3);
  if (rv == 0) rv = gnutls_x509_crt_set_key(crt, key);
  if (rv == 0) rv = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
  if (rv == 0) rv = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
  if (rv == 0) rv = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &key_pem);
  if (rv == 0) rv = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &crt_pem);
  if (rv == 0) {
    out.private_key_pem.assign(reinterpret_cast<char *>(key_pem.data), key_pem.size);
    out.certificate_pem.assign(reinterpret_cast<char *>(crt_pem.data), crt_pem.size);
  }
  if (key_pem.data != nullptr) {
    gnutls_memset(key_pem.data, 0, key_pem.size);
    gnutls_free(key_pem.data);
  }
  if (crt_pem.data != nullptr) gnutls_free(crt_pem.data);
  if (crt != nullptr) gnutls_x509_crt_deinit(crt);
  if (key != nullptr) gnutls_x509_privkey_deinit(key);
  if (rv != 0) error = gnutls_message("cannot generate a self-signed certificate", rv);
  return rv == 0;
}

void SelfSignedIdentity::wipe() {
  gnutls_memset(private_key_pem.data(), 0, private_key_pem.size());
  private_key_pem.clear();
}

bool TlsContext::generate_identity(std::string &error) {
  SelfSignedIdentity identity;
  if (!generate_self_signed(std::chrono::hours(365 * 24), identity, error)) return false;
  gnutls_datum_t crt{reinterpret_cast<unsigned char *>(identity.certificate_pem.data()),
                     static_cast<unsigned>(identity.certificate_pem.size())};
  gnutls_datum_t key{reinterpret_cast<unsigned char *>(identity.private_key_pem.data()),
                     static_cast<unsigned>(identity.private_key_pem.size())};
  int rv = gnutls_certificate_set_x509_key_mem(credentials_, &crt, &key, GNUTLS_X509_FMT_PEM);
  identity.wipe();
  if (rv < 0) {
    error = gnutls_message("cannot use the generated certificate", rv);
    return false;
  }
  remember_fingerprint();
  return true;
}

gnutls_session_t TlsContext::new_session(bool server, ngtcp2_crypto_conn_ref *ref,
                                         std::string &error) {
  gnutls_session_t session = nullptr;
  int rv =
      gnutls_init(&session, (server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NO_END_OF_EARLY_DATA);
  if (rv != 0) {
    error = gnutls_message("cannot create TLS session", rv);
    return nullptr;
  }
  rv = server ? ngtcp2_crypto_gnutls_configure_server_session(session)
              : ngtcp2_crypto_gnutls_configure_client_session(session);
  if (rv == 0) rv = gnutls_priority_set_direct(session, kPriority, nullptr);
  if (rv == 0) rv = gnutls_credentials_set(session, GNUTLS_CRD_CERTIFICATE, credentials_);
  if (rv == 0) {
    std::vector<gnutls_datum_t> protocols;
    for (const auto &name : config_.alpn) {
      protocols.push_back(
          gnutls_datum_t{reinterpret_cast<unsigned char *>(const_cast<char *>(name.data())),
                         static_cast<unsigned>(name.size())});
    }
    // Mandatory: a peer speaking none of our protocols fails the handshake.
    rv = gnutls_alpn_set_protocols(session, protocols.data(),
                                   static_cast<unsigned>(protocols.size()), GNUTLS_ALPN_MANDATORY);
  }
  if (rv == 0 && !server && !config_.server_name.empty()) {
    rv = gnutls_server_name_set(session, GNUTLS_NAME_DNS, config_.server_name.data(),
                                config_.server_name.size());
  }
  if (rv != 0) {
    error = gnutls_message("cannot configure TLS session", rv);
    gnutls_deinit(session);
    return nullptr;
  }
  if (!server && config_.server_fingerprint.empty()) {
    gnutls_session_set_verify_cert(
        session, config_.server_name.empty() ? nullptr : config_.server_name.c_str(), 0);
  }
  gnutls_session_set_ptr(session, ref);
  return session;
}

bool TlsContext::check_pinned(gnutls_session_t session, std::string_view pin, std::string &error) {
  unsigned count = 0;
  const gnutls_datum_t *chain = gnutls_certificate_get_peers(session, &count);
  if (chain == nullptr || count == 0) {
    error = "server sent no certificate";
    return false;
  }
  std::string seen = sha256_fingerprint({chain[0].data, chain[0].size});
  if (normalize_fingerprint(seen) != normalize_fingerprint(pin)) {
    error = "server certificate fingerprint " + seen + " does not match the pinned fingerprint";
    return false;
  }
  return true;
}

}  // namespace wzp::quic
