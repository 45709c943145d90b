#include "libwzp/quic/endpoint.hpp"

#include <gnutls/crypto.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "libwzp/quic/clock.hpp"

namespace wzp::quic {
namespace {

constexpr size_t kMaxReceiveBatch = 256;
// Datagrams one recvmmsg call takes, and the room for each.
constexpr size_t kReceiveSlots = 32;
constexpr size_t kReceiveSlotBytes = 65536;
constexpr int kSocketBufferBytes = 4 << 20;

// The endpoint whose I/O thread this is, if any (Endpoint::wake).
thread_local const void *running_endpoint = nullptr;

CidKey cid_key(const uint8_t *data, size_t size) {
  CidKey key;
  key.size = static_cast<uint8_t>(std::min(size, key.bytes.size()));
  std::copy_n(data, key.size, key.bytes.begin());
  return key;
}

bool resolve(const std::string &host, uint16_t port, sockaddr_storage &out, socklen_t &out_len,
             std::string &error, bool numeric = false) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  if (numeric) hints.ai_flags = AI_NUMERICHOST;  // never a DNS query
  addrinfo *result = nullptr;
  int rv = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &result);
  if (rv != 0 || result == nullptr) {
    error = "cannot resolve " + host + ": " + gai_strerror(rv);
    return false;
  }
  std::memcpy(&out, result->ai_addr, result->ai_addrlen);
  out_len = result->ai_addrlen;
  freeaddrinfo(result);
  return true;
}

// IPv4 addresses as IPv4-mapped IPv6, so one dual-stack socket reaches both.
void to_ipv6(sockaddr_storage &addr, socklen_t &len) {
  if (addr.ss_family != AF_INET) return;
  sockaddr_in v4;
  std::memcpy(&v4, &addr, sizeof v4);
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = v4.sin_port;
  v6.sin6_addr.s6_addr[10] = v6.sin6_addr.s6_addr[11] = 0xff;
  std::memcpy(&v6.sin6_addr.s6_addr[12], &v4.sin_addr, 4);
  std::memcpy(&addr, &v6, sizeof v6);
  len = sizeof v6;
}

// The part of an address one host controls: an IPv4 address (also when
// mapped into IPv6), else an IPv6 /64.
std::span<const uint8_t> source_of(const sockaddr *addr) {
  if (addr->sa_family == AF_INET) {
    return {
        reinterpret_cast<const uint8_t *>(&reinterpret_cast<const sockaddr_in *>(addr)->sin_addr),
        4};
  }
  const auto *v6 = reinterpret_cast<const sockaddr_in6 *>(addr)->sin6_addr.s6_addr;
  if (IN6_IS_ADDR_V4MAPPED(reinterpret_cast<const in6_addr *>(v6))) return {v6 + 12, 4};
  return {v6, 8};
}

}  // namespace

size_t CidKeyHash::operator()(const CidKey &key) const {
  uint64_t hash = 1469598103934665603ull;  // FNV-1a
  for (size_t i = 0; i < key.size; ++i) hash = (hash ^ key.bytes[i]) * 1099511628211ull;
  return static_cast<size_t>(hash);
}

Endpoint::Endpoint(const EndpointConfig &config, AcceptHandler on_accept)
    : config_(config),
      on_accept_(std::move(on_accept)),
      reset_secret_(32),
      token_secret_(32),
      receive_buffer_(new uint8_t[kReceiveSlots * kReceiveSlotBytes]) {}

std::unique_ptr<Endpoint> Endpoint::create(const EndpointConfig &config, AcceptHandler on_accept,
                                           std::string &error) {
  std::unique_ptr<Endpoint> endpoint(new Endpoint(config, std::move(on_accept)));
  endpoint->tls_ = TlsContext::create(config.tls, config.accept_connections, error);
  if (!endpoint->tls_ || !endpoint->open_socket(error)) return nullptr;
  gnutls_rnd(GNUTLS_RND_KEY, endpoint->reset_secret_.data(), endpoint->reset_secret_.size());
  gnutls_rnd(GNUTLS_RND_KEY, endpoint->token_secret_.data(), endpoint->token_secret_.size());
  endpoint->thread_ = std::thread([raw = endpoint.get()] { raw->run(); });
  return endpoint;
}

