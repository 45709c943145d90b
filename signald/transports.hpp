// The daemon's client transports side by side: QUIC, and the TLS fallback
// for networks that block UDP (docs/fallback.md). They number their
// connections from one counter, so the Server sees one kind of member, and
// the Server's Outbox is this router, which hands each call to the
// transport that owns the connection. With the core mutex held.
#pragma once

#include "signald/core/outbox.hpp"

namespace wzp::signald {

class ConnectionIds {
 public:
  ConnectionId take() { return next_++; }

 private:
  ConnectionId next_ = 1;
};

// An Outbox that knows its own connections.
class ClientTransport : public Outbox {
 public:
  virtual bool owns(ConnectionId id) const = 0;
};

class Transports final : public Outbox {
 public:
  Transports(ClientTransport &quic, ClientTransport *tls) : quic_(quic), tls_(tls) {}
  void set_tls(ClientTransport *tls) { tls_ = tls; }

  void send(ConnectionId to, const signal::Message &message,
            std::optional<uint64_t> request_id) override {
    of(to).send(to, message, request_id);
  }
  void close(ConnectionId to, const std::string &reason) override { of(to).close(to, reason); }
  void forward(ConnectionId to, std::span<const uint8_t> datagram) override {
    of(to).forward(to, datagram);
  }
  std::optional<quality::PacketCounts> datagrams_delivered(ConnectionId to) const override {
    return of(to).datagrams_delivered(to);
  }
  std::optional<quality::LegDelay> leg_delay(ConnectionId to) const override {
    return of(to).leg_delay(to);
  }
  LinkTotals link_totals() const override {
    LinkTotals totals = quic_.link_totals();
    if (tls_ != nullptr) {
      LinkTotals more = tls_->link_totals();
      totals.datagrams_unsent += more.datagrams_unsent;
      totals.congestion_restarts += more.congestion_restarts;
    }
    return totals;
  }

 private:
  ClientTransport &of(ConnectionId id) const {
    return tls_ != nullptr && tls_->owns(id) ? *tls_ : quic_;
  }
  ClientTransport &quic_;
  ClientTransport *tls_;
};

}  // namespace wzp::signald
