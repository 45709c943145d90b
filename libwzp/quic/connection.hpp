// One QUIC connection: datagrams for media, length-prefixed messages on a
// stream for signaling. The public methods are thread-safe; everything that
// touches ngtcp2 runs on the owning Endpoint's I/O thread.
#pragma once

#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "libwzp/quic/config.hpp"
#include "libwzp/quic/datagram_queue.hpp"
#include "libwzp/quic/echo_schedule.hpp"
#include "libwzp/quic/message_framing.hpp"
#include "libwzp/quic/starvation.hpp"
#include "libwzp/quic/tail_probe.hpp"

namespace wzp::quic {

class TlsContext;

// The length of every connection id we issue; the endpoint reads short
// headers by it. Every media packet carries one: 8 bytes (RFC 9000 allows
// up to 20) keep a Codec2 frame's packet ~10 % smaller, which matters where
// the congestion window sits at its floor.
inline constexpr size_t kConnectionIdLength = 8;
// The ngtcp2 datagram id of an unconfirmed client's empty probe datagram,
// kept out of the datagram counters (media ids count up from 0).
inline constexpr uint64_t kProbeDatagramId = UINT64_MAX;
// A server starved by its congestion state cannot start a new one (only a
// client may migrate, RFC 9000, 9): it asks its client with a one-byte
// DATAGRAM holding kRestartRequest, too short to be media, and the client
// bounces a packet (Connection::bounce_for_server). Its id, like the
// probe's, stays out of the counters.
inline constexpr uint64_t kRestartRequestDatagramId = UINT64_MAX - 1;
inline constexpr uint8_t kRestartRequest = 0x01;
inline bool is_media_datagram_id(uint64_t id) { return id < kRestartRequestDatagramId; }

// What a connection needs from its endpoint; called on the I/O thread only,
// except wake().
class ConnectionHost {
 public:
  virtual void send_packet(const ngtcp2_path &path, std::span<const uint8_t> packet) = 0;
  // Sends from a second socket of the endpoint (Connection::bounce_for_server).
  virtual void send_packet_bounced(const ngtcp2_path &path, std::span<const uint8_t> packet) = 0;
  // Sends `packet` again `copies` times, `interval_ns` apart, even after the
  // connection is gone (a close that must survive a lossy path).
  virtual void send_copies_later(const ngtcp2_path &path, std::span<const uint8_t> packet,
                                 size_t copies, uint64_t interval_ns) = 0;
  virtual bool register_cid(const ngtcp2_cid &cid, class Connection *connection) = 0;
  virtual void unregister_cid(const ngtcp2_cid &cid) = 0;
  virtual void wake() = 0;  // any thread: a connection has work to send
  virtual const EndpointConfig &config() const = 0;
  virtual TlsContext &tls() = 0;
  virtual std::span<const uint8_t> reset_secret() const = 0;

 protected:
  virtual ~ConnectionHost() = default;
};

class Connection {
 public:
  enum class State { kConnecting, kEstablished, kClosed };

  ~Connection();
  Connection(const Connection &) = delete;
  Connection &operator=(const Connection &) = delete;

  // Queues one datagram. False (and counted) if the connection is closed or
  // the datagram is larger than max_datagram_payload() allows.
  bool send_datagram(std::span<const uint8_t> datagram);
  // As send_datagram(), but ahead of the datagrams already queued.
  bool send_datagram_first(std::span<const uint8_t> datagram);
  // Queues datagrams that leave together (a frame and its repair) with one
  // wake of the I/O thread; returns how many were queued, the others
  // counted as for send_datagram().
  size_t send_datagrams(std::span<const std::span<const uint8_t>> datagrams);
  // Queues one signaling message (at most kMaxMessageSize bytes).
  bool send_message(std::span<const uint8_t> message);
  // Closes with an application error code (0 = normal) and a reason phrase,
  // once the messages queued before it have been acknowledged (at most 2 s
  // later); no message is accepted after it.
  void close(uint64_t error_code = 0, const std::string &reason = "");

