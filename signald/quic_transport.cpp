#include "signald/quic_transport.hpp"

#include <glib.h>

#include "libwzp/signal/printable.hpp"
#include "libwzp/wire/key_datagram.hpp"
#include "libwzp/wire/keyframe_request.hpp"

namespace wzp::signald {

namespace {
// Application close codes (QUIC CONNECTION_CLOSE): 0 normal, 1 refused.
constexpr uint64_t kRefused = 1;

// Datagrams a connection dropped before sending them.
uint64_t unsent(const quic::ConnectionStats &stats) {
  return stats.datagrams_dropped_stale + stats.datagrams_dropped_full;
}

void add(LinkTotals &totals, const quic::ConnectionStats &stats) {
  totals.datagrams_unsent += unsent(stats);
  totals.congestion_restarts += stats.congestion_restarts;
}
}  // namespace

Now wall_and_steady_now() {
  return Now{std::chrono::steady_clock::now(),
             static_cast<uint64_t>(g_get_real_time() / G_USEC_PER_SEC)};
}

bool QuicTransport::start(const quic::EndpointConfig &config, Server &server, std::string &error) {
  server_ = &server;
  endpoint_ = quic::Endpoint::create(
      config,
      [this](const std::shared_ptr<quic::Connection> &connection) {
        std::lock_guard lock(mutex_);
        ConnectionId id = ids_.take();
        connections_.emplace(id, connection);
        return handlers_for(id);
      },
      error);
  return endpoint_ != nullptr;
}

void QuicTransport::stop() { endpoint_.reset(); }

quic::ConnectionHandlers QuicTransport::handlers_for(ConnectionId id) {
  quic::ConnectionHandlers handlers;
  handlers.on_established = [this, id] {
    std::lock_guard lock(mutex_);
    auto found = connections_.find(id);
    if (found == connections_.end()) return;
    // What reflect_request answers: the client's address as seen from here.
    server_->on_connect(id, found->second->remote_address(), wall_and_steady_now());
  };
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
      g_debug("connection %" G_GUINT64_FORMAT " ended: %s", id, signal::printable(error).c_str());
    }
    server_->on_disconnect(id, wall_and_steady_now());
    if (auto found = connections_.find(id); found != connections_.end()) {
      const auto stats = found->second->stats();
      // Packing toward a member (docs/rooms.md) shows as fewer packets than datagrams.
      // Echoes of signaling (docs/quic.md) are the copies beyond those packets.
      g_debug("connection %" G_GUINT64_FORMAT " closed: %" G_GUINT64_FORMAT
              " datagrams sent in %" G_GUINT64_FORMAT " UDP packets, %" G_GUINT64_FORMAT
              " signaling echoes",
              id, stats.datagrams_sent, stats.udp_packets_sent, stats.signaling_echoes_sent);
      add(closed_totals_, stats);
      connections_.erase(found);
    }
  };
  return handlers;
}

void QuicTransport::send(ConnectionId to, const signal::Message &message,
                         std::optional<uint64_t> request_id) {
  auto it = connections_.find(to);
  if (it == connections_.end()) return;
  std::string text = signal::serialize(message, request_id);
  if (!it->second->send_message({reinterpret_cast<const uint8_t *>(text.data()), text.size()})) {
    // Its send buffer is full: a client that does not read is dropped.
    it->second->close(kRefused, "signaling backlog");
  }
}

// libwzp/quic delivers the messages queued before a close (the error that
// explains it) before closing.
void QuicTransport::close(ConnectionId to, const std::string &reason) {
  if (auto it = connections_.find(to); it != connections_.end())
    it->second->close(kRefused, reason);
}

void QuicTransport::forward(ConnectionId to, std::span<const uint8_t> datagram) {
  auto it = connections_.find(to);
  if (it == connections_.end()) return;
  // A keyframe request or a room key goes ahead of the media queued for the
  // member, as the member's own link sends it (quic::Link).
  if (wire::parse_keyframe_request(datagram) || wire::parse_key_datagram(datagram)) {
    it->second->send_datagram_first(datagram);
  } else {
    it->second->send_datagram(datagram);
  }
}

std::optional<quality::PacketCounts> QuicTransport::datagrams_delivered(ConnectionId to) const {
  auto it = connections_.find(to);
  if (it == connections_.end()) return std::nullopt;
  const quic::ConnectionStats stats = it->second->stats();
  // A datagram the relay dropped before sending is as lost to the member.
  const uint64_t undelivered =
      stats.datagrams_lost + unsent(stats) + stats.datagrams_dropped_oversized;
  return quality::PacketCounts{.sent = stats.datagrams_acked + undelivered,
                               .arrived = stats.datagrams_acked};
}

LinkTotals QuicTransport::link_totals() const {
  LinkTotals totals = closed_totals_;
  for (const auto &[id, connection] : connections_) add(totals, connection->stats());
  return totals;
}

std::optional<quality::LegDelay> QuicTransport::leg_delay(ConnectionId to) const {
  auto it = connections_.find(to);
  if (it == connections_.end()) return std::nullopt;
  const quic::PathStats path = it->second->stats().path;
  return quality::LegDelay{path.smoothed_rtt_ms, path.rtt_variance_ms};
}

}  // namespace wzp::signald
