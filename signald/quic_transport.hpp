// Connects the daemon core to libwzp/quic: each accepted connection gets an
// id, its signaling messages and datagrams go to the Server, and the Server's
// replies go back through Outbox. One mutex (the caller's) guards the Server
// and this table; QUIC callbacks take it on the endpoint's I/O thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "libwzp/quic/endpoint.hpp"
#include "signald/core/server.hpp"
#include "signald/transports.hpp"

namespace wzp::signald {

Now wall_and_steady_now();

class QuicTransport final : public ClientTransport {
 public:
  QuicTransport(std::mutex &core_mutex, ConnectionIds &ids) : mutex_(core_mutex), ids_(ids) {}

  // Binds and starts accepting; the Server must be attached first.
  bool start(const quic::EndpointConfig &config, Server &server, std::string &error);
  // Stops the endpoint. Call without holding the core mutex.
  void stop();
  uint16_t port() const { return endpoint_ ? endpoint_->local_port() : 0; }
  std::string certificate_fingerprint() const { return endpoint_ ? endpoint_->fingerprint() : ""; }
  // With the core mutex held.
  size_t open_connections() const { return connections_.size(); }

  // ClientTransport; with the core mutex held.
  bool owns(ConnectionId id) const override { return connections_.contains(id); }
  void send(ConnectionId to, const signal::Message &message,
            std::optional<uint64_t> request_id) override;
  void close(ConnectionId to, const std::string &reason) override;
  void forward(ConnectionId to, std::span<const uint8_t> datagram) override;
  std::optional<quality::PacketCounts> datagrams_delivered(ConnectionId to) const override;
  std::optional<quality::LegDelay> leg_delay(ConnectionId to) const override;
  LinkTotals link_totals() const override;

 private:
  quic::ConnectionHandlers handlers_for(ConnectionId id);

  std::mutex &mutex_;
  Server *server_ = nullptr;
  std::unique_ptr<quic::Endpoint> endpoint_;
  std::unordered_map<ConnectionId, std::shared_ptr<quic::Connection>> connections_;
  ConnectionIds &ids_;
  LinkTotals closed_totals_;  // of the connections gone
};

}  // namespace wzp::signald
