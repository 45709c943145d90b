// Settings, callbacks and counters of the QUIC transport.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace wzp::quic {

// ngtcp2 0.12's controllers. BBRv2 keeps its window through heavy random
// loss, where CUBIC and ngtcp2's BBR (v1, whose loss recovery takes the lost
// bytes off the window) fall to two packets: measured in docs/quic.md, so
// it is the default for media.
enum class CongestionControl { kCubic, kBbr2, kBbr };

struct TlsConfig {
  std::vector<std::string> alpn{"wzp/1"};
  // Server identity as PEM files; when both are empty an accepting endpoint
  // generates a self-signed certificate at start (see Endpoint::fingerprint).
  std::string certificate_file;
  std::string private_key_file;
  // How a client verifies the server: a pinned SHA-256 certificate
  // fingerprint (hex, colons optional) wins; otherwise the CA file, otherwise
  // the system trust store.
  std::string server_fingerprint;
  std::string ca_file;
  std::string server_name;  // SNI, and the name a CA-signed certificate must carry
};

struct EndpointConfig {
  std::string bind_address = "0.0.0.0";
  uint16_t bind_port = 0;
  bool accept_connections = false;
  TlsConfig tls;
  CongestionControl congestion_control = CongestionControl::kBbr2;
  std::chrono::milliseconds idle_timeout{10000};
  std::chrono::milliseconds handshake_timeout{5000};
  // A dialing client starts a fresh handshake every `handshake_race_interval`
  // while none has completed, up to `handshake_attempts` in all; the first
  // to complete becomes the connection and the others are closed. Each
  // attempt has its own retransmission timer, so one whose packets were lost
  // does not hold the call back behind a backoff that doubles with every
  // loss (docs/quic.md: the handshake under heavy loss).
  std::chrono::milliseconds handshake_race_interval{500};
  size_t handshake_attempts = 6;
  // Every packet a connection sends during its handshake goes out again
  // `handshake_echo_copies` times, `handshake_echo_interval` apart: a lost
  // flight is made good on this fixed schedule, not after a probe timeout
  // that doubles with each loss. The peer drops the copies it does not
  // need as duplicates. A server echoes for a moment after completing (its
  // HANDSHAKE_DONE), and never beyond 3x what it received (RFC 9000, 8.1).
  size_t handshake_echo_copies = 4;
  std::chrono::milliseconds handshake_echo_interval{100};
  // Once the handshake is done, a packet carrying new signaling bytes goes
  // out again `signaling_echo_copies` times, `signaling_echo_interval`
  // apart, for the same reason: at 50 % bursty loss a room's sender keys
  // otherwise waited seconds for ngtcp2's backed-off retransmissions
  // (docs/rooms.md, "Keys under loss"). The copies stop once the peer
  // acknowledges the packet's bytes: a path that answers within an interval
  // gets none. More copies (8, until acknowledged) cost a lossy member's
  // full downlink more than they saved (docs/rooms.md, "Echoes until
  // acknowledged"). At most 4 packets are echoed at a time, so a bulk
  // transfer is not multiplied; a datagram that shares a packet with
  // signaling is copied with it.
  size_t signaling_echo_copies = 3;
  std::chrono::milliseconds signaling_echo_interval{100};
  // While signaling bytes are unacknowledged, an ack-eliciting probe goes
  // out when nothing ack-eliciting was sent for this long, so a lost message
  // is found missing and retransmitted within a round trip of the path
  // clearing, not after a doubled probe timeout (see TailProbe). 0: off.
  std::chrono::milliseconds signaling_probe_interval{100};
  std::chrono::milliseconds keep_alive{0};  // 0: no keep-alive PINGs
  // Datagrams older than this are dropped unsent: late media is useless.
  std::chrono::milliseconds max_queue_time{200};
  size_t datagram_queue_capacity = 256;
  // Several small datagrams share one UDP packet when true. Off by default:
  // packed datagrams are lost together, which defeats FEC that counts on
  // losing symbols independently (relay trunks pack above QUIC instead).
  bool pack_datagrams = false;
  // Path MTU discovery (RFC 9000, 14.3): ngtcp2 probes with packets of up to
  // 1452 bytes once the handshake is confirmed. A voice datagram fits the
  // 1200 bytes every path carries, and on a 200 kbit/s link three probes
  // queue the call's first frames for ~190 ms (docs/quic.md), so media links
  // turn it off (LinkConfig); the daemon keeps it for links that carry more.
  // Off, an endpoint takes no packet above 1200 bytes (a transport
  // parameter), so between two such endpoints nothing is probed.
  bool path_mtu_discovery = true;
  // ngtcp2 0.12's controllers take heavy random loss for congestion and can
  // starve media for good (docs/quic.md). A connection whose media its
  // window starves (see StarvationWatch) starts a new congestion state, at
  // most every 2 s: a client by migrating, a server by asking its client
  // to bounce (which the client does only with this on). Media is sent at
  // the rate the application chose for the path; this keeps ngtcp2 from
  // cutting it far below that.
  bool restart_when_starved = true;
  size_t max_connections = 64;
  // Connections still in their handshake; Initial packets beyond this are
  // refused, which bounds what a handshake flood can cost.
  size_t max_handshakes = 16;
  // Address validation (RFC 9000, 8.1.2): once this many handshakes are in
  // progress, an Initial without a valid Retry token gets a stateless Retry
  // instead of a slot, so Initials from spoofed addresses hold at most this
  // many. Below it no Retry is sent: it costs a round trip on the connect
  // path, measured in docs/quic.md. 0: always Retry.
  size_t retry_above_handshakes = 4;
  std::chrono::milliseconds retry_token_lifetime{10000};
  // Handshakes in progress from one source (an IPv4 address, an IPv6 /64),
  // so one host that answers Retries cannot take every slot.
  size_t max_handshakes_per_source = 4;
};

