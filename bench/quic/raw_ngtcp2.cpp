#include "bench/quic/raw_ngtcp2.hpp"

#include <arpa/inet.h>
#include <gnutls/crypto.h>
#include <netinet/in.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <string>

#include "libwzp/quic/clock.hpp"
#include "libwzp/quic/tls.hpp"

namespace wzp::bench {
namespace {

constexpr size_t kCidLength = 18;
constexpr size_t kMaxUdpPayload = 1452;

struct Side {
  struct Shared *shared = nullptr;
  bool server = false;
  int fd = -1;
  sockaddr_in local{};
  sockaddr_in remote{};
  ngtcp2_conn *conn = nullptr;
  gnutls_session_t session = nullptr;
  ngtcp2_crypto_conn_ref ref{};
  bool handshake_done = false;
};

struct Shared {
  size_t delivered = 0;
  size_t lost = 0;
  std::vector<uint64_t> *latencies = nullptr;
};

Side *side_of(void *user_data) { return static_cast<Side *>(user_data); }

void fill_random(uint8_t *dest, size_t size, const ngtcp2_rand_ctx *) {
  gnutls_rnd(GNUTLS_RND_RANDOM, dest, size);
}

int new_cid(ngtcp2_conn *, ngtcp2_cid *cid, uint8_t *token, size_t cidlen, void *) {
  gnutls_rnd(GNUTLS_RND_RANDOM, cid->data, cidlen);
  cid->datalen = cidlen;
  gnutls_rnd(GNUTLS_RND_RANDOM, token, NGTCP2_STATELESS_RESET_TOKENLEN);
  return 0;
}

int handshake_completed(ngtcp2_conn *, void *user_data) {
  side_of(user_data)->handshake_done = true;
  return 0;
}

int recv_datagram(ngtcp2_conn *, uint32_t, const uint8_t *data, size_t size, void *user_data) {
  Shared *shared = side_of(user_data)->shared;
  ++shared->delivered;
  if (shared->latencies != nullptr && size >= sizeof(uint64_t)) {
    uint64_t sent;
    std::memcpy(&sent, data, sizeof sent);
    shared->latencies->push_back(quic::now_ns() - sent);
  }
  return 0;
}

int lost_datagram(ngtcp2_conn *, uint64_t, void *user_data) {
  ++side_of(user_data)->shared->lost;
  return 0;
}

ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref) {
  return static_cast<Side *>(ref->user_data)->conn;
}

ngtcp2_callbacks callbacks(bool server) {
  ngtcp2_callbacks cb{};
  if (server) {
    cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
  } else {
    cb.client_initial = ngtcp2_crypto_client_initial_cb;
    cb.recv_retry = ngtcp2_crypto_recv_retry_cb;
  }
  cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
  cb.encrypt = ngtcp2_crypto_encrypt_cb;
  cb.decrypt = ngtcp2_crypto_decrypt_cb;
  cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
  cb.update_key = ngtcp2_crypto_update_key_cb;
  cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
  cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
  cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
  cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
  cb.rand = fill_random;
  cb.get_new_connection_id = new_cid;
  cb.handshake_completed = handshake_completed;
  cb.recv_datagram = recv_datagram;
  cb.lost_datagram = lost_datagram;
  return cb;
}

void settings_and_params(ngtcp2_settings &settings, ngtcp2_transport_params &params) {
  ngtcp2_settings_default(&settings);
  settings.initial_ts = quic::now_ns();
  settings.cc_algo = NGTCP2_CC_ALGO_CUBIC;
  ngtcp2_transport_params_default(&params);
  params.initial_max_streams_bidi = 4;
  params.initial_max_data = 1 << 20;
  params.initial_max_stream_data_bidi_local = 1 << 18;
  params.initial_max_stream_data_bidi_remote = 1 << 18;
  params.max_idle_timeout = 30 * NGTCP2_SECONDS;
  params.max_datagram_frame_size = 1503;
}

int bound_socket(sockaddr_in &out) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int size = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  out = {};
  out.sin_family = AF_INET;
  out.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr *>(&out), sizeof out);
  socklen_t len = sizeof out;
  getsockname(fd, reinterpret_cast<sockaddr *>(&out), &len);
  return fd;
}

ngtcp2_path path_of(Side &side) {
  return {{reinterpret_cast<sockaddr *>(&side.local), sizeof side.local},
          {reinterpret_cast<sockaddr *>(&side.remote), sizeof side.remote},
          nullptr};
}

}  // namespace

