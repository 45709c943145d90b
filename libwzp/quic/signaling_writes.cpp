// A connection's signaling stream on the way out: what is written when,
// the PTO anchors that keep datagram-only packets under ngtcp2's probe
// timeout, and the probes that bring the acknowledgements signaling waits
// for (docs/quic.md, "PTO anchor", "Lost anchors at offset 0").
#include <algorithm>
#include <array>

#include "libwzp/quic/connection.hpp"
#include "libwzp/quic/message_framing.hpp"

namespace wzp::quic {

bool Connection::signaling_unacknowledged() const {
  return handshake_done_ && unacknowledged(stream_written_);
}

// The padding alone (write_pto_anchor) is no signaling to wait for.
bool Connection::unacknowledged(uint64_t end) const {
  return stream_acked_ < end && end > stream_padding_;
}

// A client whose handshake is complete but not confirmed waits for the
// server's HANDSHAKE_DONE, which ngtcp2 retransmits only once it is found
// lost: probes bring the acknowledgements that find it so.
bool Connection::awaiting_acknowledgement() const {
  // A raced attempt does not probe: the dial's own probes are enough.
  return signaling_unacknowledged() ||
         (!server_ && !race_attempt_ && handshake_done_ && !confirmed_);
}

uint64_t Connection::bytes_in_flight() const {
  ngtcp2_conn_stat cstat;
  ngtcp2_conn_get_conn_stat(conn_, &cstat);
  return cstat.bytes_in_flight;
}

// A packet ngtcp2 wrote on its own (not our new signaling, not a datagram)
// that it counts in flight is ack-eliciting: while signaling is
// unacknowledged, mostly a retransmission of lost signaling, which deserves
// the echoes its first transmission had; otherwise each retry is a single
// packet, and at 70 % bursty loss logins ran out of time. Path MTU probes
// (larger than the path's payload size) are not.
bool Connection::resends_signaling(uint64_t in_flight_before, size_t packet_size) const {
  return signaling_unacknowledged() && bytes_in_flight() > in_flight_before &&
         packet_size <= ngtcp2_conn_get_path_max_tx_udp_payload_size(conn_);
}

// An ack-eliciting packet with nothing new in it, then whatever ngtcp2 adds
// (acknowledgements, retransmissions): the PTO anchor once established;
// before that (a client waiting to be confirmed) an empty DATAGRAM, which
// readers drop. Nothing is written on our stream before the connection is
// established: an unconfirmed client's anchors, which the server cannot
// read, hit the crash write_pto_anchor explains (docs/quic.md, "A client
// complete but never confirmed").
void Connection::send_signaling_probe(uint64_t ts) {
  ngtcp2_path_storage ps;
  ngtcp2_path_storage_zero(&ps);
  ngtcp2_pkt_info pi{};
  uint8_t *buffer = packet_buffer_.data();
  size_t size = ngtcp2_conn_get_max_tx_udp_payload_size(conn_);
  ngtcp2_ssize n = NGTCP2_ERR_WRITE_MORE;
  if (established_) {
    n = write_pto_anchor(buffer, size, ts, ps, pi);
  } else {
    int accepted = 0;
    n = ngtcp2_conn_writev_datagram(conn_, &ps.path, &pi, buffer, size, &accepted,
                                    NGTCP2_WRITE_DATAGRAM_FLAG_MORE, kProbeDatagramId, nullptr, 0,
                                    ts);
  }
  if (n == NGTCP2_ERR_WRITE_MORE) n = ngtcp2_conn_write_pkt(conn_, &ps.path, &pi, buffer, size, ts);
  if (n < 0) {
    fail(static_cast<int>(n), ts);
    return;
  }
  // Nothing written (the congestion window is full): try again an interval on.
  signaling_probe_.sent(ts);
  if (n == 0) return;
  // Not echoed: a copy repeats the packet number, which elicits no acknowledgement.
  host_.send_packet(ps.path, {buffer, static_cast<size_t>(n)});
  bytes_sent_ += static_cast<uint64_t>(n);
  ++io_stats_.udp_packets_sent;
  ++io_stats_.signaling_probes_sent;
}

bool Connection::write_pending_stream(uint8_t *buffer, size_t size, uint64_t ts,
                                      ngtcp2_path_storage &ps, ngtcp2_pkt_info &pi,
                                      ngtcp2_ssize &written, bool &blocked) {
  if (stream_written_ >= stream_end_) return false;
  if (send_stream_ < 0 && ngtcp2_conn_open_bidi_stream(conn_, &send_stream_, nullptr) != 0) {
    send_stream_ = -1;  // no stream credit yet; try after the peer grants some
    return false;
  }
  // The unsent bytes, chunk by chunk, from where the last write stopped.
  constexpr size_t kMaxVecs = 8;
  std::array<ngtcp2_vec, kMaxVecs> vecs{};
  size_t vec_count = 0;
  uint64_t chunk_start = stream_front_;
  for (auto &chunk : stream_chunks_) {
    uint64_t chunk_end = chunk_start + chunk.size();
    if (chunk_end > stream_written_ && vec_count < kMaxVecs) {
      size_t skip = static_cast<size_t>(std::max(stream_written_, chunk_start) - chunk_start);
      vecs[vec_count++] = {chunk.data() + skip, chunk.size() - skip};
    }
    chunk_start = chunk_end;
  }
  ngtcp2_ssize accepted = -1;
  written = ngtcp2_conn_writev_stream(conn_, &ps.path, &pi, buffer, size, &accepted,
                                      NGTCP2_WRITE_STREAM_FLAG_MORE, send_stream_, vecs.data(),
                                      vec_count, ts);
  if (accepted > 0) stream_written_ += static_cast<uint64_t>(accepted);
  if (written == NGTCP2_ERR_STREAM_DATA_BLOCKED || written == NGTCP2_ERR_STREAM_SHUT_WR) {
    blocked = true;
    written = NGTCP2_ERR_WRITE_MORE;  // nothing written: carry on with other frames
  }
  return true;
}

// ngtcp2 0.12 arms its probe timeout (PTO) only for packets with a
// retransmittable frame; a DATAGRAM frame is ack-eliciting but not one. If
// every packet in flight carries only datagrams and all of them (or their
// acks) are lost, no later ack can declare them lost, no PTO fires to send a
// probe past the full congestion window, and the connection never sends
// again. An empty STREAM frame on our signaling stream costs a few bytes,
// is never retransmitted once the stream has had data acknowledged, and
// makes the packet count for the PTO.
//
// Until the stream has sent a byte (or had a frame acknowledged) ngtcp2
// retransmits a lost empty frame at offset 0, and two of them found lost by
// one acknowledgement collide in the stream's retransmission queue: an
// assertion in conn_recv_ack aborts the process (docs/quic.md, "Lost
// anchors at offset 0"). So the first anchor carries bytes: what is queued,
// else padding, which readers skip. No byte can be sent (the peer granted
// no credit): no anchor.
ngtcp2_ssize Connection::write_pto_anchor(uint8_t *buffer, size_t size, uint64_t ts,
                                          ngtcp2_path_storage &ps, ngtcp2_pkt_info &pi) {
  if (send_stream_ < 0 && ngtcp2_conn_open_bidi_stream(conn_, &send_stream_, nullptr) != 0) {
    send_stream_ = -1;
    return NGTCP2_ERR_WRITE_MORE;  // no stream credit: the datagram goes alone
  }
  if (stream_written_ == 0) {
    if (stream_end_ == 0) {
      append_padding(stream_chunks_.emplace_back());
      stream_end_ = stream_padding_ = kMessageLengthSize;
    }
    ngtcp2_ssize n = NGTCP2_ERR_WRITE_MORE;
    bool blocked = false;
    write_pending_stream(buffer, size, ts, ps, pi, n, blocked);
    if (stream_written_ > 0) ++io_stats_.pto_anchors;
    return n;
  }
  ngtcp2_ssize accepted = -1;
  ngtcp2_ssize n =
      ngtcp2_conn_writev_stream(conn_, &ps.path, &pi, buffer, size, &accepted,
                                NGTCP2_WRITE_STREAM_FLAG_MORE, send_stream_, nullptr, 0, ts);
  if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED || n == NGTCP2_ERR_STREAM_SHUT_WR) {
    return NGTCP2_ERR_WRITE_MORE;
  }
  // ngtcp2 sets the accepted length (0 here) only when the frame went into the packet.
  if (accepted >= 0) ++io_stats_.pto_anchors;
  return n;
}

}  // namespace wzp::quic
