#include "libwzp/quic/link.hpp"

#include <algorithm>
#include <array>
#include <thread>
#include <utility>

#include "libwzp/wire/header.hpp"
#include "libwzp/wire/keyframe_request.hpp"

namespace wzp::quic {
namespace {

bool queue(Connection &connection, std::span<const uint8_t> datagram, bool first) {
  return first ? connection.send_datagram_first(datagram) : connection.send_datagram(datagram);
}

constexpr size_t kReceiveRing = 512;

}  // namespace

bool LinkConfig::operator==(const LinkConfig &other) const {
  return server == other.server && address == other.address && port == other.port &&
         bind_address == other.bind_address && bind_port == other.bind_port &&
         tls.alpn == other.tls.alpn && tls.certificate_file == other.tls.certificate_file &&
         tls.private_key_file == other.tls.private_key_file &&
         tls.server_fingerprint == other.tls.server_fingerprint &&
         tls.ca_file == other.tls.ca_file && tls.server_name == other.tls.server_name &&
         max_queue_time == other.max_queue_time && idle_timeout == other.idle_timeout &&
         keep_alive == other.keep_alive && congestion_control == other.congestion_control &&
         path_mtu_discovery == other.path_mtu_discovery;
}

Link::Link(const LinkConfig &config) : config_(config), ring_(kReceiveRing) {
  for (auto &slot : ring_) slot.reserve(wire::kMaxPacketSize);
}

std::shared_ptr<Link> Link::create(const LinkConfig &config, std::string &error) {
  std::shared_ptr<Link> link(new Link(config));
  EndpointConfig endpoint;
  endpoint.bind_address = config.bind_address;
  endpoint.bind_port = config.bind_port;
  endpoint.accept_connections = config.server;
  endpoint.tls = config.tls;
  endpoint.max_queue_time = config.max_queue_time;
  endpoint.idle_timeout = config.idle_timeout;
  endpoint.handshake_timeout = std::min(config.idle_timeout, std::chrono::milliseconds(10000));
  endpoint.keep_alive = config.keep_alive;
  endpoint.congestion_control = config.congestion_control;
  endpoint.path_mtu_discovery = config.path_mtu_discovery;
  Link *raw = link.get();
  link->endpoint_ = Endpoint::create(
      endpoint,
      [raw](const std::shared_ptr<Connection> &connection) {
        return raw->handlers(raw->next_generation(), connection);
      },
      error);
  if (!link->endpoint_) return nullptr;
  if (!config.server) {
    // The handshake may fail before dial() returns, so the generation is
    // current before the connection exists.
    uint64_t generation = link->next_generation();
    {
      std::lock_guard lock(link->mutex_);
      link->current_generation_ = generation;
    }
    auto connection = link->endpoint_->dial(config.address, config.port,
                                            link->handlers(generation, nullptr), error);
    if (!connection) return nullptr;
    std::lock_guard lock(link->mutex_);
    link->connection_ = connection;
  }
  return link;
}

std::shared_ptr<Link> Link::over(std::shared_ptr<Connection> connection) {
  std::shared_ptr<Link> link(new Link(LinkConfig{}));
  std::lock_guard lock(link->mutex_);
  link->current_generation_ = link->generations_ = 1;
  link->connection_ = std::move(connection);
  return link;
}

std::shared_ptr<Link> Link::over_path(std::shared_ptr<DatagramPath> path) {
  std::shared_ptr<Link> link(new Link(LinkConfig{}));
  std::lock_guard lock(link->mutex_);
  link->current_generation_ = link->generations_ = 1;
  link->path_ = std::move(path);
  return link;
}

void Link::rebind(std::shared_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  connection_ = std::move(connection);
  path_.reset();
  ended_ = false;
  error_.clear();
}

void Link::rebind(std::shared_ptr<DatagramPath> path) {
  std::lock_guard lock(mutex_);
  connection_.reset();
  path_ = std::move(path);
  ended_ = false;
  error_.clear();
}

const std::string &Link::fingerprint() const {
  static const std::string kNone;
  return endpoint_ ? endpoint_->fingerprint() : kNone;
}

void Link::deliver(std::span<const uint8_t> datagram) {
  std::lock_guard lock(mutex_);
  if (auto request = wire::parse_keyframe_request(datagram)) {
    // For the sink's encoder, not the source: kept until the sink looks.
    keyframe_request_ = request;
    ++keyframe_requests_received_;
    return;
  }
  if (auto message = wire::parse_key_datagram(datagram)) {
    if (!key_datagrams_accepted_) {
      ++key_datagrams_ignored_;
      return;
    }
    if (key_datagrams_.size() == kMaxKeyDatagrams) {
      key_datagrams_.erase(key_datagrams_.begin());
      ++dropped_received_;
    }
    key_datagrams_.emplace_back(message->begin(), message->end());
    return;
  }
  if (ring_count_ == ring_.size()) {  // the source is not keeping up: drop the oldest
    ring_head_ = (ring_head_ + 1) % ring_.size();
    --ring_count_;
    ++dropped_received_;
  }
  auto &slot = ring_[(ring_head_ + ring_count_) % ring_.size()];
  slot.assign(datagram.begin(), datagram.end());
  ++ring_count_;
  received_.notify_one();
}

void Link::closed(const std::string &error) { end(1, error); }

void Link::end(uint64_t generation, const std::string &error) {
  std::pair<std::shared_ptr<Connection>, uint64_t> next;
  {
    std::lock_guard lock(mutex_);
    if (generation != current_generation_) return;  // replaced, or never adopted
    // A racing client closes the attempts it did not keep, once its dial is
    // confirmed, which the server's completing the kept one precedes. The
    // one adopted first may be such an attempt, gone before it carried
    // anything: the call goes on with the kept one (a 70 % loss call ended
    // 1 s in, "the peer closed the connection", before this).
    if (connection_ && !connection_->active()) next = take_standby();
    if (!next.first) {
      ended_ = true;
      error_ = error;
      received_.notify_all();
      return;
    }
  }
  adopt(next.first, next.second);
}

std::pair<std::shared_ptr<Connection>, uint64_t> Link::take_standby() {
  while (!standby_.empty()) {
    auto [weak, generation] = standby_.back();
    standby_.pop_back();
    auto connection = weak.lock();
    if (connection && connection != connection_ &&
        connection->state() == Connection::State::kEstablished) {
      return {connection, generation};
    }
  }
  return {};
}

Link::~Link() {
  // Stop the I/O thread before the handlers' target goes away.
  endpoint_.reset();
}

uint64_t Link::next_generation() {
  std::lock_guard lock(mutex_);
  return ++generations_;
}

// A server call follows its newest active peer: a client that
// reconnects (say after a network change) replaces the connection it had,
// while a handshake that fails never touches the call.
void Link::adopt(const std::shared_ptr<Connection> &connection, uint64_t generation) {
  std::shared_ptr<Connection> previous;
  {
    std::lock_guard lock(mutex_);
    previous = std::exchange(connection_, connection);
    current_generation_ = generation;
    ended_ = false;
    error_.clear();
  }
  if (previous && previous != connection) previous->close(0, "replaced by a new connection");
}

void Link::adopt_if_none(const std::shared_ptr<Connection> &connection, uint64_t generation) {
  {
    std::lock_guard lock(mutex_);
    if (connection_ && connection_->state() != Connection::State::kClosed) {
      // Bounded: a client races at most a few attempts per dial.
      constexpr size_t kMaxStandby = 8;
      if (standby_.size() == kMaxStandby) standby_.erase(standby_.begin());
      standby_.emplace_back(connection, generation);
      return;
    }
  }
  adopt(connection, generation);
}

ConnectionHandlers Link::handlers(uint64_t generation,
                                  const std::shared_ptr<Connection> &accepted) {
  ConnectionHandlers handlers;
  if (accepted) {
    std::weak_ptr<Connection> weak = accepted;
    // A server completes handshakes a racing client then drops: one that
    // is established only serves while the call has no peer (a client that
    // sends nothing, say a receiving wzpquicsrc); the first datagram or
    // message shows the connection the client kept, which then replaces it.
    handlers.on_established = [this, weak, generation] {
      if (auto connection = weak.lock()) adopt_if_none(connection, generation);
    };
    handlers.on_active = [this, weak, generation] {
      if (auto connection = weak.lock()) adopt(connection, generation);
    };
  }
  handlers.on_datagram = [this](std::span<const uint8_t> datagram) { deliver(datagram); };
  handlers.on_closed = [this, generation](const std::string &error) { end(generation, error); };
  return handlers;
}

bool Link::established() const {
  std::lock_guard lock(mutex_);
  if (path_) return path_->open();
  return connection_ && connection_->state() == Connection::State::kEstablished;
}

void Link::set_second(std::shared_ptr<Connection> second, bool only) {
  std::lock_guard lock(mutex_);
  second_ = std::move(second);
  second_only_ = second_ && only;
}

bool Link::send(std::span<const uint8_t> datagram) { return send_one(datagram, false); }

bool Link::send_one(std::span<const uint8_t> datagram, bool first) {
  std::shared_ptr<Connection> connection, second;
  std::shared_ptr<DatagramPath> path;
  bool only = false;
  {
    std::lock_guard lock(mutex_);
    connection = connection_;
    path = path_;
    second = second_;
    only = second_only_;
  }
  if (path) {
    if (path->send_datagram(datagram)) return true;
    std::lock_guard lock(mutex_);
    ++dropped_unsent_;
    return false;
  }
  if (second && second->state() == Connection::State::kEstablished) {
    bool sent = queue(*second, datagram, first);
    if (only && sent) return true;
    if (connection && queue(*connection, datagram, first)) return true;
    if (sent) return true;
    std::lock_guard lock(mutex_);
    ++dropped_unsent_;
    return false;
  }
  if (connection && queue(*connection, datagram, first)) return true;
  std::lock_guard lock(mutex_);
  ++dropped_unsent_;
  return false;
}

size_t Link::send(std::span<const std::span<const uint8_t>> datagrams) {
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard lock(mutex_);
    if (!path_ && !second_) connection = connection_;
  }
  if (!connection) {  // no connection yet, or routes chosen per datagram
    size_t sent = 0;
    for (auto datagram : datagrams) sent += send(datagram) ? 1 : 0;
    return sent;
  }
  const size_t sent = connection->send_datagrams(datagrams);
  if (sent < datagrams.size()) {
    std::lock_guard lock(mutex_);
    dropped_unsent_ += datagrams.size() - sent;
  }
  return sent;
}

