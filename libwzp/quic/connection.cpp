#include "libwzp/quic/connection.hpp"

#include <gnutls/crypto.h>
#include <netdb.h>
#include <netinet/in.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>

#include "libwzp/base/host_port.hpp"
#include "libwzp/quic/callbacks.hpp"
#include "libwzp/quic/clock.hpp"
#include "libwzp/quic/tls.hpp"
#include "libwzp/wire/header.hpp"

namespace wzp::quic {
namespace {

std::string format_address(const ngtcp2_addr &addr) {
  char host[NI_MAXHOST] = "", port[NI_MAXSERV] = "";
  if (getnameinfo(addr.addr, addr.addrlen, host, sizeof host, port, sizeof port,
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "";
  }
  return base::format_host_port(host, static_cast<uint16_t>(std::strtoul(port, nullptr, 10)));
}

// A DATAGRAM frame's type byte plus its length varint (2 bytes below 16 KiB).
constexpr size_t kDatagramFrameOverhead = 3;
// Short header: first byte, packet number (up to 4 bytes); then the AEAD tag.
constexpr size_t kShortHeaderOverhead = 1 + 4 + 16;
// The empty STREAM frame that rides with each datagram (see write_pto_anchor):
// type, stream id, offset (below 1 GiB) and length.
constexpr size_t kPtoAnchorOverhead = 1 + 1 + 4 + 1;
// Signaling bytes queued but not yet taken by the I/O thread.
constexpr size_t kMaxPendingMessageBytes = 1 << 20;
constexpr uint64_t kStreamWindow = 256 * 1024;
// A close goes out now and then again on a schedule: copies sent together
// are lost together in a burst, and we do not linger in the closing period
// to answer the peer (at 70 % bursty loss 3 copies sent at once all died in
// some calls, and the peer waited for its idle timeout).
constexpr size_t kCloseCopiesLater = 9;
constexpr uint64_t kCloseCopyIntervalNs = 100'000'000;
// How long a server keeps echoing after its handshake completed: covers its
// HANDSHAKE_DONE and ngtcp2's first retransmissions of it, without which the
// client cannot count as connected.
constexpr uint64_t kServerEchoGraceNs = 3'000'000'000;
// The factor by which a server's sending may exceed what it received from
// an address it has not validated (RFC 9000, 8.1).
constexpr uint64_t kAmplificationLimit = 3;
// How long a requested close waits for queued signaling to be acknowledged.
constexpr uint64_t kCloseFlushLimitNs = 2'000'000'000;
// ngtcp2's largest pool of peer connection ids.
constexpr uint64_t kActiveConnectionIds = 8;
// The size ngtcp2 counts its congestion window in when our packets stay at
// 1200 bytes: four times its default (1452), so BBRv2's floor (4 units,
// 23 KB) holds what an 800 ms round trip has in flight at 70 % loss, lost
// datagrams included until an acknowledgement settles them (docs/quic.md,
// "A floor twice as high again").
constexpr size_t kWindowUnitBytes = 4 * 1452;

}  // namespace

Connection::Connection(ConnectionHost &host, bool server, ConnectionHandlers handlers)
    : host_(host),
      server_(server),
      handlers_(std::move(handlers)),
      callback_target_(std::make_unique<Connection *>(this)),
      signaling_probe_(static_cast<uint64_t>(
          std::chrono::nanoseconds(host.config().signaling_probe_interval).count())),
      queue_(
          host.config().datagram_queue_capacity, wire::kMaxPacketSize,
          static_cast<uint64_t>(std::chrono::nanoseconds(host.config().max_queue_time).count())) {
  conn_ref_.get_conn = NgCallbacks::get_conn;
  conn_ref_.user_data = callback_target_.get();
}

Connection::~Connection() {
  if (conn_ != nullptr) ngtcp2_conn_del(conn_);
  if (session_ != nullptr) gnutls_deinit(session_);
}

void Connection::fill_settings(ngtcp2_settings &settings, ngtcp2_transport_params &params) const {
  const EndpointConfig &config = host_.config();
  ngtcp2_settings_default(&settings);
  settings.initial_ts = now_ns();
  switch (config.congestion_control) {
    case CongestionControl::kCubic:
      settings.cc_algo = NGTCP2_CC_ALGO_CUBIC;
      break;
    case CongestionControl::kBbr2:
      settings.cc_algo = NGTCP2_CC_ALGO_BBR2;
      break;
    case CongestionControl::kBbr:
      settings.cc_algo = NGTCP2_CC_ALGO_BBR;
      break;
  }
  settings.handshake_timeout =
      static_cast<ngtcp2_duration>(std::chrono::nanoseconds(config.handshake_timeout).count());
  ngtcp2_transport_params_default(&params);
  // Without discovery we take no packet above QUIC's 1200 bytes, which
  // leaves the peer's discovery nothing to probe, and ours finds nothing a
  // peer that does the same accepts. Not ngtcp2's no_pmtud: 0.12.1 starts
  // discovery without checking it, and aborts on its assertion, when a
  // client comes back to the path it left before the new one was validated
  // (a NAT rebinding and back, or Connection::bounce_for_server), which any
  // client could do to a server. Nor a lower max_tx_udp_payload_size: the
  // congestion window's floor and start are counted in it. Nor discovery
  // always on for a server: its probes ended a loopback call at 50 % loss
  // after four frames (docs/quic.md).
  if (!config.path_mtu_discovery) {
    params.max_udp_payload_size = NGTCP2_MAX_UDP_PAYLOAD_SIZE;
    // ngtcp2 counts the congestion window's floor (4 packets) and start in
    // this size, not in the packets it sends (1200 bytes: the path's size
    // grows only by discovery). Four times its default lifts BBRv2's floor,
    // where ProbeRTT puts the window every 5-7 s on a path with jitter,
    // above the media an 800 ms round trip holds (docs/quic.md, "ProbeRTT
    // on a long path").
    settings.max_tx_udp_payload_size = kWindowUnitBytes;
  }
  // Every ack-eliciting packet is acknowledged at once (ngtcp2's default
  // waits for two). At 70 % loss only 3 in 10 acknowledgements arrive; until
  // one does, the media it covers counts against the congestion window,
  // which sits at its floor there (docs/quic.md).
  settings.ack_thresh = 1;
  params.initial_max_streams_bidi = 4;
  params.initial_max_streams_uni = 0;
  params.initial_max_stream_data_bidi_local = kStreamWindow;
  params.initial_max_stream_data_bidi_remote = kStreamWindow;
  params.initial_max_data = 4 * kStreamWindow;
  params.max_idle_timeout =
      static_cast<ngtcp2_duration>(std::chrono::nanoseconds(config.idle_timeout).count());
  params.max_datagram_frame_size = wire::kMaxPacketSize + kDatagramFrameOverhead;
  // Spare connection ids, so a client can move to a fresh socket at once.
  params.active_connection_id_limit = kActiveConnectionIds;
}

bool Connection::init_common(std::string &error) {
  session_ = host_.tls().new_session(server_, &conn_ref_, error);
  if (session_ == nullptr) return false;
  if (!server_ && !pin().empty()) {
    gnutls_session_set_verify_function(session_, NgCallbacks::verify_pinned);
  }
  ngtcp2_conn_set_tls_native_handle(conn_, session_);
  if (host_.config().keep_alive.count() > 0) {
    ngtcp2_conn_set_keep_alive_timeout(
        conn_,
        static_cast<ngtcp2_duration>(std::chrono::nanoseconds(host_.config().keep_alive).count()));
  }
  packet_buffer_.resize(std::max<size_t>(ngtcp2_conn_get_max_tx_udp_payload_size(conn_), 1500));
  return true;
}

const std::string &Connection::pin() const {
  return pin_.empty() ? host_.tls().config().server_fingerprint : pin_;
}

bool Connection::init_client(const ngtcp2_path &path, std::string &error) {
  remote_address_ = format_address(path.remote);
  ngtcp2_cid dcid, scid;
  dcid.datalen = scid.datalen = kConnectionIdLength;
  gnutls_rnd(GNUTLS_RND_RANDOM, dcid.data, kConnectionIdLength);
  gnutls_rnd(GNUTLS_RND_RANDOM, scid.data, kConnectionIdLength);
  ngtcp2_settings settings;
  ngtcp2_transport_params params;
  fill_settings(settings, params);
  auto callbacks = NgCallbacks::table(false);
  int rv = ngtcp2_conn_client_new(&conn_, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1, &callbacks,
                                  &settings, &params, nullptr, callback_target_.get());
  if (rv != 0) {
    error = std::string("cannot create QUIC connection: ") + ngtcp2_strerror(rv);
    return false;
  }
  if (!host_.register_cid(scid, this)) {
    error = "connection id collision";
    return false;
  }
  cids_.push_back(scid);
  if (init_common(error)) return true;
  unregister_all();
  return false;
}

bool Connection::init_server(const ngtcp2_path &path, const ngtcp2_pkt_hd &initial,
                             const ngtcp2_cid *retry_odcid, std::string &error) {
  remote_address_ = format_address(path.remote);
  ngtcp2_cid scid;
  scid.datalen = kConnectionIdLength;
  gnutls_rnd(GNUTLS_RND_RANDOM, scid.data, kConnectionIdLength);
  ngtcp2_settings settings;
  ngtcp2_transport_params params;
  fill_settings(settings, params);
  params.original_dcid = initial.dcid;
  if (retry_odcid != nullptr) {
    // The client proved its address by returning our Retry's token.
    params.original_dcid = *retry_odcid;
    params.retry_scid = initial.dcid;
    params.retry_scid_present = 1;
    settings.token = initial.token;
  }
  auto callbacks = NgCallbacks::table(true);
  int rv = ngtcp2_conn_server_new(&conn_, &initial.scid, &scid, &path, initial.version, &callbacks,
                                  &settings, &params, nullptr, callback_target_.get());
  if (rv != 0) {
    error = std::string("cannot create QUIC connection: ") + ngtcp2_strerror(rv);
    return false;
  }
  // The client keeps addressing its first packets to the id it picked.
  for (const ngtcp2_cid &cid : {scid, initial.dcid}) {
    if (!host_.register_cid(cid, this)) {
      error = "connection id collision";
      unregister_all();
      return false;
    }
    cids_.push_back(cid);
  }
  if (init_common(error)) return true;
  unregister_all();
  return false;
}

bool Connection::send_datagram(std::span<const uint8_t> datagram) {
  return send_datagrams({&datagram, 1}) == 1;
}

bool Connection::send_datagram_first(std::span<const uint8_t> datagram) {
  return queue_datagrams({&datagram, 1}, true) == 1;
}

size_t Connection::send_datagrams(std::span<const std::span<const uint8_t>> datagrams) {
  return queue_datagrams(datagrams, false);
}

size_t Connection::queue_datagrams(std::span<const std::span<const uint8_t>> datagrams,
                                   bool first) {
  std::lock_guard lock(mutex_);
  const bool was_empty = queue_.empty();
  const uint64_t ts = now_ns();
  size_t queued = 0;
  for (auto datagram : datagrams) {
    bool too_big = datagram.empty() || (state_ == State::kEstablished &&
                                        datagram.size() > stats_.path.max_datagram_payload);
    if (state_ == State::kClosed || too_big) {
      ++rejected_datagrams_;
      continue;
    }
    if (!(first ? queue_.push_front(datagram, ts) : queue_.push(datagram, ts))) continue;
    ++stats_.datagrams_queued;
    ++queued;
  }
  // The I/O thread drains the whole queue once woken, so only datagrams
  // queued while it was empty need to wake it, once for the lot.
  if (was_empty && queued > 0) host_.wake();
  return queued;
}

bool Connection::send_message(std::span<const uint8_t> message) {
  {
    std::lock_guard lock(mutex_);
    if (state_ == State::kClosed || close_requested_ ||
        pending_messages_.size() + message.size() > kMaxPendingMessageBytes ||
        !append_framed_message(message, pending_messages_)) {
      return false;
    }
    ++stats_.messages_sent;
    host_.wake();  // under the lock: a closed connection's endpoint may be gone
  }
  return true;
}

void Connection::close(uint64_t error_code, const std::string &reason) {
  {
    std::lock_guard lock(mutex_);
    if (state_ == State::kClosed || close_requested_) return;
    close_requested_ = true;
    close_code_ = error_code;
    close_reason_ = reason;
    host_.wake();
  }
}

size_t Connection::queued_datagrams() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

Connection::State Connection::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::string Connection::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

bool Connection::wait_established(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [this] { return state_ != State::kConnecting; });
  return state_ == State::kEstablished;
}

bool Connection::wait_closed(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [this] { return state_ == State::kClosed; });
}

