#include "signald/tls_transport.hpp"

#include <glib.h>

#include "libwzp/signal/printable.hpp"
#include "libwzp/stream/https.hpp"
#include "signald/quic_transport.hpp"

namespace wzp::signald {

namespace {
// The certificate is always given (a file the daemon keeps); this is unused.
constexpr std::chrono::hours kNoSelfSigned{1};

uint64_t unsent(const quic::ConnectionStats &stats) {
  return stats.datagrams_dropped_stale + stats.datagrams_dropped_full;
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
  // libsoup gets each connection from the gate, after its TLS handshake.
  soup_ = soup_server_new("server-header", "wzp-signald", nullptr);
  const char *protocols[] = {stream::kSignalProtocol, nullptr};
  soup_server_add_websocket_handler(soup_, stream::kSignalPath, nullptr,
                                    const_cast<char **>(protocols), on_websocket, this, nullptr);
  gate_ = std::make_unique<stream::TlsGate>(
      soup_, certificate,
      stream::TlsGateLimits{limits.handshakes, limits.handshakes_per_source,
                            limits.handshake_timeout},
      [](std::string_view remote) { return connection_source(remote); });
  g_object_unref(certificate);
  if (!gate_->listen(address, port, error)) return false;
  port_ = gate_->port();
  return true;
}

std::string TlsTransport::metrics() const {
  const stream::TlsGateCounts *gate = gate_ ? &gate_->counts() : nullptr;
  auto count = [gate](const std::atomic<uint64_t> stream::TlsGateCounts::*which) {
    return std::to_string(gate != nullptr ? (gate->*which).load() : 0);
  };
  return "wzp_signald_tls_refused_total{reason=\"full\"} " + std::to_string(refused_) +
         "\nwzp_signald_tls_refused_total{reason=\"handshakes\"} " +
         count(&stream::TlsGateCounts::refused_full) +
         "\nwzp_signald_tls_refused_total{reason=\"handshakes_per_source\"} " +
         count(&stream::TlsGateCounts::refused_source) +
         "\nwzp_signald_tls_refused_total{reason=\"handshake_failed\"} " +
         count(&stream::TlsGateCounts::failed) +
         "\nwzp_signald_tls_refused_total{reason=\"handshake_timeout\"} " +
         count(&stream::TlsGateCounts::timed_out) + "\n";
}

void TlsTransport::stop() {
  std::unordered_map<ConnectionId, std::shared_ptr<stream::WsChannel>> connections;
  {
    std::lock_guard lock(mutex_);
    connections.swap(connections_);
    ended_.clear();
  }
  connections.clear();  // each closes without telling the Server
  gate_.reset();        // stops listening, closes what still waits
  if (soup_ != nullptr) {
    soup_server_disconnect(soup_);
    g_clear_object(&soup_);
  }
}

void TlsTransport::on_websocket(SoupServer *, SoupServerMessage *message, const char *,
                                SoupWebsocketConnection *ws, gpointer data) {
  static_cast<TlsTransport *>(data)->accept(message, ws);
}

void TlsTransport::accept(SoupServerMessage *message, SoupWebsocketConnection *ws) {
  // A WebSocket now: its handshake's slot is free. libsoup knows only the
  // TLS stream we handed it; the socket (for TCP's queue and RTT) is ours.
  GSocket *socket = gate_->pass(message);
  if (socket == nullptr) {
    soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "timed out");
    return;
  }
  std::string remote = stream::TlsGate::remote_of(message);
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