void Link::drain(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::shared_ptr<Connection> connection;
    std::shared_ptr<DatagramPath> path;
    {
      std::lock_guard lock(mutex_);
      connection = connection_;
      path = path_;
    }
    if (path) {
      auto stats = path->stats();
      if (!path->open() || stats.datagrams_sent + stats.datagrams_dropped_stale +
                                   stats.datagrams_dropped_full +
                                   stats.datagrams_dropped_oversized >=
                               stats.datagrams_queued) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (!connection || connection->state() == Connection::State::kClosed) return;
    auto stats = connection->stats();
    uint64_t settled = stats.datagrams_sent + stats.datagrams_dropped_stale +
                       stats.datagrams_dropped_full + stats.datagrams_dropped_oversized;
    // A borrowed connection outlives the pipeline and keeps carrying other
    // traffic, so only our datagrams count there.
    if (connection->state() == Connection::State::kEstablished &&
        settled >= stats.datagrams_queued && (borrowed() || stats.path.bytes_in_flight == 0)) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Link::Receive Link::receive(std::span<uint8_t> out, size_t &size,
                            std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  received_.wait_for(lock, timeout, [this] { return flushing_ || ring_count_ > 0 || ended_; });
  if (flushing_) return Receive::kFlushing;
  if (ring_count_ > 0) {
    const auto &slot = ring_[ring_head_];
    size = std::min(slot.size(), out.size());
    std::copy_n(slot.begin(), size, out.begin());
    ring_head_ = (ring_head_ + 1) % ring_.size();
    --ring_count_;
    return Receive::kData;
  }
  if (ended_) return error_.empty() ? Receive::kEnded : Receive::kFailed;
  return Receive::kTimeout;
}

void Link::set_flushing(bool flushing) {
  std::lock_guard lock(mutex_);
  flushing_ = flushing;
  received_.notify_all();
}

std::string Link::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

ConnectionStats Link::connection_stats() const {
  std::shared_ptr<Connection> connection;
  std::shared_ptr<DatagramPath> path;
  {
    std::lock_guard lock(mutex_);
    connection = connection_;
    path = path_;
  }
  if (path) return path->stats();
  return connection ? connection->stats() : ConnectionStats{};
}

uint64_t Link::dropped_unsent() const {
  std::lock_guard lock(mutex_);
  return dropped_unsent_;
}

uint64_t Link::dropped_received() const {
  std::lock_guard lock(mutex_);
  return dropped_received_;
}

std::optional<wire::KeyframeRequest> Link::take_keyframe_request() {
  std::lock_guard lock(mutex_);
  return std::exchange(keyframe_request_, std::nullopt);
}

uint64_t Link::keyframe_requests_received() const {
  std::lock_guard lock(mutex_);
  return keyframe_requests_received_;
}

bool Link::send_keyframe_request(const wire::KeyframeRequest &request) {
  std::array<uint8_t, wire::kKeyframeRequestSize> bytes{};
  wire::write_keyframe_request(request, bytes);
  bool sent = false;
  // Ahead of the media queued for the congestion window: at heavy loss that
  // queue holds up to max_queue_time of video, and a request behind it came
  // late or went stale with it.
  for (int i = 0; i < wire::kKeyframeRequestCopies; ++i) sent = send_one(bytes, true) || sent;
  if (sent) {
    std::lock_guard lock(mutex_);
    ++keyframe_requests_sent_;
  }
  return sent;
}

void Link::accept_key_datagrams() {
  std::lock_guard lock(mutex_);
  key_datagrams_accepted_ = true;
}

uint64_t Link::key_datagrams_ignored() const {
  std::lock_guard lock(mutex_);
  return key_datagrams_ignored_;
}

std::vector<std::vector<uint8_t>> Link::take_key_datagrams() {
  std::lock_guard lock(mutex_);
  return std::exchange(key_datagrams_, {});
}

bool Link::send_key_datagram(std::span<const uint8_t> message) {
  std::array<uint8_t, wire::kKeyDatagramSize> bytes{};
  if (wire::write_key_datagram(message, bytes) == 0) return false;
  // Ahead of the queued media, like a keyframe request: the key is what
  // lets the recipient open that media at all.
  return send_one(bytes, true);
}

uint64_t Link::keyframe_requests_sent() const {
  std::lock_guard lock(mutex_);
  return keyframe_requests_sent_;
}

}  // namespace wzp::quic
