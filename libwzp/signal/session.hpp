// A client's connection to wzp-signald: one QUIC connection (ALPN
// wzp-signal/1, the daemon's certificate pinned by its SHA-256) carrying
// signal messages on its stream and media as its DATAGRAMs (forwarded by
// the daemon's rooms). Where UDP is blocked, the same messages and packets
// ride a WebSocket over TLS and TCP instead, pinned to the same certificate
// (libwzp/stream, docs/fallback.md). connect() dials and logs in with the
// identity (hello, challenge, auth, welcome: docs/signal.md "Connecting");
// then messages are sent with send() and taken, in arrival order, with
// next().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "libwzp/crypto/identity.hpp"
#include "libwzp/quic/endpoint.hpp"
#include "libwzp/quic/link.hpp"
#include "libwzp/signal/message.hpp"
#include "libwzp/stream/ws_channel.hpp"

namespace wzp::signal {

struct SessionConfig {
  std::string host = "127.0.0.1";  // the daemon: a numeric address or a name
  uint16_t port = 4433;
  std::string server_fingerprint;  // SHA-256 of the daemon's TLS certificate
  std::string device = "wzp";
  std::optional<std::string> token;  // for a daemon run with --auth-url
  std::chrono::milliseconds login_timeout{15000};
  // Media rides this connection (see quic::CongestionControl).
  quic::CongestionControl congestion_control = quic::CongestionControl::kBbr2;
  std::chrono::milliseconds idle_timeout{30000};
  std::chrono::milliseconds keep_alive{2000};
  // A repair burst needs time to leave; late media is still dropped.
  std::chrono::milliseconds max_queue_time{400};
  // Our socket also accepts QUIC connections (a peer's direct path,
  // docs/nat.md), with a certificate of its own; set_accept_handler() picks
  // who is served.
  bool accept_direct = false;
  // Our socket's address: "::" makes it dual-stack (IPv4 through mapped
  // addresses), so a peer's IPv6 candidates can be dialed from it too.
  std::string bind_address = "0.0.0.0";
  // The TLS fallback: when the daemon has not answered a single QUIC packet
  // within `quic_race`, the client dials wss://host:tls_port (0: never).
  // A daemon that answers, however slowly, keeps the QUIC connection.
  uint16_t tls_port = 443;
  std::string tls_host;  // "" : host
  std::chrono::milliseconds quic_race{2500};
};

struct Received {
  Message message;
  std::optional<uint64_t> request_id;
};

class Session {
 public:
  // Called on the connection's I/O thread: keep them short, allocate nothing.
  using DatagramHandler = std::function<void(std::span<const uint8_t>)>;
  using CloseHandler = std::function<void(const std::string &error)>;

  // Dials and logs in; nullptr with `error` saying why (unreachable, a
  // certificate that does not match the pin, the daemon's refusal, a timeout).
  // A refusal's own error (e.g. token_refused) also lands in `refusal`.
  static std::unique_ptr<Session> connect(const SessionConfig &config,
                                          const crypto::Identity &identity, std::string &error,
                                          Error *refusal = nullptr);
  // Closes the connection cleanly (the daemon hangs up our calls).
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  const Welcome &welcome() const { return welcome_; }
  // From the first packet to the welcome: the handshake and the login.
  std::chrono::milliseconds sign_in_time() const { return sign_in_time_; }
  // Queues a message; false once the connection has ended.
  bool send(const Message &message, std::optional<uint64_t> request_id = std::nullopt);
  // A fresh request id for send(), to match the daemon's reply.
  uint64_t next_request_id();
  // The oldest message not yet taken; nullopt after `timeout` or once the
  // connection has ended and nothing is left.
  std::optional<Received> next(std::chrono::milliseconds timeout);
  // The reply (ok, error, alias_resolved, ...) carrying `request_id`; the
  // messages before it stay queued for next().
  std::optional<Received> wait_reply(uint64_t request_id, std::chrono::milliseconds timeout);