struct RawNgtcp2Pair::State {
  bool pack = true;
  Shared shared;
  std::unique_ptr<quic::TlsContext> server_tls;
  std::unique_ptr<quic::TlsContext> client_tls;
  Side client;
  Side server;
  std::vector<uint8_t> buffer = std::vector<uint8_t>(65536);
  std::vector<uint8_t> out = std::vector<uint8_t>(kMaxUdpPayload);
  std::vector<uint8_t> payload = std::vector<uint8_t>(1500, 0x5a);
  size_t next = 0;
  size_t count = 0;
  size_t size = 0;
  uint64_t gap_ns = 0;
  uint64_t next_due = 0;

  bool start_tls(Side &side, quic::TlsContext &tls) {
    side.ref = {get_conn, &side};
    std::string error;
    side.session = tls.new_session(side.server, &side.ref, error);
    if (side.session == nullptr) return false;
    ngtcp2_conn_set_tls_native_handle(side.conn, side.session);
    return true;
  }

  bool start_client() {
    ngtcp2_cid dcid, scid;
    dcid.datalen = scid.datalen = kCidLength;
    gnutls_rnd(GNUTLS_RND_RANDOM, dcid.data, kCidLength);
    gnutls_rnd(GNUTLS_RND_RANDOM, scid.data, kCidLength);
    ngtcp2_settings settings;
    ngtcp2_transport_params params;
    settings_and_params(settings, params);
    auto cb = callbacks(false);
    ngtcp2_path path = path_of(client);
    if (ngtcp2_conn_client_new(&client.conn, &dcid, &scid, &path, NGTCP2_PROTO_VER_V1, &cb,
                               &settings, &params, nullptr, &client) != 0) {
      return false;
    }
    return start_tls(client, *client_tls);
  }

  void accept(const uint8_t *data, size_t size) {
    ngtcp2_pkt_hd hd;
    if (ngtcp2_accept(&hd, data, size) != 0) return;
    ngtcp2_cid scid;
    scid.datalen = kCidLength;
    gnutls_rnd(GNUTLS_RND_RANDOM, scid.data, kCidLength);
    ngtcp2_settings settings;
    ngtcp2_transport_params params;
    settings_and_params(settings, params);
    params.original_dcid = hd.dcid;
    auto cb = callbacks(true);
    ngtcp2_path path = path_of(server);
    if (ngtcp2_conn_server_new(&server.conn, &hd.scid, &scid, &path, hd.version, &cb, &settings,
                               &params, nullptr, &server) == 0) {
      start_tls(server, *server_tls);
    }
  }

  void receive(Side &side) {
    for (;;) {
      ssize_t n = recv(side.fd, buffer.data(), buffer.size(), 0);
      if (n <= 0) return;
      if (side.conn == nullptr) accept(buffer.data(), static_cast<size_t>(n));
      if (side.conn == nullptr) continue;
      ngtcp2_path path = path_of(side);
      ngtcp2_pkt_info pi{};
      ngtcp2_conn_read_pkt(side.conn, &path, &pi, buffer.data(), static_cast<size_t>(n),
                           quic::now_ns());
    }
  }

  void flush(Side &side) {
    if (side.conn == nullptr) return;
    uint64_t ts = quic::now_ns();
    if (ngtcp2_conn_get_expiry(side.conn) <= ts) ngtcp2_conn_handle_expiry(side.conn, ts);
    ngtcp2_path_storage ps;
    ngtcp2_path_storage_zero(&ps);
    ngtcp2_pkt_info pi{};
    for (;;) {
      ngtcp2_ssize n;
      bool due = !side.server && side.handshake_done && next < count &&
                 (gap_ns == 0 || quic::now_ns() >= next_due);
      if (due) {
        uint64_t now = quic::now_ns();
        std::memcpy(payload.data(), &now, sizeof now);
        ngtcp2_vec vec{payload.data(), size};
        int accepted = 0;
        n = ngtcp2_conn_writev_datagram(side.conn, &ps.path, &pi, out.data(), out.size(), &accepted,
                                        pack ? NGTCP2_WRITE_DATAGRAM_FLAG_MORE : 0, next, &vec, 1,
                                        ts);
        if (accepted != 0) {
          ++next;
          next_due = now + gap_ns;
        }
        if (n == NGTCP2_ERR_WRITE_MORE) continue;
      } else {
        n = ngtcp2_conn_write_pkt(side.conn, &ps.path, &pi, out.data(), out.size(), ts);
      }
      if (n <= 0) break;
      send(side.fd, out.data(), static_cast<size_t>(n), 0);
    }
    ngtcp2_conn_update_pkt_tx_time(side.conn, ts);
  }

