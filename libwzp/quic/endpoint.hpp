// One UDP socket, any number of QUIC connections on it, dialed or accepted,
// and the one I/O thread that owns them all. Callbacks (ConnectionHandlers,
// the accept handler) run on that thread; they must not call dial().
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "libwzp/quic/config.hpp"
#include "libwzp/quic/connection.hpp"
#include "libwzp/quic/send_batch.hpp"
#include "libwzp/quic/tls.hpp"

namespace wzp::quic {

// A connection id as a map key, without a heap allocation per lookup.
struct CidKey {
  std::array<uint8_t, NGTCP2_MAX_CIDLEN> bytes{};
  uint8_t size = 0;
  bool operator==(const CidKey &) const = default;
};
struct CidKeyHash {
  size_t operator()(const CidKey &key) const;
};

class Endpoint : private ConnectionHost {
 public:
  // Chooses the handlers for a connection a peer opened; called before any
  // of its data is delivered. Keep the pointer to talk back.
  using AcceptHandler = std::function<ConnectionHandlers(const std::shared_ptr<Connection> &)>;

  // Binds the socket and starts the I/O thread; nullptr + `error` on failure.
  static std::unique_ptr<Endpoint> create(const EndpointConfig &config, AcceptHandler on_accept,
                                          std::string &error);
  // Closes every connection (peers are told) and stops the I/O thread.
  ~Endpoint() override;
  Endpoint(const Endpoint &) = delete;
  Endpoint &operator=(const Endpoint &) = delete;

  // Starts a handshake with host:port (a numeric address or a name). The
  // connection reports progress through its state and handlers. `pin`, when
  // set, is the certificate fingerprint this connection's peer must have
  // instead of the configured one (a peer reached directly, docs/nat.md).
  std::shared_ptr<Connection> dial(const std::string &host, uint16_t port,
                                   ConnectionHandlers handlers, std::string &error,
                                   const std::string &pin = {});
  // Sends one small datagram that is not QUIC (the peer's endpoint counts it
  // as garbage) from this socket to a numeric host:port (never a name), so
  // our NAT lets that address's packets in (docs/nat.md, "Checks"). False
  // if unsendable.
  bool send_punch(const std::string &host, uint16_t port);
  // Sends `bytes`, which must not be QUIC (a STUN request), from this socket
  // to a numeric host:port. False if unsendable.
  bool send_raw(const std::string &host, uint16_t port, std::span<const uint8_t> bytes);
  // Hears the datagrams in STUN's range (RFC 7983: first byte 0-3), so a
  // Binding exchange can learn this socket's mapping (docs/nat.md, "Hard
  // NATs"); the handler's parser checks the rest (libwzp/nat/stun). On the
  // I/O thread, with the loop locked: it must not call into the endpoint.
  // Returning false hands the datagram to QUIC as usual. nullptr clears it.
  using StunHandler = std::function<bool(std::span<const uint8_t>)>;
  void set_stun_handler(StunHandler handler);

  uint16_t local_port() const { return local_port_; }
  // SHA-256 fingerprint of this endpoint's certificate, for the peer to pin.
  const std::string &fingerprint() const { return tls_->fingerprint(); }
  EndpointStats stats() const;

 private:
  Endpoint(const EndpointConfig &config, AcceptHandler on_accept);
  bool open_socket(std::string &error);
  void run();
  void receive_all(int socket, uint64_t ts);
  bool open_bounce_socket();
  void dispatch(std::span<const uint8_t> packet, const sockaddr_storage &from, socklen_t from_len,
                uint64_t ts);
  void accept(std::span<const uint8_t> packet, const ngtcp2_path &path, uint64_t ts);
  void service_connections(uint64_t ts);
  // A dial's handshake race (EndpointConfig::handshake_attempts).
  void race_handshakes(uint64_t ts);
  // When `connection`'s dial starts its next attempt; UINT64_MAX if never.
  uint64_t next_attempt_ns(const Connection &connection) const;
  Connection *settle_race(Connection *attempt, uint64_t ts);
  size_t handshakes_in_progress() const;
  // Address validation and the per-source limit for a new Initial.
  size_t handshakes_from(const sockaddr *remote) const;
  void send_retry(const ngtcp2_pkt_hd &initial, const ngtcp2_path &path, uint64_t ts);

  // ConnectionHost
  void send_packet(const ngtcp2_path &path, std::span<const uint8_t> packet) override;
  void send_packet_bounced(const ngtcp2_path &path, std::span<const uint8_t> packet) override;
  void send_copies_later(const ngtcp2_path &path, std::span<const uint8_t> packet, size_t copies,
                         uint64_t interval_ns) override;
  bool register_cid(const ngtcp2_cid &cid, Connection *connection) override;
  void unregister_cid(const ngtcp2_cid &cid) override;
  void wake() override;
  const EndpointConfig &config() const override { return config_; }
  TlsContext &tls() override { return *tls_; }
  std::span<const uint8_t> reset_secret() const override { return reset_secret_; }

  EndpointConfig config_;
  AcceptHandler on_accept_;
  std::unique_ptr<TlsContext> tls_;
  int socket_ = -1;
  // A client's second socket, opened on first use, for the packets that
  // bounce a server's congestion state (Connection::bounce_for_server).
  int bounce_socket_ = -1;
  int wake_fd_ = -1;
  uint16_t local_port_ = 0;
  sockaddr_storage local_addr_{};
  socklen_t local_addr_len_ = 0;
  std::vector<uint8_t> reset_secret_;
  std::vector<uint8_t> token_secret_;  // keys the Retry tokens this endpoint issues
  // recvmmsg's slots, each as large as any UDP datagram (or a GRO train of
  // them); left uninitialised, so only the pages packets fill are touched.
  std::unique_ptr<uint8_t[]> receive_buffer_;
  // The packets written this turn of the I/O loop, sent at its end (and at
  // the end of dial()); guarded by loop_mutex_.
  SendBatch send_batch_{false};
  void queue_packet(const sockaddr *to, socklen_t to_len, std::span<const uint8_t> packet);

  // The I/O state, held by the I/O thread while it works and by dial().
  mutable std::mutex loop_mutex_;
  std::vector<std::shared_ptr<Connection>> connections_;
  std::unordered_map<CidKey, Connection *, CidKeyHash> by_cid_;
  EndpointStats stats_;
  struct LaterCopies {
    std::vector<uint8_t> packet;
    sockaddr_storage remote{};
    socklen_t remote_len = 0;
    uint64_t due_ns = 0;
    uint64_t interval_ns = 0;
    size_t copies_left = 0;
  };
  std::vector<LaterCopies> later_copies_;
  StunHandler stun_handler_;
  void send_copy(const LaterCopies &later);
  void send_due_copies(uint64_t ts);
  // wake() was called on the I/O thread itself: the loop's next turn must
  // not sleep. I/O thread only.
  bool woken_on_loop_ = false;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace wzp::quic