bool Endpoint::open_socket(std::string &error) {
  sockaddr_storage bind_addr{};
  socklen_t bind_len = 0;
  if (!resolve(config_.bind_address, config_.bind_port, bind_addr, bind_len, error)) return false;
  socket_ = socket(bind_addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (socket_ < 0 || wake_fd_ < 0) {
    error = std::string("cannot create socket: ") + std::strerror(errno);
    return false;
  }
  int size = kSocketBufferBytes;
  setsockopt(socket_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(socket_, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  // Don't fragment: ngtcp2's path MTU discovery needs oversized probes to fail.
  if (bind_addr.ss_family == AF_INET6) {
    int off = 0, pmtud = IPV6_PMTUDISC_DO;
    setsockopt(socket_, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    setsockopt(socket_, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtud, sizeof pmtud);
  } else {
    int pmtud = IP_PMTUDISC_DO;
    setsockopt(socket_, IPPROTO_IP, IP_MTU_DISCOVER, &pmtud, sizeof pmtud);
  }
  if (bind(socket_, reinterpret_cast<sockaddr *>(&bind_addr), bind_len) != 0) {
    error = "cannot bind " + config_.bind_address + ":" + std::to_string(config_.bind_port) + ": " +
            std::strerror(errno);
    return false;
  }
  // UDP GSO where the kernel has it (Linux 4.18): getsockopt knows the
  // option exactly where sendmsg honours it.
  int segment = 0;
  socklen_t segment_len = sizeof segment;
  send_batch_ = SendBatch(getsockopt(socket_, SOL_UDP, UDP_SEGMENT, &segment, &segment_len) == 0);
  // A GSO message from a peer on this host arrives whole, not cut up by
  // the kernel (receive_all cuts it); so may packets a NIC coalesced.
  int on = 1;
  setsockopt(socket_, SOL_UDP, UDP_GRO, &on, sizeof on);
  local_addr_len_ = sizeof local_addr_;
  getsockname(socket_, reinterpret_cast<sockaddr *>(&local_addr_), &local_addr_len_);
  local_port_ = ntohs(local_addr_.ss_family == AF_INET6
                          ? reinterpret_cast<sockaddr_in6 *>(&local_addr_)->sin6_port
                          : reinterpret_cast<sockaddr_in *>(&local_addr_)->sin_port);
  return true;
}

Endpoint::~Endpoint() {
  if (thread_.joinable()) {
    stopping_ = true;
    wake();
    thread_.join();
  }
  {
    std::lock_guard lock(loop_mutex_);
    uint64_t ts = now_ns();
    for (auto &connection : connections_) connection->shutdown("endpoint closed", ts);
    connections_.clear();
    // No thread is left to send closes later: two more copies of each now.
    for (const auto &later : later_copies_) {
      send_copy(later);
      send_copy(later);
    }
    later_copies_.clear();
    flush_batch(socket_, send_batch_);
  }
  if (socket_ >= 0) close(socket_);
  if (bounce_socket_ >= 0) close(bounce_socket_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

std::shared_ptr<Connection> Endpoint::dial(const std::string &host, uint16_t port,
                                           ConnectionHandlers handlers, std::string &error,
                                           const std::string &pin) {
  sockaddr_storage remote{};
  socklen_t remote_len = 0;
  if (!resolve(host, port, remote, remote_len, error)) return nullptr;
  if (local_addr_.ss_family == AF_INET6) to_ipv6(remote, remote_len);
  if (remote.ss_family != local_addr_.ss_family) {
    error = "cannot reach " + host + " from a socket bound to " + config_.bind_address;
    return nullptr;
  }
  std::lock_guard lock(loop_mutex_);
  if (connections_.size() >= config_.max_connections) {
    error = "too many connections";
    return nullptr;
  }
  std::shared_ptr<Connection> connection(new Connection(*this, false, std::move(handlers)));
  connection->pin_ = pin;
  ngtcp2_path path{{reinterpret_cast<sockaddr *>(&local_addr_), local_addr_len_},
                   {reinterpret_cast<sockaddr *>(&remote), remote_len},
                   nullptr};
  if (!connection->init_client(path, error)) return nullptr;
  connection->remote_ = remote;
  connection->remote_len_ = remote_len;
  connection->dialed_ns_ = now_ns();
  connections_.push_back(connection);
  connection->write(now_ns());
  flush_batch(socket_, send_batch_);
  return connection;
}

bool Endpoint::send_punch(const std::string &host, uint16_t port) {
  // Four zero bytes: no QUIC version parses from them, and too short for
  // STUN.
  static constexpr uint8_t kPunch[4] = {};
  return send_raw(host, port, kPunch);
}

bool Endpoint::send_raw(const std::string &host, uint16_t port, std::span<const uint8_t> bytes) {
  sockaddr_storage remote{};
  socklen_t remote_len = 0;
  std::string error;
  if (!resolve(host, port, remote, remote_len, error, true)) return false;
  if (local_addr_.ss_family == AF_INET6) to_ipv6(remote, remote_len);
  if (remote.ss_family != local_addr_.ss_family) return false;
  return sendto(socket_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr *>(&remote),
                remote_len) == static_cast<ssize_t>(bytes.size());
}

void Endpoint::set_stun_handler(StunHandler handler) {
  std::lock_guard lock(loop_mutex_);
  stun_handler_ = std::move(handler);
}

EndpointStats Endpoint::stats() const {
  std::lock_guard lock(loop_mutex_);
  return stats_;
}

void Endpoint::wake() {
  // A handler on the I/O thread queueing (a relay forwarding a datagram to
  // every member) needs no eventfd round trip: the loop writes again
  // before it sleeps.
  if (running_endpoint == this) {
    woken_on_loop_ = true;
    return;
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void Endpoint::send_packet(const ngtcp2_path &path, std::span<const uint8_t> packet) {
  queue_packet(path.remote.addr, path.remote.addrlen, packet);
}

void Endpoint::queue_packet(const sockaddr *to, socklen_t to_len, std::span<const uint8_t> packet) {
  if (send_batch_.add(to, to_len, packet)) return;
  flush_batch(socket_, send_batch_);
  send_batch_.add(to, to_len, packet);
}

// The packet leaves from another port of ours: the server sees the peer
// move (a NAT rebinding, to it) and then move back with our next packet,
// and ngtcp2 starts a fresh congestion state when a peer returns to the
// path it left before the new one was validated. Replies that reach the
// second socket are read like any others.
void Endpoint::send_packet_bounced(const ngtcp2_path &path, std::span<const uint8_t> packet) {
  if (!open_bounce_socket()) {
    send_packet(path, packet);
    return;
  }
  flush_batch(socket_, send_batch_);  // the packets written before it leave before it
  sendto(bounce_socket_, packet.data(), packet.size(), 0, path.remote.addr, path.remote.addrlen);
}

bool Endpoint::open_bounce_socket() {
  if (bounce_socket_ >= 0) return true;
  int fd = socket(local_addr_.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_storage bind_addr = local_addr_;
  if (bind_addr.ss_family == AF_INET6) {
    int off = 0;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    reinterpret_cast<sockaddr_in6 &>(bind_addr).sin6_port = 0;
  } else {
    reinterpret_cast<sockaddr_in &>(bind_addr).sin_port = 0;
  }
  if (bind(fd, reinterpret_cast<sockaddr *>(&bind_addr), local_addr_len_) != 0) {
    close(fd);
    return false;
  }
  bounce_socket_ = fd;  // polled from the I/O loop's next turn
  return true;
}

void Endpoint::send_copies_later(const ngtcp2_path &path, std::span<const uint8_t> packet,
                                 size_t copies, uint64_t interval_ns) {
  LaterCopies later{{packet.begin(), packet.end()}, {},          path.remote.addrlen,
                    now_ns() + interval_ns,         interval_ns, copies};
  std::memcpy(&later.remote, path.remote.addr, path.remote.addrlen);
  later_copies_.push_back(std::move(later));
}

void Endpoint::send_copy(const LaterCopies &later) {
  queue_packet(reinterpret_cast<const sockaddr *>(&later.remote), later.remote_len, later.packet);
}

void Endpoint::send_due_copies(uint64_t ts) {
  for (auto &later : later_copies_) {
    if (later.due_ns > ts) continue;
    send_copy(later);
    --later.copies_left;
    later.due_ns = ts + later.interval_ns;
  }
  std::erase_if(later_copies_, [](const LaterCopies &later) { return later.copies_left == 0; });
}

bool Endpoint::register_cid(const ngtcp2_cid &cid, Connection *connection) {
  return by_cid_.emplace(cid_key(cid.data, cid.datalen), connection).second;
}

void Endpoint::unregister_cid(const ngtcp2_cid &cid) {
  by_cid_.erase(cid_key(cid.data, cid.datalen));
}

size_t Endpoint::handshakes_in_progress() const {
  return static_cast<size_t>(std::count_if(connections_.begin(), connections_.end(), [](auto &c) {
    return !c->handshake_done_ && !c->finished();
  }));
}

size_t Endpoint::handshakes_from(const sockaddr *remote) const {
  auto source = source_of(remote);
  return static_cast<size_t>(std::count_if(connections_.begin(), connections_.end(), [&](auto &c) {
    if (!c->server_ || c->handshake_done_ || c->finished()) return false;
    return std::ranges::equal(source_of(reinterpret_cast<const sockaddr *>(&c->remote_)), source);
  }));
}

// Stateless: the token carries (sealed) the client's address, the id it
// first chose and the time, so nothing is kept for a spoofed source.
void Endpoint::send_retry(const ngtcp2_pkt_hd &initial, const ngtcp2_path &path, uint64_t ts) {
  ngtcp2_cid scid;
  scid.datalen = kConnectionIdLength;
  gnutls_rnd(GNUTLS_RND_NONCE, scid.data, scid.datalen);
  std::array<uint8_t, NGTCP2_CRYPTO_MAX_RETRY_TOKENLEN> token;
  ngtcp2_ssize token_size = ngtcp2_crypto_generate_retry_token(
      token.data(), token_secret_.data(), token_secret_.size(), initial.version, path.remote.addr,
      path.remote.addrlen, &scid, &initial.dcid, ts);
  if (token_size < 0) return;
  std::array<uint8_t, 256> packet;
  ngtcp2_ssize size =
      ngtcp2_crypto_write_retry(packet.data(), packet.size(), initial.version, &initial.scid, &scid,
                                &initial.dcid, token.data(), static_cast<size_t>(token_size));
  if (size < 0) return;
  send_packet(path, {packet.data(), static_cast<size_t>(size)});
  ++stats_.retries_sent;
}

void Endpoint::run() {
  running_endpoint = this;
  while (!stopping_) {
    uint64_t next = UINT64_MAX;
    {
      std::lock_guard lock(loop_mutex_);
      for (auto &connection : connections_) {
        next = std::min({next, connection->expiry(), next_attempt_ns(*connection)});
      }
      for (const auto &later : later_copies_) next = std::min(next, later.due_ns);
    }
    uint64_t now = now_ns();
    timespec timeout{1, 0};  // an upper bound, so a lost wake-up costs at most a second
    if (next <= now || std::exchange(woken_on_loop_, false)) {
      timeout = {0, 0};
    } else if (next - now < 1'000'000'000) {
      timeout = {0, static_cast<long>(next - now)};
    }
    pollfd fds[3] = {{socket_, POLLIN, 0}, {wake_fd_, POLLIN, 0}, {bounce_socket_, POLLIN, 0}};
    ppoll(fds, bounce_socket_ >= 0 ? 3 : 2, &timeout, nullptr);
    if (fds[1].revents & POLLIN) {
      uint64_t count;
      [[maybe_unused]] ssize_t n = read(wake_fd_, &count, sizeof count);
    }
    std::lock_guard lock(loop_mutex_);
    uint64_t ts = now_ns();
    if (fds[0].revents & POLLIN) receive_all(socket_, ts);
    if (fds[2].revents & POLLIN) receive_all(bounce_socket_, ts);
    woken_on_loop_ = false;  // what the handlers queued so far is written now
    service_connections(now_ns());
    flush_batch(socket_, send_batch_);
  }
}

void Endpoint::receive_all(int socket, uint64_t ts) {
  std::array<mmsghdr, kReceiveSlots> headers;
  std::array<iovec, kReceiveSlots> iovs;
  std::array<sockaddr_storage, kReceiveSlots> from;
  struct alignas(cmsghdr) Control {
    uint8_t bytes[CMSG_SPACE(sizeof(int))];
  };
  std::array<Control, kReceiveSlots> controls;
  for (size_t received = 0; received < kMaxReceiveBatch;) {
    for (size_t i = 0; i < kReceiveSlots; ++i) {
      iovs[i] = {receive_buffer_.get() + i * kReceiveSlotBytes, kReceiveSlotBytes};
      msghdr &header = headers[i].msg_hdr;
      header = {};
      header.msg_name = &from[i];
      header.msg_namelen = sizeof from[i];
      header.msg_iov = &iovs[i];
      header.msg_iovlen = 1;
      header.msg_control = controls[i].bytes;
      header.msg_controllen = sizeof controls[i].bytes;
    }
    const int n = recvmmsg(socket, headers.data(), kReceiveSlots, 0, nullptr);
    if (n <= 0) break;
    for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
      const msghdr &header = headers[i].msg_hdr;
      // A GRO train: datagrams of `segment` bytes (the last may be shorter).
      size_t segment = headers[i].msg_len;
      for (cmsghdr *cmsg = CMSG_FIRSTHDR(&header); cmsg != nullptr;
           cmsg = CMSG_NXTHDR(const_cast<msghdr *>(&header), cmsg)) {
        if (cmsg->cmsg_level == SOL_UDP && cmsg->cmsg_type == UDP_GRO) {
          int size = 0;
          std::memcpy(&size, CMSG_DATA(cmsg), sizeof size);
          if (size > 0) segment = static_cast<size_t>(size);
        }
      }
      const uint8_t *data = receive_buffer_.get() + i * kReceiveSlotBytes;
      const size_t length = headers[i].msg_len;
      size_t offset = 0;
      do {  // an empty datagram too is dispatched (and counted as garbage)
        const size_t size = std::min(segment, length - offset);
        ++stats_.packets_received;
        dispatch({data + offset, size}, from[i], header.msg_namelen, ts);
        offset += size;
      } while (offset < length);
    }
    received += static_cast<size_t>(n);
    if (static_cast<size_t>(n) < kReceiveSlots) break;  // the socket is drained
  }
}

void Endpoint::dispatch(std::span<const uint8_t> packet, const sockaddr_storage &from,
                        socklen_t from_len, uint64_t ts) {
  // RFC 7983: a first byte of 0-3 is STUN's; a QUIC packet has its fixed
  // bit (0x40) set unless greased, hence the handler's say (its parser
  // checks the header and magic cookie).
  if (stun_handler_ && !packet.empty() && packet[0] < 4 && stun_handler_(packet)) {
    ++stats_.stun_received;
    return;
  }
  ngtcp2_version_cid vc;
  int rv = ngtcp2_pkt_decode_version_cid(&vc, packet.data(), packet.size(), kConnectionIdLength);
  if (rv != 0) {
    ++stats_.dropped_garbage;  // includes versions we do not speak
    return;
  }
  ngtcp2_path path{{reinterpret_cast<sockaddr *>(&local_addr_), local_addr_len_},
                   {const_cast<sockaddr *>(reinterpret_cast<const sockaddr *>(&from)), from_len},
                   nullptr};
  auto found = by_cid_.find(cid_key(vc.dcid, vc.dcidlen));
  if (found != by_cid_.end()) {
    Connection *connection = found->second;  // reading may unregister its ids
    connection->read_packet(path, packet, ts);
    connection = settle_race(connection, ts);
    connection->establish_if_ready(ts);
    // Written once the batch is read (service_connections): the packets
    // that came together share one acknowledgement, not one each.
    return;
  }
  if (!config_.accept_connections) {
    ++stats_.dropped_unknown_cid;
    return;
  }
  accept(packet, path, ts);
}

void Endpoint::accept(std::span<const uint8_t> packet, const ngtcp2_path &path, uint64_t ts) {
  ngtcp2_pkt_hd hd;
  if (ngtcp2_accept(&hd, packet.data(), packet.size()) != 0) {
    ++stats_.dropped_unknown_cid;
    return;
  }
  ngtcp2_cid retry_odcid;
  bool validated = false;
  if (hd.type == NGTCP2_PKT_INITIAL && hd.token.len > 0) {
    // We issue only Retry tokens; any other, or one past its lifetime, is dropped.
    const auto lifetime = std::chrono::nanoseconds(config_.retry_token_lifetime).count();
    if (hd.token.base[0] != NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY ||
        ngtcp2_crypto_verify_retry_token(&retry_odcid, hd.token.base, hd.token.len,
                                         token_secret_.data(), token_secret_.size(), hd.version,
                                         path.remote.addr, path.remote.addrlen, &hd.dcid,
                                         static_cast<ngtcp2_duration>(lifetime), ts) != 0) {
      ++stats_.dropped_bad_token;
      return;
    }
    validated = true;
  }
  const size_t in_progress = handshakes_in_progress();
  if (connections_.size() >= config_.max_connections || in_progress >= config_.max_handshakes) {
    ++stats_.refused_handshakes;
    return;
  }
  if (!validated && in_progress >= config_.retry_above_handshakes) {
    send_retry(hd, path, ts);
    return;
  }
  if (handshakes_from(path.remote.addr) >= config_.max_handshakes_per_source) {
    ++stats_.refused_handshakes;
    ++stats_.refused_per_source;
    return;
  }
  std::shared_ptr<Connection> connection(new Connection(*this, true, {}));
  std::memcpy(&connection->remote_, path.remote.addr, path.remote.addrlen);
  connection->remote_len_ = path.remote.addrlen;
  if (on_accept_) connection->handlers_ = on_accept_(connection);
  std::string error;
  if (!connection->init_server(path, hd, validated ? &retry_odcid : nullptr, error)) {
    ++stats_.refused_handshakes;
    return;
  }
  connection->read_packet(path, packet, ts);
  if (connection->finished()) {  // an Initial that does not decrypt
    ++stats_.dropped_garbage;
    return;
  }
  ++stats_.connections_accepted;
  connections_.push_back(connection);
  connection->establish_if_ready(ts);
}

// While the dial has not completed, a new attempt starts every interval.
// A completed dial usually hears its confirmation within a round trip or
// two, and every attempt costs the path handshake packets, echoes and a
// close (starting them until confirmation delayed the first seconds of
// media at 200 kbit/s): one unconfirmed after two intervals races on.
uint64_t Endpoint::next_attempt_ns(const Connection &connection) const {
  if (connection.server_ || connection.race_attempt_ || !connection.still_racing() ||
      connection.handshake_attempts_ >= config_.handshake_attempts) {
    return UINT64_MAX;
  }
  const auto interval =
      static_cast<uint64_t>(std::chrono::nanoseconds(config_.handshake_race_interval).count());
  uint64_t next = connection.dialed_ns_ + connection.handshake_attempts_ * interval;
  if (connection.handshake_done_) next = std::max(next, connection.completed_ns_ + 2 * interval);
  return next;
}

void Endpoint::race_handshakes(uint64_t ts) {
  std::vector<std::shared_ptr<Connection>> started;
  for (auto &connection : connections_) {
    if (connection->race_attempt_) {
      auto owner = connection->race_owner_.lock();
      if (!owner || !owner->still_racing()) {
        connection->shutdown("handshake raced", ts);
      }
      continue;
    }
    if (next_attempt_ns(*connection) > ts) continue;
    ++connection->handshake_attempts_;
    std::shared_ptr<Connection> attempt(new Connection(*this, false, {}));
    attempt->pin_ = connection->pin_;
    ngtcp2_path path{{reinterpret_cast<sockaddr *>(&local_addr_), local_addr_len_},
                     {reinterpret_cast<sockaddr *>(&connection->remote_), connection->remote_len_},
                     nullptr};
    std::string error;
    if (!attempt->init_client(path, error)) continue;  // the dial goes on with what it has
    attempt->race_attempt_ = true;
    attempt->race_owner_ = connection;
    started.push_back(std::move(attempt));
  }
  for (auto &attempt : started) {
    connections_.push_back(attempt);
    attempt->write(ts);
  }
}

// The first attempt of a race to complete its handshake becomes the dialed
// connection; the attempt left holding the dial's unfinished one is closed.
// A completed handshake is not yet a connection: the server may never get
// the client's Finished (and ngtcp2 resends it only on a probe timeout that
// doubles), so the race goes on until the dial is confirmed, and an attempt
// confirmed first takes over from a dial that completed but is unconfirmed
// (docs/quic.md, "A client complete but never confirmed").
Connection *Endpoint::settle_race(Connection *attempt, uint64_t ts) {
  auto owner = attempt->race_owner_.lock();
  if (!owner || !attempt->handshake_done_ || attempt->finished()) return attempt;
  if (!owner->still_racing()) {
    attempt->shutdown("handshake raced", ts);
    return attempt;
  }
  if (owner->handshake_done_ && !attempt->confirmed_) return attempt;
  owner->take_handshake(*attempt);
  attempt->shutdown("handshake raced", ts);
  return owner.get();
}

void Endpoint::service_connections(uint64_t ts) {
  send_due_copies(ts);
  race_handshakes(ts);
  for (auto &connection : connections_) {
    if (connection->expiry() <= ts) connection->handle_expiry(ts);
    connection->restart_if_starved(ts);
    connection->write(ts);
  }
  // Dropping our reference unregisters the connection's ids; handles that
  // users still hold keep reporting kClosed.
  std::erase_if(connections_, [](const auto &connection) { return connection->finished(); });
}

}  // namespace wzp::quic