  // When the pair next has something to do without a packet arriving: an
  // ngtcp2 timer, or the next datagram to send.
  uint64_t next_wakeup_ns() const {
    uint64_t at = UINT64_MAX;
    for (const Side *side : {&client, &server}) {
      if (side->conn != nullptr) at = std::min(at, ngtcp2_conn_get_expiry(side->conn));
    }
    if (client.handshake_done && next < count) at = std::min(at, gap_ns == 0 ? 0 : next_due);
    return at;
  }

  // Sleeps in ppoll until a socket is readable or the next wakeup, as wzp's
  // I/O threads do, so the latency rows compare two sleeping stacks rather
  // than a spinning one against a sleeping one. Never longer than 10 ms, so
  // run()'s deadline is checked.
  void pump() {
    pollfd fds[2] = {{client.fd, POLLIN, 0}, {server.fd, POLLIN, 0}};
    const uint64_t now = quic::now_ns();
    const uint64_t wake = next_wakeup_ns();
    const uint64_t wait = wake <= now ? 0 : std::min<uint64_t>(wake - now, 10'000'000);
    timespec timeout{static_cast<time_t>(wait / 1'000'000'000),
                     static_cast<long>(wait % 1'000'000'000)};
    ppoll(fds, 2, &timeout, nullptr);
    receive(server);
    receive(client);
    flush(client);
    flush(server);
  }
};

RawNgtcp2Pair::RawNgtcp2Pair(bool pack) : state_(std::make_unique<State>()) {
  State &s = *state_;
  s.pack = pack;
  std::string error;
  s.server_tls = quic::TlsContext::create(quic::TlsConfig{}, true, error);
  quic::TlsConfig client_tls;
  client_tls.server_fingerprint = s.server_tls ? s.server_tls->fingerprint() : "";
  s.client_tls = quic::TlsContext::create(client_tls, false, error);
  s.client.shared = s.server.shared = &s.shared;
  s.server.server = true;
  s.client.fd = bound_socket(s.client.local);
  s.server.fd = bound_socket(s.server.local);
  s.client.remote = s.server.local;
  s.server.remote = s.client.local;
  connect(s.client.fd, reinterpret_cast<sockaddr *>(&s.client.remote), sizeof s.client.remote);
  connect(s.server.fd, reinterpret_cast<sockaddr *>(&s.server.remote), sizeof s.server.remote);
  if (!s.client_tls || !s.server_tls || !s.start_client()) return;
  // Handshake, then let path MTU discovery raise the limit for 1200-byte data.
  uint64_t deadline = quic::now_ns() + 3 * NGTCP2_SECONDS;
  while (quic::now_ns() < deadline &&
         !(s.client.handshake_done && s.server.handshake_done &&
           ngtcp2_conn_get_path_max_tx_udp_payload_size(s.client.conn) >= kMaxUdpPayload)) {
    s.pump();
  }
}

RawNgtcp2Pair::~RawNgtcp2Pair() {
  for (Side *side : {&state_->client, &state_->server}) {
    if (side->conn != nullptr) ngtcp2_conn_del(side->conn);
    if (side->session != nullptr) gnutls_deinit(side->session);
    if (side->fd >= 0) close(side->fd);
  }
}

bool RawNgtcp2Pair::ready() const {
  return state_->client.handshake_done && state_->server.handshake_done;
}

size_t RawNgtcp2Pair::run(size_t count, size_t size, uint64_t gap_ns,
                          std::vector<uint64_t> *latencies) {
  State &s = *state_;
  s.shared = {};
  s.shared.latencies = latencies;
  s.next = 0;
  s.count = count;
  s.size = std::clamp<size_t>(size, sizeof(uint64_t), s.payload.size());
  s.gap_ns = gap_ns;
  uint64_t deadline = quic::now_ns() + 10 * NGTCP2_SECONDS;
  while ((s.next < count || s.shared.delivered + s.shared.lost < count) &&
         quic::now_ns() < deadline) {
    s.pump();
  }
  return s.shared.delivered;
}

}  // namespace wzp::bench
