#include "signald/tls_transport.hpp"

#include <glib.h>

#include "libwzp/base/host_port.hpp"
#include "libwzp/signal/printable.hpp"
#include "libwzp/stream/https.hpp"
#include "signald/quic_transport.hpp"
#include "signald/tcp_listener.hpp"

namespace wzp::signald {

namespace {
// The certificate is always given (a file the daemon keeps); this is unused.
constexpr std::chrono::hours kNoSelfSigned{1};

uint64_t unsent(const quic::ConnectionStats &stats) {
  return stats.datagrams_dropped_stale + stats.datagrams_dropped_full;
}

std::string text_of(GSocketAddress *address) {
  if (address == nullptr || !G_IS_INET_SOCKET_ADDRESS(address)) return "";
  auto *inet = G_INET_SOCKET_ADDRESS(address);
  gchar *host = g_inet_address_to_string(g_inet_socket_address_get_address(inet));
  std::string text = base::format_host_port(host, g_inet_socket_address_get_port(inet));
  g_free(host);
  return text;
}

std::string address_of(SoupServerMessage *message) {
  return text_of(soup_server_message_get_remote_address(message));
}
}  // namespace

TlsTransport::~TlsTransport() { stop(); }

bool TlsTransport::start(const std::string &address, uint16_t port,
                         const std::string &certificate_file, const std::string &key_file,
                         const std::string &certificate_sha256, const TlsLimits &limits,
                         Server &server, std::string &error) {
  server_ = &server;
  limits_ = limits;
  std::string fingerprint;
  GTlsCertificate *certificate =
      stream::load_tls_certificate(certificate_file, key_file, kNoSelfSigned, fingerprint, error);
  if (certificate == nullptr) return false;
  if (quic::normalize_fingerprint(fingerprint) != quic::normalize_fingerprint(certificate_sha256)) {
    g_object_unref(certificate);
    error = "the certificate is not the one QUIC clients pin";
    return false;
  }
  certificate_ = certificate;
  // libsoup gets each connection after its TLS handshake (on_handshake).
  soup_ = soup_server_new("server-header", "wzp-signald", nullptr);
  const char *protocols[] = {stream::kSignalProtocol, nullptr};
  soup_server_add_websocket_handler(soup_, stream::kSignalPath, nullptr,
                                    const_cast<char **>(protocols), on_websocket, this, nullptr);
  service_ = listen_tcp(address, port, G_CALLBACK(on_incoming), this, port_, error);
  return service_ != nullptr;
}

gboolean TlsTransport::on_incoming(GSocketService *, GSocketConnection *tcp, GObject *,
                                   gpointer data) {
  auto *self = static_cast<TlsTransport *>(data);
  GSocketAddress *remote_address = g_socket_connection_get_remote_address(tcp, nullptr);
  std::string remote = text_of(remote_address);
  if (remote_address != nullptr) g_object_unref(remote_address);
  std::string source = connection_source(remote);
  bool all_taken = self->handshakes_.size() >= self->limits_.handshakes;
  if (all_taken || self->handshakes_by_source_[source] >= self->limits_.handshakes_per_source ||
      self->handshakes_.contains(remote)) {
    {
      std::lock_guard lock(self->mutex_);
      ++(all_taken ? self->refused_handshakes_ : self->refused_source_handshakes_);
    }
    if (self->handshakes_by_source_[source] == 0) self->handshakes_by_source_.erase(source);
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
  Handshake &h = self->handshakes_[remote];
  h.tcp = G_SOCKET_CONNECTION(g_object_ref(tcp));
  h.tls = G_TLS_CONNECTION(tls);
  h.cancel = g_cancellable_new();
  h.source = source;
  ++self->handshakes_by_source_[source];
  // Not a WebSocket in time: closed, whether TLS or the upgrade lagged.
  auto *key = new std::pair<TlsTransport *, std::string>(self, remote);
  h.timeout = g_timeout_add_full(
      G_PRIORITY_DEFAULT, static_cast<guint>(self->limits_.handshake_timeout.count()),
      [](gpointer d) -> gboolean {
        auto *k = static_cast<std::pair<TlsTransport *, std::string> *>(d);
        auto found = k->first->handshakes_.find(k->second);
        if (found != k->first->handshakes_.end()) {
          found->second.timeout = 0;  // this source is removed by returning
          {
            std::lock_guard lock(k->first->mutex_);
            ++k->first->timed_out_handshakes_;
          }
          k->first->forget(k->second, true);
        }
        return G_SOURCE_REMOVE;
      },
      key, [](gpointer d) { delete static_cast<std::pair<TlsTransport *, std::string> *>(d); });
  g_tls_connection_handshake_async(h.tls, G_PRIORITY_DEFAULT, h.cancel, on_handshake,
                                   new std::pair<TlsTransport *, std::string>(self, remote));
  return TRUE;
}

void TlsTransport::on_handshake(GObject *tls, GAsyncResult *result, gpointer data) {
  std::unique_ptr<std::pair<TlsTransport *, std::string>> key(
      static_cast<std::pair<TlsTransport *, std::string> *>(data));
  GError *gerror = nullptr;
  bool done = g_tls_connection_handshake_finish(G_TLS_CONNECTION(tls), result, &gerror);
  bool cancelled = g_error_matches(gerror, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error(&gerror);
  if (cancelled) return;  // forgotten already; the transport may be gone
  TlsTransport *self = key->first;
  auto found = self->handshakes_.find(key->second);
  if (found == self->handshakes_.end()) return;
  if (!done) {
    {
      std::lock_guard lock(self->mutex_);
      ++self->failed_handshakes_;
    }
    return self->forget(key->second, true);
  }
  // Still counted until it becomes a WebSocket (accept) or times out.
  GSocketAddress *local = g_socket_connection_get_local_address(found->second.tcp, nullptr);
  GSocketAddress *remote = g_socket_connection_get_remote_address(found->second.tcp, nullptr);
  bool accepted =
      local != nullptr && remote != nullptr &&
      soup_server_accept_iostream(self->soup_, G_IO_STREAM(tls), local, remote, nullptr);
  if (local != nullptr) g_object_unref(local);
  if (remote != nullptr) g_object_unref(remote);
  if (!accepted) self->forget(key->second, true);
}

void TlsTransport::forget(const std::string &remote, bool close) {
  auto found = handshakes_.find(remote);
  if (found == handshakes_.end()) return;
  Handshake h = found->second;
  handshakes_.erase(found);
  if (--handshakes_by_source_[h.source] == 0) handshakes_by_source_.erase(h.source);
  if (h.timeout != 0) g_source_remove(h.timeout);
  g_cancellable_cancel(h.cancel);
  // Closing the TCP stream ends what libsoup holds of it too.
  if (close) g_io_stream_close(G_IO_STREAM(h.tcp), nullptr, nullptr);
  g_object_unref(h.cancel);
  g_object_unref(h.tls);
  g_object_unref(h.tcp);
}

std::string TlsTransport::metrics() const {
  return "wzp_signald_tls_refused_total{reason=\"full\"} " + std::to_string(refused_) +
         "\nwzp_signald_tls_refused_total{reason=\"handshakes\"} " +
         std::to_string(refused_handshakes_) +
         "\nwzp_signald_tls_refused_total{reason=\"handshakes_per_source\"} " +
         std::to_string(refused_source_handshakes_) +
         "\nwzp_signald_tls_refused_total{reason=\"handshake_failed\"} " +
         std::to_string(failed_handshakes_) +
         "\nwzp_signald_tls_refused_total{reason=\"handshake_timeout\"} " +
         std::to_string(timed_out_handshakes_) + "\n";
}

void TlsTransport::stop() {
  std::unordered_map<ConnectionId, std::shared_ptr<stream::WsChannel>> connections;
  {
    std::lock_guard lock(mutex_);
    connections.swap(connections_);
    ended_.clear();
  }
  connections.clear();  // each closes without telling the Server
  if (service_ != nullptr) {
    g_socket_service_stop(service_);
    g_socket_listener_close(G_SOCKET_LISTENER(service_));
    g_clear_object(&service_);
  }
  while (!handshakes_.empty()) forget(handshakes_.begin()->first, true);
  if (soup_ != nullptr) {
    soup_server_disconnect(soup_);
    g_clear_object(&soup_);
  }
  g_clear_object(&certificate_);
}

void TlsTransport::on_websocket(SoupServer *, SoupServerMessage *message, const char *,
                                SoupWebsocketConnection *ws, gpointer data) {
  static_cast<TlsTransport *>(data)->accept(message, ws);
}

void TlsTransport::accept(SoupServerMessage *message, SoupWebsocketConnection *ws) {
  // A WebSocket now: its handshake's slot is free. libsoup knows only the
  // TLS stream we handed it; the socket (for TCP's queue and RTT) is ours.
  std::string remote = address_of(message);
  auto found = handshakes_.find(remote);
  if (found == handshakes_.end()) {
    soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "timed out");
    return;
  }
  GSocket *socket = G_SOCKET(g_object_ref(g_socket_connection_get_socket(found->second.tcp)));
  forget(remote, false);
  std::lock_guard lock(mutex_);
  if (connections_.size() >= limits_.connections) {
    ++refused_;
    g_object_unref(socket);
    soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server full");
    return;
  }
  ConnectionId id = ids_.take();
  auto channel =
      stream::WsChannel::adopt(ws, socket, remote, stream::ChannelConfig{}, handlers_for(id));
  g_object_unref(socket);
  connections_.emplace(id, channel);
  // What reflect_request answers: a TCP address, no use for a direct path
  // (the client skips those over the fallback).
  server_->on_connect(id, remote, wall_and_steady_now(), Transport::kTls);
}

stream::ChannelHandlers TlsTransport::handlers_for(ConnectionId id) {
  stream::ChannelHandlers handlers;
  handlers.on_message = [this, id](std::span<const uint8_t> message) {
    std::lock_guard lock(mutex_);
    server_->on_message(
        id, std::string_view(reinterpret_cast<const char *>(message.data()), message.size()),
        wall_and_steady_now());
  };
  handlers.on_datagram = [this, id](std::span<const uint8_t> datagram) {
    std::lock_guard lock(mutex_);
    server_->on_datagram(id, datagram, std::chrono::steady_clock::now());
  };
  handlers.on_closed = [this, id](const std::string &error) {
    std::lock_guard lock(mutex_);
    if (!error.empty()) {
      g_debug("tls connection %" G_GUINT64_FORMAT " ended: %s", id,
              signal::printable(error).c_str());
    }
    server_->on_disconnect(id, wall_and_steady_now());
    if (auto found = connections_.find(id); found != connections_.end()) {
      closed_totals_.datagrams_unsent += unsent(found->second->stats());
      // Not destroyed inside its own handler: on the loop's next turn.
      ended_.push_back(std::move(found->second));
      connections_.erase(found);
      g_idle_add(
          [](gpointer data) -> gboolean {
            auto *self = static_cast<TlsTransport *>(data);
            std::vector<std::shared_ptr<stream::WsChannel>> ended;
            {
              std::lock_guard self_lock(self->mutex_);
              ended.swap(self->ended_);
            }
            return G_SOURCE_REMOVE;
          },
          this);
    }
  };
  return handlers;
}

void TlsTransport::send(ConnectionId to, const signal::Message &message,
                        std::optional<uint64_t> request_id) {
  auto it = connections_.find(to);
  if (it == connections_.end()) return;
  std::string text = signal::serialize(message, request_id);
  if (!it->second->send_message({reinterpret_cast<const uint8_t *>(text.data()), text.size()})) {
    it->second->close("signaling backlog");
  }
}

void TlsTransport::close(ConnectionId to, const std::string &reason) {
  if (auto it = connections_.find(to); it != connections_.end()) it->second->close(reason);
}

void TlsTransport::forward(ConnectionId to, std::span<const uint8_t> datagram) {
  auto it = connections_.find(to);
  if (it != connections_.end()) it->second->send_datagram(datagram);
}

std::optional<quality::LegDelay> TlsTransport::leg_delay(ConnectionId to) const {
  auto it = connections_.find(to);
  if (it == connections_.end()) return std::nullopt;
  const quic::PathStats path = it->second->stats().path;
  return quality::LegDelay{path.smoothed_rtt_ms, path.rtt_variance_ms};
}

LinkTotals TlsTransport::link_totals() const {
  LinkTotals totals = closed_totals_;
  for (const auto &[id, channel] : connections_)
    totals.datagrams_unsent += unsent(channel->stats());
  return totals;
}

}  // namespace wzp::signald
