// Connects Federation to libwzp/quic: one endpoint accepts links from
// trusted relays (ALPN wzp-federation/1), and for each configured relay whose
// identity sorts after ours we dial it (pinning its certificate) and redial
// while the link is down, so each pair of relays keeps exactly one link.
// Like QuicTransport, QUIC callbacks take the core mutex on I/O threads.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "libwzp/quic/endpoint.hpp"
#include "signald/config.hpp"
#include "signald/core/federation.hpp"

namespace wzp::signald {

// Links accepted from one source (connection_source: an IPv4 address or an
// IPv6 /64) that have not authenticated yet: a newer one closes the oldest.
// Each holds one of the port's 2 per peer + 8 slots for up to
// kLinkAuthTimeout, and a relay dials once at a time.
constexpr size_t kMaxWaitingLinksPerSource = 2;

class FederationTransport final : public PeerOutbox {
 public:
  explicit FederationTransport(std::mutex &core_mutex) : mutex_(core_mutex) {}
  ~FederationTransport() override { stop(); }

  // Binds the listening endpoint. Federation must outlive this.
  bool start(const quic::EndpointConfig &listen, Federation &federation,
             const std::string &self_identity, std::vector<PeerConfig> peers, std::string &error);
  // Dials the relays we are to dial whose link is down. Call without the
  // core mutex (dialing takes the endpoint's lock, under which its
  // callbacks take the core mutex).
  void maintain();
  // A relay found while running (a cluster node, docs/signal.md "A cluster
  // on Redis"): dialed if its identity sorts after ours, else awaited.
  // remove_peer stops dialing it (Federation::set_trusted closes its
  // links). With the core mutex held, from any thread; they take effect at
  // the next maintain().
  void add_peer(PeerConfig peer);
  void remove_peer(const std::string &identity);
  void stop();
  uint16_t port() const { return endpoint_ ? endpoint_->local_port() : 0; }
  std::string certificate_fingerprint() const { return endpoint_ ? endpoint_->fingerprint() : ""; }

  // PeerOutbox; with the core mutex held.
  void send(PeerId to, const std::string &text) override;
  void forward(PeerId to, std::span<const uint8_t> datagram) override;
  void close(PeerId to, const std::string &reason) override;

 private:
  struct Dialed {
    PeerConfig config;
    std::unique_ptr<quic::Endpoint> endpoint;  // a client endpoint pinning its certificate
    PeerId link = 0;                           // 0 while down
    std::chrono::steady_clock::time_point next_attempt{};
  };

  struct LinkSlot {
    std::shared_ptr<quic::Connection> connection;  // null until a dial returns
    bool up = false;                               // Federation told of it
    std::string source;    // of an accepted link: connection_source of its address
    bool evicted = false;  // closed for a newer link from its source
  };

  // Applies add_peer and remove_peer; without the core mutex.
  void apply_peer_changes();
  // The endpoint that dials `peer`, pinning its certificate.
  std::unique_ptr<quic::Endpoint> dialer_for(const PeerConfig &peer, std::string &error) const;
  quic::ConnectionHandlers handlers_for(PeerId id, std::optional<std::string> expected);
  // Tells Federation once, whichever of the handshake and dial() ends last.
  void bring_up(PeerId id, LinkSlot &slot, const std::optional<std::string> &expected);

  std::mutex &mutex_;
  Federation *federation_ = nullptr;
  quic::EndpointConfig listen_config_;
  std::unique_ptr<quic::Endpoint> endpoint_;
  std::string self_identity_;
  std::vector<Dialed> dialed_;
  std::unordered_map<PeerId, LinkSlot> links_;
  // add_peer (a config) and remove_peer (nullopt) in order, by identity.
  std::vector<std::pair<std::string, std::optional<PeerConfig>>> peer_changes_;
  PeerId next_id_ = 1;
};

}  // namespace wzp::signald