ConnectionStats Connection::stats() const {
  std::lock_guard lock(mutex_);
  ConnectionStats out = stats_;
  const auto &dropped = queue_.counters();
  out.datagrams_dropped_stale = dropped.dropped_stale;
  out.datagrams_dropped_full = dropped.dropped_full;
  out.datagrams_dropped_oversized = dropped.dropped_oversized + rejected_datagrams_;
  return out;
}

size_t Connection::max_datagram_payload() const {
  const ngtcp2_transport_params *remote = ngtcp2_conn_get_remote_transport_params(conn_);
  if (remote == nullptr || remote->max_datagram_frame_size <= kDatagramFrameOverhead) return 0;
  size_t frame_limit = remote->max_datagram_frame_size - kDatagramFrameOverhead;
  size_t overhead = kShortHeaderOverhead + ngtcp2_conn_get_dcid(conn_)->datalen +
                    kDatagramFrameOverhead + kPtoAnchorOverhead;
  size_t udp = ngtcp2_conn_get_path_max_tx_udp_payload_size(conn_);
  size_t path_limit = udp > overhead ? udp - overhead : 0;
  return std::min({frame_limit, path_limit, wire::kMaxPacketSize});
}

void Connection::publish_stats() {
  ngtcp2_conn_stat cstat;
  ngtcp2_conn_get_conn_stat(conn_, &cstat);
  PathStats path;
  path.smoothed_rtt_ms = static_cast<double>(cstat.smoothed_rtt) / NGTCP2_MILLISECONDS;
  path.rtt_variance_ms = static_cast<double>(cstat.rttvar) / NGTCP2_MILLISECONDS;
  // ngtcp2 keeps min_rtt at UINT64_MAX until the first RTT sample; report 0
  // then, not 18446744073709.551 ms.
  path.min_rtt_ms =
      cstat.min_rtt == UINT64_MAX ? 0 : static_cast<double>(cstat.min_rtt) / NGTCP2_MILLISECONDS;
  path.congestion_window = cstat.cwnd;
  path.bytes_in_flight = cstat.bytes_in_flight;
  // ngtcp2 keeps the pacing rate in bytes per nanosecond.
  path.pacing_rate_bytes_per_s = cstat.pacing_rate * 1e9;
  path.probe_timeouts = cstat.pto_count;
  path.max_udp_payload = ngtcp2_conn_get_path_max_tx_udp_payload_size(conn_);
  path.max_datagram_payload = established_ ? max_datagram_payload() : 0;
  // Counted where seen, so that a server's restart, which its client's
  // bounce causes, counts too.
  if (cstat.min_rtt != UINT64_MAX) {
    rtt_sampled_ = true;
  } else if (rtt_sampled_) {
    rtt_sampled_ = false;
    ++io_stats_.congestion_restarts;
  }
  std::lock_guard lock(mutex_);
  if (cstat.min_rtt == UINT64_MAX && stats_.path.min_rtt_ms > 0) {
    // A congestion restart (restart_if_starved) moved us to a new path, and
    // ngtcp2 starts its RTT over at the 333 ms initial guess until the new
    // path's first sample: the path is the same, so its RTT stands. Read
    // as news, the guess made a member 1.4 s away report a good path.
    path.smoothed_rtt_ms = stats_.path.smoothed_rtt_ms;
    path.rtt_variance_ms = stats_.path.rtt_variance_ms;
    path.min_rtt_ms = stats_.path.min_rtt_ms;
  }
  uint64_t queued = stats_.datagrams_queued, messages_sent = stats_.messages_sent;
  stats_ = io_stats_;
  stats_.handshake_attempts = handshake_attempts_;
  stats_.datagrams_queued = queued;
  stats_.messages_sent = messages_sent;
  stats_.path = path;
}

