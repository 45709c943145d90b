#include "libwzp/stream/https.hpp"

#include <algorithm>

#include "libwzp/quic/tls.hpp"

namespace wzp::stream {

GTlsCertificate *load_tls_certificate(const std::string &certificate_file,
                                      const std::string &key_file,
                                      std::chrono::seconds self_signed_validity,
                                      std::string &fingerprint, std::string &error) {
  GError *gerror = nullptr;
  GTlsCertificate *certificate = nullptr;
  if (!certificate_file.empty()) {
    certificate =
        g_tls_certificate_new_from_files(certificate_file.c_str(), key_file.c_str(), &gerror);
  } else {
    quic::SelfSignedIdentity identity;
    if (!quic::generate_self_signed(self_signed_validity, identity, error)) return nullptr;
    std::string pem = identity.certificate_pem + identity.private_key_pem;
    certificate = g_tls_certificate_new_from_pem(pem.c_str(), -1, &gerror);
    identity.wipe();
    std::fill(pem.begin(), pem.end(), '\0');
  }
  if (certificate == nullptr) {
    error = std::string("TLS certificate: ") + (gerror != nullptr ? gerror->message : "unknown");
    g_clear_error(&gerror);
    return nullptr;
  }
  GByteArray *der = nullptr;
  g_object_get(certificate, "certificate", &der, nullptr);
  fingerprint = quic::sha256_fingerprint({der->data, der->len});
  g_byte_array_unref(der);
  return certificate;
}

uint16_t listen_https(SoupServer *server, const std::string &address, uint16_t port,
                      std::string &error) {
  GInetAddress *inet = g_inet_address_new_from_string(address.c_str());
  if (inet == nullptr) {
    error = "not a numeric address: " + address;
    return 0;
  }
  GSocketAddress *socket_address = g_inet_socket_address_new(inet, port);
  g_object_unref(inet);
  GError *gerror = nullptr;
  gboolean listening =
      soup_server_listen(server, socket_address, SOUP_SERVER_LISTEN_HTTPS, &gerror);
  g_object_unref(socket_address);
  if (!listening) {
    error = std::string("cannot listen: ") + gerror->message;
    g_clear_error(&gerror);
    return 0;
  }
  GSList *listeners = soup_server_get_listeners(server);
  GSocketAddress *bound = g_socket_get_local_address(G_SOCKET(listeners->data), nullptr);
  uint16_t bound_port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_object_unref(bound);
  g_slist_free(listeners);
  return bound_port;
}

}  // namespace wzp::stream
