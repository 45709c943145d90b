#include "signald/federation_transport.hpp"

#include <glib.h>

#include <algorithm>

#include "signald/core/server.hpp"
#include "signald/quic_transport.hpp"

namespace wzp::signald {

namespace {
constexpr uint64_t kRefused = 1;
constexpr auto kRedialInterval = std::chrono::seconds(2);
}  // namespace

bool FederationTransport::start(const quic::EndpointConfig &listen, Federation &federation,
                                const std::string &self_identity, std::vector<PeerConfig> peers,
                                std::string &error) {
  federation_ = &federation;
  listen_config_ = listen;
  endpoint_ = quic::Endpoint::create(
      listen,
      [this](const std::shared_ptr<quic::Connection> &connection) {
        std::lock_guard lock(mutex_);
        PeerId id = next_id_++;
        links_.emplace(id, LinkSlot{connection});
        return handlers_for(id, std::nullopt);
      },
      error);
  if (!endpoint_) return false;
  self_identity_ = self_identity;
  for (auto &peer : peers) {
    // Of each pair, the relay whose identity sorts first dials.
    if (!(self_identity < peer.identity)) continue;
    auto client = dialer_for(peer, error);
    if (!client) return false;
    dialed_.push_back({std::move(peer), std::move(client)});
  }
  return true;
}

std::unique_ptr<quic::Endpoint> FederationTransport::dialer_for(const PeerConfig &peer,
                                                                std::string &error) const {
  quic::EndpointConfig config;
  config.bind_address = peer.address.host.find(':') != std::string::npos ? "::" : "0.0.0.0";
  config.tls.alpn = {kFederationAlpn};
  config.tls.server_fingerprint = peer.certificate;
  config.keep_alive = listen_config_.keep_alive;
  config.idle_timeout = listen_config_.idle_timeout;
  config.max_connections = 1;
  auto client = quic::Endpoint::create(config, nullptr, error);
  if (!client) {
    error = "relay " + peer.address.host + ":" + std::to_string(peer.address.port) + ": " + error;
  }
  return client;
}

void FederationTransport::add_peer(PeerConfig peer) {
  std::string identity = peer.identity;
  peer_changes_.emplace_back(std::move(identity), std::move(peer));
}

void FederationTransport::remove_peer(const std::string &identity) {
  peer_changes_.emplace_back(identity, std::nullopt);
}

void FederationTransport::apply_peer_changes() {
  std::vector<std::pair<std::string, std::optional<PeerConfig>>> changes;
  {
    std::lock_guard lock(mutex_);
    changes.swap(peer_changes_);
  }
  for (auto &change : changes) {
    const std::string &identity = change.first;
    std::optional<PeerConfig> &peer = change.second;
    std::unique_ptr<quic::Endpoint> gone;
    {
      std::lock_guard lock(mutex_);  // on_closed reads dialed_ on an I/O thread
      auto found = std::find_if(dialed_.begin(), dialed_.end(), [&](const Dialed &dialed) {
        return dialed.config.identity == identity;
      });
      if (found != dialed_.end()) {
        gone = std::move(found->endpoint);
        dialed_.erase(found);
      }
    }
    // Outside the core mutex: its I/O thread may be waiting for it.
    gone.reset();
    // Of each pair, the relay whose identity sorts first dials.
    if (!peer || !(self_identity_ < identity)) continue;
    std::string error;
    auto client = dialer_for(*peer, error);
    if (!client) {
      g_warning("%s", error.c_str());
      continue;
    }
    std::lock_guard lock(mutex_);
    dialed_.push_back({std::move(*peer), std::move(client)});
  }
}

void FederationTransport::maintain() {
  apply_peer_changes();
  const auto now = std::chrono::steady_clock::now();
  for (auto &dialed : dialed_) {
    PeerId id = 0;
    {
      std::lock_guard lock(mutex_);
      if (dialed.link != 0 || now < dialed.next_attempt) continue;
      id = next_id_++;
      dialed.link = id;
      dialed.next_attempt = now + kRedialInterval;
      links_.emplace(id, LinkSlot{});  // reserved: callbacks may run before dial() returns
    }
    std::string error;
    auto connection = dialed.endpoint->dial(dialed.config.address.host, dialed.config.address.port,
                                            handlers_for(id, dialed.config.identity), error);
    std::lock_guard lock(mutex_);
    auto slot = links_.find(id);
    if (!connection || slot == links_.end()) {
      if (!connection) g_message("relay %s: %s", dialed.config.identity.c_str(), error.c_str());
      links_.erase(id);
      if (dialed.link == id) dialed.link = 0;
      continue;
    }
    slot->second.connection = connection;
    if (connection->state() == quic::Connection::State::kEstablished) {
      bring_up(id, slot->second, dialed.config.identity);
    }
  }
}

void FederationTransport::bring_up(PeerId id, LinkSlot &slot,
                                   const std::optional<std::string> &expected) {
  if (slot.up || !slot.connection) return;
  if (!expected) {
    // Accepted: anyone who reaches the port can open one (issue 13, finding
    // 4). The newest gets the place and the oldest waiting one from its
    // source is closed, so a relay that shares its address (or /64) with
    // whoever holds the share still gets in.
    slot.source = connection_source(slot.connection->remote_address());
    std::vector<PeerId> waiting;  // oldest first: ids grow
    for (const auto &[other, link] : links_) {
      if (other != id && link.up && !link.evicted && !slot.source.empty() &&
          link.source == slot.source && !federation_->identity_of(other)) {
        waiting.push_back(other);
      }
    }
    std::sort(waiting.begin(), waiting.end());
    for (size_t i = 0; i + kMaxWaitingLinksPerSource <= waiting.size(); ++i) {
      LinkSlot &old = links_.at(waiting[i]);
      old.evicted = true;
      g_message("relay link %" G_GUINT64_FORMAT " from %s closed: a newer one from there",
                waiting[i], old.connection->remote_address().c_str());
      old.connection->close(kRefused,
                            "too many relay links from your address waiting to authenticate");
    }
  }
  slot.up = true;
  g_message("relay link %" G_GUINT64_FORMAT " up with %s", id,
            slot.connection->remote_address().c_str());
  federation_->on_link_up(id, expected, std::chrono::steady_clock::now());
}

quic::ConnectionHandlers FederationTransport::handlers_for(PeerId id,
                                                           std::optional<std::string> expected) {
  quic::ConnectionHandlers handlers;
  handlers.on_established = [this, id, expected] {
    std::lock_guard lock(mutex_);
    // A dialed link's connection is stored once dial() returns; maintain()
    // brings it up then if the handshake finished first.
    if (auto found = links_.find(id); found != links_.end()) bring_up(id, found->second, expected);
  };
  handlers.on_message = [this, id](std::span<const uint8_t> message) {
    std::lock_guard lock(mutex_);
    federation_->on_message(
        id, std::string_view(reinterpret_cast<const char *>(message.data()), message.size()),
        wall_and_steady_now());
  };
  handlers.on_datagram = [this, id](std::span<const uint8_t> datagram) {
    std::lock_guard lock(mutex_);
    federation_->on_datagram(id, datagram);
  };
  handlers.on_closed = [this, id](const std::string &error) {
    std::lock_guard lock(mutex_);
    g_message("relay link %" G_GUINT64_FORMAT " down%s%s", id, error.empty() ? "" : ": ",
              error.c_str());
    federation_->on_link_down(id, wall_and_steady_now());
    links_.erase(id);
    for (auto &dialed : dialed_) {
      if (dialed.link == id) dialed.link = 0;
    }
  };
  return handlers;
}

void FederationTransport::stop() {
  for (auto &dialed : dialed_) dialed.endpoint.reset();
  endpoint_.reset();
}

void FederationTransport::send(PeerId to, const std::string &text) {
  auto it = links_.find(to);
  if (it == links_.end() || !it->second.connection) return;
  const auto &connection = it->second.connection;
  if (!connection->send_message({reinterpret_cast<const uint8_t *>(text.data()), text.size()})) {
    connection->close(kRefused, "relay link backlog");
  }
}

void FederationTransport::forward(PeerId to, std::span<const uint8_t> datagram) {
  auto it = links_.find(to);
  if (it != links_.end() && it->second.connection) it->second.connection->send_datagram(datagram);
}

void FederationTransport::close(PeerId to, const std::string &reason) {
  auto it = links_.find(to);
  if (it != links_.end() && it->second.connection) it->second.connection->close(kRefused, reason);
}

}  // namespace wzp::signald