void Connection::take_handshake(Connection &attempt) {
  for (const auto &cid : cids_) host_.unregister_cid(cid);
  for (const auto &cid : attempt.cids_) host_.unregister_cid(cid);
  std::swap(conn_, attempt.conn_);
  std::swap(session_, attempt.session_);
  std::swap(callback_target_, attempt.callback_target_);
  std::swap(cids_, attempt.cids_);
  std::swap(handshake_done_, attempt.handshake_done_);
  std::swap(completed_ns_, attempt.completed_ns_);
  std::swap(echo_until_ns_, attempt.echo_until_ns_);
  std::swap(confirmed_, attempt.confirmed_);
  std::swap(local_error_, attempt.local_error_);
  std::swap(io_stats_, attempt.io_stats_);
  io_stats_.signaling_probes_sent += attempt.io_stats_.signaling_probes_sent;  // the dial's
  std::swap(handshake_echoes_, attempt.handshake_echoes_);
  std::swap(signaling_echoes_, attempt.signaling_echoes_);
  std::swap(bytes_received_, attempt.bytes_received_);
  std::swap(bytes_sent_, attempt.bytes_sent_);
  for (Connection *c : {this, &attempt}) {
    *c->callback_target_ = c;
    c->conn_ref_.user_data = c->callback_target_.get();
    gnutls_session_set_ptr(c->session_, &c->conn_ref_);
    for (const auto &cid : c->cids_) host_.register_cid(cid, c);
  }
}