// Called on the endpoint's I/O thread. They may call any Connection method.
struct ConnectionHandlers {
  std::function<void()> on_established;
  // The peer sent its first stream byte or datagram. A dial that races
  // handshakes sends neither on the attempts it drops, though the server
  // may have completed them: for a server, the sign that the client kept
  // this one.
  std::function<void()> on_active;
  std::function<void(std::span<const uint8_t>)> on_datagram;
  std::function<void(std::span<const uint8_t>)> on_message;
  // `error` is empty after a clean close by either side.
  std::function<void(const std::string &error)> on_closed;
};

struct PathStats {
  double smoothed_rtt_ms = 0;
  double rtt_variance_ms = 0;
  double min_rtt_ms = 0;  // 0 until the first RTT sample
  uint64_t congestion_window = 0;
  uint64_t bytes_in_flight = 0;
  double pacing_rate_bytes_per_s = 0;
  // Probe timeouts in a row without an acknowledgement: each one doubles
  // the wait before the next probe, so it bounds how fast a cleared path
  // is noticed.
  size_t probe_timeouts = 0;
  size_t max_udp_payload = 0;
  size_t max_datagram_payload = 0;  // the largest datagram send_datagram accepts now
};

struct ConnectionStats {
  PathStats path;
  uint64_t datagrams_queued = 0;
  uint64_t datagrams_sent = 0;
  uint64_t datagrams_received = 0;
  uint64_t datagrams_acked = 0;
  uint64_t datagrams_lost = 0;
  uint64_t datagrams_dropped_stale = 0;
  uint64_t datagrams_dropped_full = 0;
  uint64_t datagrams_dropped_oversized = 0;
  uint64_t udp_packets_sent = 0;
  uint64_t signaling_probes_sent = 0;  // EndpointConfig::signaling_probe_interval
  uint64_t signaling_echoes_sent = 0;  // EndpointConfig::signaling_echo_copies
  // STREAM frames written beside datagrams (and in probes): empty but for
  // the first, which carries padding (Connection::write_pto_anchor).
  uint64_t pto_anchors = 0;
  // Datagrams that did not fit in a packet beside its STREAM frame and so
  // left in the next one without the PTO anchor (Connection::write_pto_anchor);
  // max_datagram_payload leaves room for the anchor.
  uint64_t unanchored_datagrams = 0;
  uint64_t messages_sent = 0;
  uint64_t messages_received = 0;
  size_t handshake_attempts = 0;  // handshakes this dial started (see EndpointConfig)
  // Fresh congestion states ngtcp2 started: a client's own, or a server's
  // after its client bounced (EndpointConfig::restart_when_starved).
  uint64_t congestion_restarts = 0;
  uint64_t restart_requests_sent = 0;      // a server's asks to its client to bounce
  uint64_t restart_requests_received = 0;  // a client's, from its server
  uint64_t bounce_packets_sent = 0;        // a client's, from its second port
  // Fraction of acknowledged-or-lost datagrams that were lost.
  double datagram_loss() const {
    uint64_t settled = datagrams_acked + datagrams_lost;
    return settled == 0 ? 0.0 : static_cast<double>(datagrams_lost) / settled;
  }
};

struct EndpointStats {
  uint64_t packets_received = 0;
  uint64_t dropped_garbage = 0;      // not parseable as QUIC
  uint64_t stun_received = 0;        // STUN answers taken by Endpoint::set_stun_handler
  uint64_t dropped_unknown_cid = 0;  // no connection with that id, not an Initial
  uint64_t refused_handshakes = 0;   // Initial packets beyond the limits
  uint64_t refused_per_source = 0;   // of those, beyond max_handshakes_per_source
  uint64_t retries_sent = 0;         // EndpointConfig::retry_above_handshakes
  uint64_t dropped_bad_token = 0;    // Initials with a token we did not issue or that expired
  uint64_t connections_accepted = 0;
};

}  // namespace wzp::quic
