// A connection's congestion restarts (EndpointConfig::restart_when_starved):
// a client's own, by a migration to a labelled path, and a server's, which
// it asks its client for and the client makes by bouncing (docs/quic.md,
// "A server's restart: its client bounces").
#include <netinet/in.h>

#include <cstring>

#include "libwzp/quic/connection.hpp"

namespace wzp::quic {

void Connection::restart_if_starved(uint64_t ts) {
  if (!established_ || finished_ || !host_.config().restart_when_starved) return;
  uint64_t queued = 0, unsent = 0, waited = 0;
  {
    std::lock_guard lock(mutex_);
    queued = stats_.datagrams_queued;
    unsent = queue_.counters().dropped_stale + queue_.counters().dropped_full;
    waited = queue_.oldest_wait(ts);
  }
  if (!starvation_.starved(ts, queued, unsent, waited, io_stats_.datagrams_lost,
                           !signaling_unacknowledged())) {
    return;
  }
  if (server_) {
    restart_request_pending_ = true;  // written ahead of the media (write)
    return;
  }
  // ngtcp2 0.12 has no call that resets a congestion state, but a migration
  // to a new path starts a fresh one (RFC 9000, 9.4). The socket stays: the
  // new path differs only in the local port ngtcp2 records, which nothing
  // sends from, so the peer sees the same addresses and a fresh connection
  // id (a real new socket would make the server validate the path, and
  // ngtcp2 0.12 can then fail the connection on a NEW_CONNECTION_ID).
  ngtcp2_path path = *ngtcp2_conn_get_path(conn_);
  sockaddr_storage local{};
  std::memcpy(&local, path.local.addr, path.local.addrlen);
  auto &port = local.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6 &>(local).sin6_port
                                           : reinterpret_cast<sockaddr_in &>(local).sin_port;
  port = htons(static_cast<uint16_t>(ntohs(port) % 65535 + 1));
  path.local.addr = reinterpret_cast<sockaddr *>(&local);
  // Fails without a spare connection id from the peer; the next starved
  // window tries again.
  ngtcp2_conn_initiate_immediate_migration(conn_, &path, ts);
}

// A server may not migrate, but ngtcp2 0.12.1 starts a fresh congestion
// state when a client that moved to a new address (here a port: a NAT
// rebinding, to the server) comes back to the path it left before the new
// one was validated (conn_recv_non_probing_pkt_on_new_path). So the next
// two packets leave from the endpoint's second port, in case one is lost,
// and the rest from ours as before. The server's replies to the second port
// are read on it. A bounce that is lost whole (both packets) does nothing;
// a server still starved asks again.
void Connection::bounce_for_server(uint64_t ts) {
  if (server_ || !established_ || !host_.config().restart_when_starved) return;
  ++io_stats_.restart_requests_received;
  constexpr uint64_t kMinBounceIntervalNs = 1'000'000'000;
  if (last_bounce_ns_ != 0 && ts - last_bounce_ns_ < kMinBounceIntervalNs) return;
  last_bounce_ns_ = ts;
  bounce_packets_left_ = 2;
}

bool Connection::write_restart_request(uint8_t *buffer, size_t size, uint64_t ts,
                                       ngtcp2_path_storage &ps, ngtcp2_pkt_info &pi,
                                       ngtcp2_ssize &written) {
  if (!restart_request_pending_ || !established_) return false;
  int accepted = 0;
  uint8_t request = kRestartRequest;
  ngtcp2_vec vec{&request, 1};
  const ngtcp2_ssize n = ngtcp2_conn_writev_datagram(conn_, &ps.path, &pi, buffer, size, &accepted,
                                                     NGTCP2_WRITE_DATAGRAM_FLAG_MORE,
                                                     kRestartRequestDatagramId, &vec, 1, ts);
  // No room in the window: the media's turn, which drops what went stale.
  if (n == 0) return false;
  written = n;
  if (accepted != 0) {
    restart_request_pending_ = false;
    ++io_stats_.restart_requests_sent;
  }
  return true;
}

}  // namespace wzp::quic