void Connection::on_handshake_completed() {
  const auto &alpn = host_.tls().config().alpn;
  gnutls_datum_t selected{};
  if (gnutls_alpn_get_selected_protocol(session_, &selected) != 0 ||
      std::find(alpn.begin(), alpn.end(),
                std::string(reinterpret_cast<char *>(selected.data), selected.size)) ==
          alpn.end()) {
    local_error_ = "no common ALPN protocol with the peer";
    return;
  }
  handshake_done_ = true;
  completed_ns_ = now_ns();
  // A server is established before the rest of this packet (the client's
  // first messages) is delivered. A client is established by its endpoint
  // once the packet is read, so that a raced attempt is taken over first.
  if (server_) establish_if_ready(now_ns());
}

void Connection::note_active() {
  if (active_) return;
  active_ = true;
  if (handlers_.on_active) handlers_.on_active();
}

// A client that is confirmed (RFC 9001, 4.1.2) knows the server has its
// Finished: its handshake packets need no more echoes.
void Connection::on_handshake_confirmed() {
  confirmed_ = true;
  if (!server_) echo_until_ns_ = 0;
  if (!server_ && !race_attempt_) establish_if_ready(now_ns());
}

// A client is established once confirmed (RFC 9001, 4.1.2): before that a
// close travels in Handshake packets, which carry no application reason,
// and the server may not have its Finished yet, so 1-RTT media would go
// unacknowledged. A server is established as it completes.
void Connection::establish_if_ready(uint64_t ts) {
  if (!handshake_done_ || race_attempt_ || finished_ || established_) return;
  if (!server_ && !confirmed_) return;
  established_ = true;
  confirmed_ = confirmed_ || server_;  // RFC 9001, 4.1.2
  // The server's last handshake packet (HANDSHAKE_DONE) is still to be sent.
  if (server_) echo_until_ns_ = ts + kServerEchoGraceNs;
  publish_stats();
  {
    std::lock_guard lock(mutex_);
    if (state_ == State::kConnecting) state_ = State::kEstablished;
  }
  changed_.notify_all();
  if (handlers_.on_established) handlers_.on_established();
}

