// The transport of one call as the GStreamer elements see it: an Endpoint
// and the single connection of the call, plus a bounded queue of received
// datagrams for the source element. A sink and a source share one Link
// (the elements hand a shared_ptr to it around in a GstContext), so a call
// is one QUIC connection both ways. A Link may also ride a connection that
// someone else owns (the client's connection to wzp-signald, whose relay
// room forwards the media): see over().
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "libwzp/quic/endpoint.hpp"
#include "libwzp/wire/key_datagram.hpp"
#include "libwzp/wire/keyframe_request.hpp"

namespace wzp::quic {

// A path a borrowed link (over_path) sends on that is not a QUIC connection: the
// client's TLS fallback to wzp-signald (libwzp/stream, docs/fallback.md).
// Its owner hands the received datagrams to Link::deliver() as for over().
class DatagramPath {
 public:
  virtual ~DatagramPath() = default;
  // Queues one datagram; false (and counted in the path's stats) when it
  // cannot go.
  virtual bool send_datagram(std::span<const uint8_t> datagram) = 0;
  virtual bool open() const = 0;
  // The fields a QUIC connection's stats share with a stream: datagrams
  // queued, sent, received and dropped unsent, and the path's RTT.
  virtual ConnectionStats stats() const = 0;
};

struct LinkConfig {
  bool server = false;
  std::string address = "127.0.0.1";  // the peer, for the client role
  uint16_t port = 4433;
  std::string bind_address = "0.0.0.0";
  uint16_t bind_port = 0;
  TlsConfig tls;
  std::chrono::milliseconds max_queue_time{200};
  std::chrono::milliseconds idle_timeout{10000};
  std::chrono::milliseconds keep_alive{1000};
  CongestionControl congestion_control = CongestionControl::kBbr2;
  // Off: media datagrams fit 1200 bytes (EndpointConfig::path_mtu_discovery).
  bool path_mtu_discovery = false;

  bool operator==(const LinkConfig &other) const;
};

class Link {
 public:
  enum class Receive { kData, kTimeout, kFlushing, kEnded, kFailed };

  // Binds, and for the client role starts the handshake; nullptr + error.
  static std::shared_ptr<Link> create(const LinkConfig &config, std::string &error);
  // A link over a connection its owner keeps: no endpoint of its own, sends
  // go to `connection`, and the owner hands over each received datagram
  // with deliver() and the end of the connection with closed() (from the
  // connection's handlers). Dropping the link leaves the connection open.
  static std::shared_ptr<Link> over(std::shared_ptr<Connection> connection);
  // The same over a path that is not QUIC (set_second() does not apply).
  static std::shared_ptr<Link> over_path(std::shared_ptr<DatagramPath> path);
  // Moves a link made by over() or over_path() onto another connection or
  // path of its owner, which again hands over what it receives: a client
  // that redialed another node of the service keeps its pipelines. The
  // link is open again if closed() had ended it.
  void rebind(std::shared_ptr<Connection> connection);
  void rebind(std::shared_ptr<DatagramPath> path);
  ~Link();

  const LinkConfig &config() const { return config_; }
  // True for a link made by over(): its config() says nothing about it.
  bool borrowed() const { return endpoint_ == nullptr; }
  uint16_t local_port() const { return endpoint_ ? endpoint_->local_port() : 0; }
  const std::string &fingerprint() const;

  // For over(): a datagram the connection received, and its end ("" when
  // clean). Safe from the connection's I/O thread.
  void deliver(std::span<const uint8_t> datagram);
  void closed(const std::string &error);

  // A second connection to the same peer beside the borrowed one (a direct
  // path beside the relay, docs/nat.md): send() puts each datagram on both,
  // or on `second` alone when `only`, falling back to the first connection
  // while `second` is not established. Its datagrams come in through
  // deliver() like the first's. nullptr: back to the first alone.
  void set_second(std::shared_ptr<Connection> second, bool only);

  // Queues one datagram on the call's connection. False when there is no
  // connection yet (server waiting for its peer), it has ended, or the
  // datagram is too large; every false is counted in dropped_unsent().
  bool send(std::span<const uint8_t> datagram);
  // The same for datagrams that leave together (a frame and its repair):
  // the I/O thread is woken once for them. Returns how many were queued.
  size_t send(std::span<const std::span<const uint8_t>> datagrams);
  // Waits (up to `timeout`) until the handshake has ended one way or the
  // other and every queued datagram has left or been dropped (and, on a
  // connection of our own, been acknowledged); for EOS.
  void drain(std::chrono::milliseconds timeout);
  // Waits up to `timeout` for a received datagram and copies it into `out`
  // (at least wire::kMaxPacketSize bytes), setting `size`.
  Receive receive(std::span<uint8_t> out, size_t &size, std::chrono::milliseconds timeout);
  void set_flushing(bool flushing);

