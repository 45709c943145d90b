#include "libwzp/stream/tls_gate.hpp"

#include <memory>
#include <utility>

#include "libwzp/base/host_port.hpp"
#include "libwzp/stream/tcp_listener.hpp"

namespace wzp::stream {
namespace {

std::string text_of(GSocketAddress *address) {
  if (address == nullptr || !G_IS_INET_SOCKET_ADDRESS(address)) return "";
  auto *inet = G_INET_SOCKET_ADDRESS(address);
  gchar *host = g_inet_address_to_string(g_inet_socket_address_get_address(inet));
  std::string text = base::format_host_port(host, g_inet_socket_address_get_port(inet));
  g_free(host);
  return text;
}

// What a pending handshake or timeout knows of its connection.
using Key = std::pair<TlsGate *, std::string>;

}  // namespace

TlsGate::TlsGate(SoupServer *soup, GTlsCertificate *certificate, const TlsGateLimits &limits,
                 SourceOf source_of)
    : soup_(SOUP_SERVER(g_object_ref(soup))),
      certificate_(G_TLS_CERTIFICATE(g_object_ref(certificate))),
      limits_(limits),
      source_of_(std::move(source_of)) {
  finished_handler_ =
      g_signal_connect(soup_, "request-finished", G_CALLBACK(on_request_finished), this);
}

TlsGate::~TlsGate() {
  stop();
  g_signal_handler_disconnect(soup_, finished_handler_);
  g_object_unref(certificate_);
  g_object_unref(soup_);
}

bool TlsGate::listen(const std::string &address, uint16_t port, std::string &error) {
  service_ = listen_tcp(address, port, G_CALLBACK(on_incoming), this, port_, error);
  return service_ != nullptr;
}

std::string TlsGate::remote_of(SoupServerMessage *message) {
  return text_of(soup_server_message_get_remote_address(message));
}

gboolean TlsGate::on_incoming(GSocketService *, GSocketConnection *tcp, GObject *, gpointer data) {
  auto *self = static_cast<TlsGate *>(data);
  GSocketAddress *remote_address = g_socket_connection_get_remote_address(tcp, nullptr);
  std::string remote = text_of(remote_address);
  if (remote_address != nullptr) g_object_unref(remote_address);
  std::string source = self->source_of_(remote);
  const bool full = self->waiting_.size() >= self->limits_.waiting;
  auto per_source = self->per_source_.find(source);
  const size_t from_source = per_source == self->per_source_.end() ? 0 : per_source->second;
  if (full || from_source >= self->limits_.waiting_per_source || self->waiting_.contains(remote)) {
    ++(full ? self->counts_.refused_full : self->counts_.refused_source);
    g_io_stream_close(G_IO_STREAM(tcp), nullptr, nullptr);
    return TRUE;
  }
  GError *gerror = nullptr;
  GIOStream *tls = g_tls_server_connection_new(G_IO_STREAM(tcp), self->certificate_, &gerror);
  if (tls == nullptr) {
    g_warning("tls: %s", gerror->message);
    g_clear_error(&gerror);
    g_io_stream_close(G_IO_STREAM(tcp), nullptr, nullptr);
    return TRUE;
  }
  // As libsoup sets up its own TLS connections.
  g_tls_connection_set_require_close_notify(G_TLS_CONNECTION(tls), FALSE);
  const gchar *protocols[] = {"http/1.1", nullptr};
  g_tls_connection_set_advertised_protocols(G_TLS_CONNECTION(tls), protocols);
  Waiting &w = self->waiting_[remote];
  w.tcp = G_SOCKET_CONNECTION(g_object_ref(tcp));
  w.tls = G_TLS_CONNECTION(tls);
  w.cancel = g_cancellable_new();
  w.source = source;
  ++self->per_source_[source];
  // Still waiting when its time is up: closed, whether TLS, the request or
  // the upgrade lagged.
  w.timeout = g_timeout_add_full(
      G_PRIORITY_DEFAULT, static_cast<guint>(self->limits_.timeout.count()),
      [](gpointer d) -> gboolean {
        auto *k = static_cast<Key *>(d);
        auto found = k->first->waiting_.find(k->second);
        if (found != k->first->waiting_.end()) {
          found->second.timeout = 0;  // this source is removed by returning
          ++k->first->counts_.timed_out;
          k->first->forget(k->second, true);
        }
        return G_SOURCE_REMOVE;
      },
      new Key(self, remote), [](gpointer d) { delete static_cast<Key *>(d); });
  g_tls_connection_handshake_async(w.tls, G_PRIORITY_DEFAULT, w.cancel, on_handshake,
                                   new Key(self, remote));
  return TRUE;
}

void TlsGate::on_handshake(GObject *tls, GAsyncResult *result, gpointer data) {
  std::unique_ptr<Key> key(static_cast<Key *>(data));
  GError *gerror = nullptr;
  bool done = g_tls_connection_handshake_finish(G_TLS_CONNECTION(tls), result, &gerror);
  bool cancelled = g_error_matches(gerror, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error(&gerror);
  if (cancelled) return;  // forgotten already; the gate may be gone
  TlsGate *self = key->first;
  auto found = self->waiting_.find(key->second);
  if (found == self->waiting_.end()) return;
  if (!done) {
    ++self->counts_.failed;
    return self->forget(key->second, true);
  }
  // Still waiting until its request is answered or it is a WebSocket.
  GSocketAddress *local = g_socket_connection_get_local_address(found->second.tcp, nullptr);
  GSocketAddress *remote = g_socket_connection_get_remote_address(found->second.tcp, nullptr);
  bool accepted =
      local != nullptr && remote != nullptr &&
      soup_server_accept_iostream(self->soup_, G_IO_STREAM(tls), local, remote, nullptr);
  if (local != nullptr) g_object_unref(local);
  if (remote != nullptr) g_object_unref(remote);
  if (!accepted) self->forget(key->second, true);
}

void TlsGate::on_request_finished(SoupServer *, SoupServerMessage *message, gpointer data) {
  // An upgrade leaves through pass(); any other answered request was the
  // connection's last.
  if (soup_server_message_get_status(message) == SOUP_STATUS_SWITCHING_PROTOCOLS) return;
  static_cast<TlsGate *>(data)->forget(remote_of(message), true);
}

GSocket *TlsGate::pass(SoupServerMessage *message) {
  const std::string remote = remote_of(message);
  auto found = waiting_.find(remote);
  if (found == waiting_.end()) return nullptr;
  GSocket *socket = G_SOCKET(g_object_ref(g_socket_connection_get_socket(found->second.tcp)));
  forget(remote, false);
  return socket;
}

void TlsGate::forget(const std::string &remote, bool close) {
  auto found = waiting_.find(remote);
  if (found == waiting_.end()) return;
  Waiting w = found->second;
  waiting_.erase(found);
  if (--per_source_[w.source] == 0) per_source_.erase(w.source);
  if (w.timeout != 0) g_source_remove(w.timeout);
  g_cancellable_cancel(w.cancel);
  // Closing the TCP stream ends what libsoup holds of it too.
  if (close) g_io_stream_close(G_IO_STREAM(w.tcp), nullptr, nullptr);
  g_object_unref(w.cancel);
  g_object_unref(w.tls);
  g_object_unref(w.tcp);
}

void TlsGate::stop() {
  if (service_ != nullptr) {
    g_socket_service_stop(service_);
    g_socket_listener_close(G_SOCKET_LISTENER(service_));
    g_clear_object(&service_);
  }
  while (!waiting_.empty()) forget(waiting_.begin()->first, true);
}

}  // namespace wzp::stream