void Connection::on_stream_data(int64_t stream_id, std::span<const uint8_t> data) {
  note_active();
  auto [reader, added] = readers_.try_emplace(stream_id);
  bool ok = reader->second.feed(data, [this](std::span<const uint8_t> message) {
    ++io_stats_.messages_received;
    if (handlers_.on_message) handlers_.on_message(message);
  });
  if (!ok) local_error_ = "peer sent a signaling message larger than the limit";
}

void Connection::on_stream_acked(uint64_t offset, uint64_t length) {
  uint64_t acked = offset + length;
  if (acked <= stream_acked_) return;
  stream_acked_ = std::min(acked, stream_end_);
  signaling_echoes_.acknowledged(stream_acked_);
  while (!stream_chunks_.empty() &&
         stream_front_ + stream_chunks_.front().size() <= stream_acked_) {
    stream_front_ += stream_chunks_.front().size();
    stream_chunks_.pop_front();
  }
}

void Connection::read_packet(const ngtcp2_path &path, std::span<const uint8_t> packet,
                             uint64_t ts) {
  if (finished_) return;
  bytes_received_ += packet.size();
  ngtcp2_pkt_info pi{};
  // A client's packets all arrive on its current path, whose local port
  // may be a restart's label (restart_if_starved).
  ngtcp2_path current = path;
  if (!server_) current.local = ngtcp2_conn_get_path(conn_)->local;
  int rv = ngtcp2_conn_read_pkt(conn_, &current, &pi, packet.data(), packet.size(), ts);
  if (rv == 0) return;
  if (rv == NGTCP2_ERR_DRAINING) {
    finish(describe_peer_close());
  } else if (rv == NGTCP2_ERR_DROP_CONN) {
    finish("connection dropped");
  } else {
    fail(rv, ts);
  }
}