  // Datagrams waiting in the send queue: lets a producer apply backpressure.
  size_t queued_datagrams() const;
  State state() const;
  // Why the connection closed; empty while open or after a clean close.
  std::string error() const;
  bool wait_established(std::chrono::milliseconds timeout) const;
  bool wait_closed(std::chrono::milliseconds timeout) const;
  ConnectionStats stats() const;
  bool is_server() const { return server_; }
  // The peer has sent a stream byte or a datagram. Read on the I/O thread
  // (in a handler).
  bool active() const { return active_; }
  // The peer's address as this side sees it, "ip:port" or "[ip6]:port":
  // what a server reflects back for NAT traversal.
  const std::string &remote_address() const { return remote_address_; }

 private:
  friend class Endpoint;
  friend struct NgCallbacks;

  Connection(ConnectionHost &host, bool server, ConnectionHandlers handlers);
  // send_datagrams(), ahead of the queue when `first`.
  size_t queue_datagrams(std::span<const std::span<const uint8_t>> datagrams, bool first);
  bool init_client(const ngtcp2_path &path, std::string &error);
  // `retry_odcid`: the client's first destination id, from the Retry token
  // its Initial carried (nullptr when it carried none).
  bool init_server(const ngtcp2_path &path, const ngtcp2_pkt_hd &initial,
                   const ngtcp2_cid *retry_odcid, std::string &error);
  bool init_common(std::string &error);
  void fill_settings(ngtcp2_settings &settings, ngtcp2_transport_params &params) const;

  // I/O thread.
  void read_packet(const ngtcp2_path &path, std::span<const uint8_t> packet, uint64_t ts);
  void write(uint64_t ts);
  void handle_expiry(uint64_t ts);
  uint64_t expiry() const;
  bool finished() const { return finished_; }
  void shutdown(const std::string &reason, uint64_t ts);
  void fail(int liberr, uint64_t ts);
  void finish(const std::string &error);
  void unregister_all();
  void send_close(const ngtcp2_connection_close_error &ccerr, uint64_t ts, size_t copies_later);
  void publish_stats();
  size_t max_datagram_payload() const;
  bool write_pending_stream(uint8_t *buffer, size_t size, uint64_t ts, ngtcp2_path_storage &ps,
                            ngtcp2_pkt_info &pi, ngtcp2_ssize &written, bool &blocked);
  ngtcp2_ssize write_pto_anchor(uint8_t *buffer, size_t size, uint64_t ts, ngtcp2_path_storage &ps,
                                ngtcp2_pkt_info &pi);
  // Takes over `attempt`'s completed handshake (a raced dial's winner) and
  // hands it this connection's unfinished one, to be closed.
  void take_handshake(Connection &attempt);
  void on_handshake_completed();
  void on_handshake_confirmed();
  void note_active();
  void establish_if_ready(uint64_t ts);
  // A connection whose media its congestion state starves starts a new one
  // (EndpointConfig::restart_when_starved): a client by migrating, a server
  // by asking its client to bounce.
  void restart_if_starved(uint64_t ts);
  // A client asked by its server: the next packets leave from another port.
  void bounce_for_server(uint64_t ts);
  bool write_restart_request(uint8_t *buffer, size_t size, uint64_t ts, ngtcp2_path_storage &ps,
                             ngtcp2_pkt_info &pi, ngtcp2_ssize &written);
  // Sends a packet, keeping a copy to echo while the handshake lasts (not
  // one carrying a datagram) or, once it is done, if it carries new
  // signaling bytes.
  void send(const ngtcp2_path &path, std::span<const uint8_t> packet, bool has_datagram,
            bool has_signaling, uint64_t ts);
  void send_due_echoes(uint64_t ts);
  // Signaling is sent but not yet acknowledged.
  bool signaling_unacknowledged() const;
  // Stream bytes before `end` await their acknowledgement.
  bool unacknowledged(uint64_t end) const;
  // Probes are due while this holds (EndpointConfig::signaling_probe_interval).
  bool awaiting_acknowledgement() const;
  uint64_t bytes_in_flight() const;
  bool resends_signaling(uint64_t in_flight_before, size_t packet_size) const;
  void send_signaling_probe(uint64_t ts);
  uint64_t unconfirmed_dial_deadline() const;
  // The certificate fingerprint a dialed peer must have (pin_ or the endpoint's).
  const std::string &pin() const;
  // Whether a dial can still take over a raced attempt's handshake: not
  // once it is confirmed or finished, nor once it completed and sent
  // messages of ours on its stream, which a swap would lose (the server
  // may hold them already).
  bool still_racing() const {
    return !finished_ && !confirmed_ && !(handshake_done_ && stream_written_ > 0);
  }
  void on_stream_data(int64_t stream_id, std::span<const uint8_t> data);
  void on_stream_acked(uint64_t offset, uint64_t length);
  std::string describe_peer_close();

