// The daemon's TLS fallback for clients whose network blocks UDP
// (docs/fallback.md): an HTTPS listener (libsoup) whose WebSockets on
// stream::kSignalPath carry the same signal messages and media packets a
// QUIC connection does, with the same certificate, so a login signed over
// it (signal::auth_transcript) verifies as over QUIC. Each WebSocket is a
// connection of the Server like any other (Transport::kTls). Runs on the
// main loop; media forwarded from the QUIC thread only queues.
//
// Before a connection is a WebSocket (the TLS handshake and the HTTP
// upgrade), it is bounded as a QUIC handshake is, by a stream::TlsGate: at
// most `handshakes` at once and `handshakes_per_source` from one address
// (IPv4, or IPv6 /64), each given `handshake_timeout` to become a WebSocket.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "libwzp/stream/tls_gate.hpp"
#include "libwzp/stream/ws_channel.hpp"
#include "signald/core/server.hpp"
#include "signald/transports.hpp"

namespace wzp::signald {

struct TlsLimits {
  size_t connections = 1024;         // WebSockets open at once (--max-connections)
  size_t handshakes = 16;            // connections not yet WebSockets, as QUIC's handshake slots
  size_t handshakes_per_source = 8;  // --max-waiting-per-address
  std::chrono::milliseconds handshake_timeout{5000};
};

class TlsTransport final : public ClientTransport {
 public:
  TlsTransport(std::mutex &core_mutex, ConnectionIds &ids) : mutex_(core_mutex), ids_(ids) {}
  ~TlsTransport() override;

  // Listens on `address`:`port` (0: any free one) with the certificate the
  // QUIC endpoint uses; the Server must be attached first. Fails when the
  // certificate's SHA-256 is not `certificate_sha256`.
  bool start(const std::string &address, uint16_t port, const std::string &certificate_file,
             const std::string &key_file, const std::string &certificate_sha256,
             const TlsLimits &limits, Server &server, std::string &error);
  // Closes every connection and stops listening. Without the core mutex.
  void stop();
  uint16_t port() const { return port_; }
  // With the core mutex held.
  size_t open_connections() const { return connections_.size(); }
  // Connections refused before they were WebSockets (Prometheus text),
  // with the core mutex held.
  std::string metrics() const;

  // ClientTransport; with the core mutex held.
  bool owns(ConnectionId id) const override { return connections_.contains(id); }
  void send(ConnectionId to, const signal::Message &message,
            std::optional<uint64_t> request_id) override;
  void close(ConnectionId to, const std::string &reason) override;
  void forward(ConnectionId to, std::span<const uint8_t> datagram) override;
  std::optional<quality::LegDelay> leg_delay(ConnectionId to) const override;
  LinkTotals link_totals() const override;

 private:
  static void on_websocket(SoupServer *soup, SoupServerMessage *message, const char *path,
                           SoupWebsocketConnection *ws, gpointer data);
  void accept(SoupServerMessage *message, SoupWebsocketConnection *ws);
  stream::ChannelHandlers handlers_for(ConnectionId id);

  std::mutex &mutex_;
  ConnectionIds &ids_;
  Server *server_ = nullptr;
  SoupServer *soup_ = nullptr;
  std::unique_ptr<stream::TlsGate> gate_;
  uint16_t port_ = 0;
  TlsLimits limits_;
  std::unordered_map<ConnectionId, std::shared_ptr<stream::WsChannel>> connections_;
  // Channels whose end was told: released on the main loop's next turn,
  // not inside their own callback.
  std::vector<std::shared_ptr<stream::WsChannel>> ended_;
  LinkTotals closed_totals_;
  uint64_t refused_ = 0;  // the server was full
};

}  // namespace wzp::signald