  // Where the connection's datagrams go (nothing by default) and who hears
  // of its end; either may be replaced or cleared at any time.
  void set_datagram_handler(DatagramHandler handler);
  void set_close_handler(CloseHandler handler);

  // A peer's direct path on our socket (SessionConfig::accept_direct), so
  // the mapping the daemon reflected is the one the peer reaches. Without
  // a handler, an accepted connection is closed once established.
  void set_accept_handler(quic::Endpoint::AcceptHandler handler);
  // The certificate our socket presents to connections it accepts.
  const std::string &certificate() const { return endpoint_->fingerprint(); }
  // Dials a peer from our socket, pinning its certificate.
  std::shared_ptr<quic::Connection> dial_direct(const std::string &host, uint16_t port,
                                                quic::ConnectionHandlers handlers,
                                                const std::string &pin, std::string &error);
  // quic::Endpoint::send_punch from our socket.
  bool punch(const std::string &host, uint16_t port) { return endpoint_->send_punch(host, port); }
  // A STUN exchange from our socket (docs/nat.md, "Hard NATs"):
  // quic::Endpoint::send_raw and set_stun_handler.
  bool send_stun(const std::string &host, uint16_t port, std::span<const uint8_t> request) {
    return endpoint_->send_raw(host, port, request);
  }
  void set_stun_handler(quic::Endpoint::StunHandler handler) {
    endpoint_->set_stun_handler(std::move(handler));
  }
  // The QUIC connection; nullptr over the TLS fallback.
  const std::shared_ptr<quic::Connection> &connection() const { return connection_; }
  // True when the session rides the TLS fallback: no UDP, so no direct path.
  bool over_tls() const { return channel_ != nullptr; }
  // "quic" or "tls fallback", as the client's status line says it.
  const char *transport() const { return channel_ ? "tls fallback" : "quic"; }
  // A link for the call's or room's media over this session's connection,
  // whichever transport it is (quic::Link::over).
  std::shared_ptr<quic::Link> media_link() const;
  // Moves a link another session's media_link() made onto this session
  // (quic::Link::rebind): the client redialed after its connection ended.
  void rebind_media_link(quic::Link &link) const;
  // The connection's statistics, whichever transport it is.
  quic::ConnectionStats connection_stats() const;
  // The UDP port our side of the connection is bound to: the base of the
  // address reflect_request reports, and of our host candidates.
  uint16_t local_port() const { return endpoint_->local_port(); }

  bool ended() const;
  // Why the connection ended; "" while open or after a clean close.
  std::string end_reason() const;
  // Messages that could not be parsed, or that overflowed the queue.
  uint64_t dropped_messages() const;
  // Closes cleanly, waiting up to `timeout` for the daemon to hear it.
  void close(std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));

 private:
  Session() = default;
  // `quic_attempt`: the first QUIC connection, which the fallback may replace.
  quic::ConnectionHandlers handlers(bool quic_attempt);
  // Dials the fallback when QUIC has heard nothing; true once it is open.
  bool fall_back(const SessionConfig &config, std::chrono::milliseconds timeout,
                 std::string &error);
  bool login(const crypto::Identity &identity, const SessionConfig &config, std::string &error,
             Error *refusal);

  std::unique_ptr<quic::Endpoint> endpoint_;
  std::shared_ptr<quic::Connection> connection_;
  std::shared_ptr<stream::WsChannel> channel_;  // the TLS fallback, instead of connection_
  // Set when the QUIC attempt is given up for the fallback: its end is not ours.
  std::atomic<bool> quic_abandoned_{false};
  Welcome welcome_;
  std::chrono::milliseconds sign_in_time_{0};

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Received> inbox_;
  uint64_t dropped_messages_ = 0;
  uint64_t request_ids_ = 0;
  bool ended_ = false;
  std::string end_reason_;

  std::mutex handlers_mutex_;
  DatagramHandler on_datagram_;
  CloseHandler on_closed_;
  quic::Endpoint::AcceptHandler on_accept_;
};

}  // namespace wzp::signal