std::string Connection::describe_peer_close() {
  ngtcp2_connection_close_error ccerr;
  ngtcp2_conn_get_connection_close_error(conn_, &ccerr);
  std::string reason =
      ccerr.reason == nullptr
          ? std::string()
          : std::string(reinterpret_cast<const char *>(ccerr.reason), ccerr.reasonlen);
  if (ccerr.error_code == 0) return "";
  std::string out = "peer closed the connection";
  if (ccerr.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION) {
    out += " with application error " + std::to_string(ccerr.error_code);
  } else if ((ccerr.error_code & ~uint64_t{0xff}) == NGTCP2_CRYPTO_ERROR) {
    auto alert = static_cast<gnutls_alert_description_t>(ccerr.error_code & 0xff);
    const char *name = gnutls_alert_get_strname(alert);
    out += ": TLS alert " + std::to_string(ccerr.error_code & 0xff) + " (" +
           (name != nullptr ? name : "unknown") + ")";
  } else {
    out += " with transport error " + std::to_string(ccerr.error_code);
  }
  if (!reason.empty()) out += ": " + reason;
  return out;
}

void Connection::fail(int liberr, uint64_t ts) {
  ngtcp2_connection_close_error ccerr;
  ngtcp2_connection_close_error_default(&ccerr);
  std::string error = local_error_;
  if (liberr == NGTCP2_ERR_CRYPTO) {
    uint8_t alert = ngtcp2_conn_get_tls_alert(conn_);
    ngtcp2_connection_close_error_set_transport_error_tls_alert(&ccerr, alert, nullptr, 0);
    if (error.empty()) {
      const char *name = gnutls_alert_get_strname(static_cast<gnutls_alert_description_t>(alert));
      error = std::string("TLS handshake failed: ") + (name != nullptr ? name : "unknown alert");
    }
  } else if (!local_error_.empty()) {
    ngtcp2_connection_close_error_set_application_error(
        &ccerr, 1, reinterpret_cast<const uint8_t *>(local_error_.data()), local_error_.size());
  } else {
    ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, liberr, nullptr, 0);
    error = std::string("QUIC error: ") + ngtcp2_strerror(liberr);
  }
  send_close(ccerr, ts, kCloseCopiesLater);
  finish(error);
}

void Connection::send_close(const ngtcp2_connection_close_error &ccerr, uint64_t ts,
                            size_t copies_later) {
  if (ngtcp2_conn_is_in_closing_period(conn_) || ngtcp2_conn_is_in_draining_period(conn_)) return;
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi{};
  ngtcp2_ssize n = ngtcp2_conn_write_connection_close(conn_, &ps.path, &pi, packet_buffer_.data(),
                                                      packet_buffer_.size(), &ccerr, ts);
  if (n <= 0) return;
  std::span<const uint8_t> close{packet_buffer_.data(), static_cast<size_t>(n)};
  host_.send_packet(ps.path, close);
  if (copies_later > 0) host_.send_copies_later(ps.path, close, copies_later, kCloseCopyIntervalNs);
}

void Connection::unregister_all() {
  for (const auto &cid : cids_) host_.unregister_cid(cid);
  cids_.clear();
}

void Connection::finish(const std::string &error) {
  if (finished_) return;
  finished_ = true;
  unregister_all();
  publish_stats();
  {
    std::lock_guard lock(mutex_);
    state_ = State::kClosed;
    error_ = error;
  }
  changed_.notify_all();
  if (handlers_.on_closed) handlers_.on_closed(error);
}

void Connection::shutdown(const std::string &reason, uint64_t ts) {
  if (finished_) return;
  ngtcp2_connection_close_error ccerr;
  ngtcp2_connection_close_error_default(&ccerr);
  ngtcp2_connection_close_error_set_application_error(
      &ccerr, 0, reinterpret_cast<const uint8_t *>(reason.data()), reason.size());
  // A raced attempt's close is a courtesy: its copies would share the path
  // with the first seconds of the call's media.
  send_close(ccerr, ts, race_attempt_ ? 0 : kCloseCopiesLater);
  finish("");
}

void Connection::handle_expiry(uint64_t ts) {
  if (finished_) return;
  auto handshake_timed_out = [this] {
    return "handshake timed out after " + std::to_string(host_.config().handshake_timeout.count()) +
           " ms: is the server running and reachable?";
  };
  if (ts >= unconfirmed_dial_deadline()) {
    finish(handshake_timed_out());
    return;
  }
  int rv = ngtcp2_conn_handle_expiry(conn_, ts);
  if (rv == 0) return;
  if (rv == NGTCP2_ERR_IDLE_CLOSE) {
    finish("idle timeout: nothing heard from the peer for " +
           std::to_string(host_.config().idle_timeout.count()) + " ms");
  } else if (rv == NGTCP2_ERR_HANDSHAKE_TIMEOUT) {
    finish(handshake_timed_out());
  } else {
    fail(rv, ts);
  }
}