  // True once the call's connection has finished its handshake.
  bool established() const;
  // Why the call's connection failed ("" while healthy or after a clean end).
  std::string error() const;
  ConnectionStats connection_stats() const;
  EndpointStats endpoint_stats() const { return endpoint_ ? endpoint_->stats() : EndpointStats{}; }
  uint64_t dropped_unsent() const;
  uint64_t dropped_received() const;

  // Keyframe requests from the peer (wire/keyframe_request.hpp) are not
  // media: deliver() keeps the latest one here instead of the receive queue,
  // for the sink whose encoder answers it. nullopt when none came since the
  // last call.
  std::optional<wire::KeyframeRequest> take_keyframe_request();
  uint64_t keyframe_requests_received() const;  // copies included
  // Sends `request` kKeyframeRequestCopies times (a lost request costs a
  // frozen picture until the decoder asks again), ahead of the media already
  // queued for the congestion window. False if none was queued.
  bool send_keyframe_request(const wire::KeyframeRequest &request);
  uint64_t keyframe_requests_sent() const;  // requests, not copies

  // Room key datagrams (wire/key_datagram.hpp) are not media either: once
  // a room member accepts them, deliver() queues their messages (at most
  // kMaxKeyDatagrams, the oldest dropped and counted in dropped_received())
  // for it to take them all here. A link nobody accepts them on (a call's)
  // drops them, counted in key_datagrams_ignored().
  static constexpr size_t kMaxKeyDatagrams = 64;
  void accept_key_datagrams();
  std::vector<std::vector<uint8_t>> take_key_datagrams();
  uint64_t key_datagrams_ignored() const;
  // Sends a key message as a key datagram, ahead of the queued media as a
  // keyframe request goes. False if it was not queued.
  bool send_key_datagram(std::span<const uint8_t> message);

 private:
  explicit Link(const LinkConfig &config);
  // send(), ahead of the datagrams a connection has queued when `first`.
  bool send_one(std::span<const uint8_t> datagram, bool first);
  // `accepted`: a server-side connection, adopted once established.
  ConnectionHandlers handlers(uint64_t generation, const std::shared_ptr<Connection> &accepted);
  uint64_t next_generation();
  void adopt(const std::shared_ptr<Connection> &connection, uint64_t generation);
  // Adopts `connection` only while the call has no open one.
  void adopt_if_none(const std::shared_ptr<Connection> &connection, uint64_t generation);
  void end(uint64_t generation, const std::string &error);
  // An established connection kept while another serves, newest first: a
  // racing client may yet close the one adopted and keep this one.
  std::pair<std::shared_ptr<Connection>, uint64_t> take_standby();

  const LinkConfig config_;
  std::unique_ptr<Endpoint> endpoint_;

  mutable std::mutex mutex_;
  std::condition_variable received_;
  std::shared_ptr<Connection> connection_;
  std::shared_ptr<DatagramPath> path_;  // over(DatagramPath), instead of connection_
  std::shared_ptr<Connection> second_;  // set_second()
  std::vector<std::pair<std::weak_ptr<Connection>, uint64_t>> standby_;  // adopt_if_none
  bool second_only_ = false;
  uint64_t generations_ = 0;                // handed out, one per connection
  uint64_t current_generation_ = 0;         // connection_'s: the only one that reports
  std::vector<std::vector<uint8_t>> ring_;  // received datagrams, preallocated
  size_t ring_head_ = 0;
  size_t ring_count_ = 0;
  bool flushing_ = false;
  bool ended_ = false;
  std::string error_;
  uint64_t dropped_unsent_ = 0;
  uint64_t dropped_received_ = 0;
  std::optional<wire::KeyframeRequest> keyframe_request_;
  uint64_t keyframe_requests_received_ = 0;
  uint64_t keyframe_requests_sent_ = 0;
  bool key_datagrams_accepted_ = false;
  std::vector<std::vector<uint8_t>> key_datagrams_;
  uint64_t key_datagrams_ignored_ = 0;
};

}  // namespace wzp::quic