  ConnectionHost &host_;
  const bool server_;
  std::string pin_;  // a dial's own certificate pin, else the endpoint's (Endpoint::dial)
  std::string remote_address_;  // set before the connection is shared
  ConnectionHandlers handlers_;
  ngtcp2_conn *conn_ = nullptr;
  gnutls_session_t session_ = nullptr;
  ngtcp2_crypto_conn_ref conn_ref_{};
  // What ngtcp2's and GnuTLS's callbacks reach: which Connection holds the
  // ngtcp2_conn, which changes when a raced handshake is taken over.
  std::unique_ptr<Connection *> callback_target_;
  std::vector<ngtcp2_cid> cids_;
  bool finished_ = false;
  bool handshake_done_ = false;
  bool established_ = false;  // I/O thread's view of state_ == kEstablished
  bool confirmed_ = false;    // RFC 9001, 4.1.2
  bool active_ = false;       // the peer sent a stream byte or a datagram
  std::string local_error_;   // set by a callback that fails the connection
  uint64_t next_datagram_id_ = 0;
  uint64_t close_flush_deadline_ = 0;  // set when a requested close starts flushing
  ConnectionStats io_stats_;
  std::vector<uint8_t> packet_buffer_;
  // A dial's handshake race: where it dials, when, how many attempts so far;
  // an extra attempt knows the connection it races for.
  sockaddr_storage remote_{};
  socklen_t remote_len_ = 0;
  uint64_t dialed_ns_ = 0;
  uint64_t completed_ns_ = 0;  // when the handshake held completed
  size_t handshake_attempts_ = 1;
  // Handshake echoes (EndpointConfig::handshake_echo_copies) and echoes of
  // packets with new signaling bytes (signaling_echo_copies).
  EchoSchedule handshake_echoes_;
  // A key message or a join is a packet or two; more at once is a bulk
  // transfer, which ngtcp2's own retransmission serves.
  EchoSchedule signaling_echoes_{4};
  TailProbe signaling_probe_;
  uint64_t echo_until_ns_ = UINT64_MAX;  // echoing stops then (set once established)
  uint64_t bytes_received_ = 0;          // bound what a server echoes (amplification)
  uint64_t bytes_sent_ = 0;
  bool race_attempt_ = false;
  std::weak_ptr<Connection> race_owner_;
  StarvationWatch starvation_;
  bool restart_request_pending_ = false;  // a server's, until written
  size_t bounce_packets_left_ = 0;        // a client's, sent from the bounce socket
  uint64_t last_bounce_ns_ = 0;
  bool rtt_sampled_ = false;  // ngtcp2 clears its RTT only when it restarts congestion

  // Our signaling stream, kept until acknowledged. ngtcp2 keeps pointers into
  // the bytes it sent (to retransmit them), so each chunk stays where it is
  // until all of it is acked: never a vector that grows or shifts.
  int64_t send_stream_ = -1;
  std::deque<std::vector<uint8_t>> stream_chunks_;
  uint64_t stream_front_ = 0;  // stream offset of stream_chunks_.front()'s first byte
  uint64_t stream_end_ = 0;    // stream offset just past the last chunk
  uint64_t stream_acked_ = 0;
  uint64_t stream_written_ = 0;
  uint64_t stream_padding_ = 0;  // the padding's bytes at the stream's start (write_pto_anchor)
  std::map<int64_t, MessageReader> readers_;

  // Shared with other threads.
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  State state_ = State::kConnecting;
  std::string error_;
  DatagramQueue queue_;
  std::vector<uint8_t> pending_messages_;
  bool close_requested_ = false;
  uint64_t close_code_ = 0;
  std::string close_reason_;
  ConnectionStats stats_;
  uint64_t rejected_datagrams_ = 0;
};

}  // namespace wzp::quic