uint64_t Connection::expiry() const {
  if (finished_) return UINT64_MAX;
  uint64_t expiry = std::min({ngtcp2_conn_get_expiry(conn_), unconfirmed_dial_deadline(),
                              handshake_echoes_.next_due_ns(), signaling_echoes_.next_due_ns(),
                              signaling_probe_.due_ns(awaiting_acknowledgement())});
  return close_flush_deadline_ == 0 ? expiry : std::min(expiry, close_flush_deadline_);
}

void Connection::send(const ngtcp2_path &path, std::span<const uint8_t> packet, bool has_datagram,
                      bool has_signaling, uint64_t ts) {
  if (bounce_packets_left_ > 0) {
    host_.send_packet_bounced(path, packet);
    --bounce_packets_left_;
    ++io_stats_.bounce_packets_sent;
  } else {
    host_.send_packet(path, packet);
  }
  bytes_sent_ += packet.size();
  if (has_datagram || has_signaling) signaling_probe_.sent(ts);
  const EndpointConfig &config = host_.config();
  auto interval_ns = [](std::chrono::milliseconds interval) {
    return static_cast<uint64_t>(std::chrono::nanoseconds(interval).count());
  };
  if (handshake_done_ && has_signaling) {
    // A datagram sharing the packet goes with it: signaling is rare. A
    // retransmission's bytes lie somewhere before stream_written_: its
    // copies stop once everything written so far is acknowledged.
    signaling_echoes_.add(packet, ts, config.signaling_echo_copies,
                          interval_ns(config.signaling_echo_interval), stream_written_);
    return;
  }
  // Media alone is never echoed: FEC covers it, and a server's grace after
  // its handshake would otherwise copy every datagram it forwards five times.
  if (ts >= echo_until_ns_ || has_datagram) return;
  handshake_echoes_.add(packet, ts, config.handshake_echo_copies,
                        interval_ns(config.handshake_echo_interval));
}

void Connection::send_due_echoes(uint64_t ts) {
  if (ts >= echo_until_ns_) handshake_echoes_.clear();
  if (handshake_echoes_.size() + signaling_echoes_.size() == 0) return;
  ngtcp2_path path = *ngtcp2_conn_get_path(conn_);
  handshake_echoes_.send_due(ts, [&](std::span<const uint8_t> packet) {
    // A server may not send more than 3x what an unvalidated address sent.
    if (server_ && bytes_sent_ + packet.size() > kAmplificationLimit * bytes_received_) {
      return false;
    }
    host_.send_packet(path, packet);
    bytes_sent_ += packet.size();
    return true;
  });
  // The handshake is done: the peer's address is validated.
  signaling_echoes_.send_due(ts, [&](std::span<const uint8_t> packet) {
    host_.send_packet(path, packet);
    bytes_sent_ += packet.size();
    ++io_stats_.signaling_echoes_sent;
    return true;
  });
}

// ngtcp2's handshake timeout ends with the handshake, but a dial is not
// made until it is confirmed: a client whose Finished never reaches the
// server would otherwise wait for its idle timeout.
uint64_t Connection::unconfirmed_dial_deadline() const {
  if (server_ || race_attempt_ || confirmed_ || !handshake_done_) return UINT64_MAX;
  return dialed_ns_ +
         static_cast<uint64_t>(std::chrono::nanoseconds(host_.config().handshake_timeout).count());
}

