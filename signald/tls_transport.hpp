// The daemon's TLS fallback for clients whose network blocks UDP
// (docs/fallback.md): an HTTPS listener (libsoup) whose WebSockets on
// stream::kSignalPath carry the same signal messages and media packets a
// QUIC connection does, with the same certificate, so a login signed over
// it (signal::auth_transcript) verifies as over QUIC. Each WebSocket is a
// connection of the Server like any other (Transport::kTls). Runs on the
// main loop; media forwarded from the QUIC thread only queues.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "libwzp/stream/ws_channel.hpp"
#include "signald/core/server.hpp"
#include "signald/transports.hpp"

namespace wzp::signald {

class TlsTransport final : public ClientTransport {
 public:
  TlsTransport(std::mutex &core_mutex, ConnectionIds &ids) : mutex_(core_mutex), ids_(ids) {}
  ~TlsTransport() override;

  // Listens on `address`:`port` (0: any free one) with the certificate the
  // QUIC endpoint uses; the Server must be attached first. Fails when the
  // certificate's SHA-256 is not `certificate_sha256`.
  bool start(const std::string &address, uint16_t port, const std::string &certificate_file,
             const std::string &key_file, const std::string &certificate_sha256,
             size_t max_connections, Server &server, std::string &error);
  // Closes every connection and stops listening. Without the core mutex.
  void stop();
  uint16_t port() const { return port_; }
  // With the core mutex held.
  size_t open_connections() const { return connections_.size(); }

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
  uint16_t port_ = 0;
  size_t max_connections_ = 0;
  std::unordered_map<ConnectionId, std::shared_ptr<stream::WsChannel>> connections_;
  // Channels whose end was told: released on the main loop's next turn,
  // not inside their own callback.
  std::vector<std::shared_ptr<stream::WsChannel>> ended_;
  LinkTotals closed_totals_;
  uint64_t refused_ = 0;
};

}  // namespace wzp::signald