void Connection::write(uint64_t ts) {
  if (finished_) return;
  bool close_now = false;
  uint64_t code = 0;
  std::string reason;
  {
    std::lock_guard lock(mutex_);
    if (handshake_done_ && !pending_messages_.empty()) {
      stream_end_ += pending_messages_.size();
      stream_chunks_.push_back(std::move(pending_messages_));
      pending_messages_ = {};
    }
    if (close_requested_) {
      // A close waits until every queued message has been acknowledged (or
      // the flush limit passed), so an error sent just before it arrives.
      if (close_flush_deadline_ == 0) close_flush_deadline_ = ts + kCloseFlushLimitNs;
      bool unsent = unacknowledged(stream_end_) || !pending_messages_.empty();
      close_now = !unsent || ts >= close_flush_deadline_;
    }
    code = close_code_;
    reason = close_reason_;
  }
  if (close_now) {
    ngtcp2_connection_close_error ccerr;
    ngtcp2_connection_close_error_default(&ccerr);
    ngtcp2_connection_close_error_set_application_error(
        &ccerr, code, reinterpret_cast<const uint8_t *>(reason.data()), reason.size());
    send_close(ccerr, ts, kCloseCopiesLater);
    finish(code == 0 ? "" : "closed locally with error " + std::to_string(code) + ": " + reason);
    return;
  }

  send_due_echoes(ts);
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi{};
  uint8_t *buffer = packet_buffer_.data();
  size_t size = ngtcp2_conn_get_max_tx_udp_payload_size(conn_);
  size_t quantum = ngtcp2_conn_get_send_quantum(conn_);
  size_t sent = 0;
  bool stream_blocked = false;
  const bool pack = host_.config().pack_datagrams;
  size_t datagram_limit = established_ ? max_datagram_payload() : 0;
  bool anchored = false;  // the packet being built already holds a STREAM frame
  bool packet_has_datagram = false;
  bool packet_has_signaling = false;  // new bytes of our stream: echoed
  // Set when a datagram did not fit beside the anchor: it goes alone next.
  bool skip_anchor = false;
  for (;;) {
    ngtcp2_ssize n = 0;
    const uint64_t stream_written_before = stream_written_;
    bool wrote_stream = handshake_done_ && !stream_blocked &&
                        write_pending_stream(buffer, size, ts, ps, pi, n, stream_blocked);
    anchored = anchored || wrote_stream;
    packet_has_signaling = packet_has_signaling || stream_written_ > stream_written_before;
    // The request is no STREAM frame: the media after it still takes the anchor.
    const bool wrote_request = !wrote_stream && write_restart_request(buffer, size, ts, ps, pi, n);
    if (!wrote_stream && !wrote_request) {
      std::unique_lock lock(mutex_);
      auto datagram = established_ ? queue_.front(ts) : std::span<const uint8_t>{};
      if (!datagram.empty() && datagram.size() > datagram_limit) {
        queue_.drop_front_oversized();
        continue;
      }
      bool try_datagram = !datagram.empty();
      if (try_datagram && !anchored && !skip_anchor) {
        anchored = true;
        n = write_pto_anchor(buffer, size, ts, ps, pi);
        // Anything else (limited by the window or pacing, a finished
        // packet, an error) is handled below like a datagram write's result.
        try_datagram = n == NGTCP2_ERR_WRITE_MORE;
        if (try_datagram) n = 0;
      }
      if (try_datagram) {
        int accepted = 0;
        ngtcp2_vec vec{const_cast<uint8_t *>(datagram.data()), datagram.size()};
        n = ngtcp2_conn_writev_datagram(conn_, &ps.path, &pi, buffer, size, &accepted,
                                        pack ? NGTCP2_WRITE_DATAGRAM_FLAG_MORE : 0,
                                        next_datagram_id_, &vec, 1, ts);
        skip_anchor = accepted == 0 && n > 0;
        if (skip_anchor) ++io_stats_.unanchored_datagrams;
        if (accepted != 0) {
          packet_has_datagram = true;
          queue_.pop();
          ++next_datagram_id_;
          ++io_stats_.datagrams_sent;
        }
        if (n == NGTCP2_ERR_INVALID_ARGUMENT) {  // above the peer's limit after all
          queue_.drop_front_oversized();
          continue;
        }
      } else if (datagram.empty()) {
        lock.unlock();
        const uint64_t in_flight_before = bytes_in_flight();
        n = ngtcp2_conn_write_pkt(conn_, &ps.path, &pi, buffer, size, ts);
        packet_has_signaling =
            packet_has_signaling ||
            (n > 0 && resends_signaling(in_flight_before, static_cast<size_t>(n)));
      }
    }
    if (n == NGTCP2_ERR_WRITE_MORE) continue;
    if (n < 0) {
      fail(static_cast<int>(n), ts);
      return;
    }
    if (n == 0) break;
    anchored = false;
    send(ps.path, {buffer, static_cast<size_t>(n)}, packet_has_datagram, packet_has_signaling, ts);
    packet_has_datagram = false;
    packet_has_signaling = false;
    ++io_stats_.udp_packets_sent;
    sent += static_cast<size_t>(n);
    if (sent >= quantum) break;
  }
  if (ts >= signaling_probe_.due_ns(awaiting_acknowledgement())) send_signaling_probe(ts);
  ngtcp2_conn_update_pkt_tx_time(conn_, ts);
  publish_stats();
}

}  // namespace wzp::quic
