// Probes for unacknowledged signaling (docs/quic.md, "Signaling under heavy
// loss").
//
// A lost packet is retransmitted at once when the peer acknowledges one sent
// after it (RFC 9002, 6.1). A message at the tail of a flight, with nothing
// sent after it, waits instead for a probe timeout that ngtcp2 0.12 doubles
// with every loss and never caps: at 50 % bursty loss a login waited past the
// daemon's 10 s limit. Echoes (EchoSchedule) do not help once the original
// arrived but its acknowledgement was lost, as the peer does not acknowledge
// a duplicate packet number again. A probe is a new ack-eliciting packet: each
// one that gets through brings an acknowledgement, and with it the
// retransmission of whatever it shows missing. Times are given by the
// caller, so this runs without a clock.
#pragma once

#include <cstdint>

namespace wzp::quic {

class TailProbe {
 public:
  // 0: never probe.
  explicit TailProbe(uint64_t interval_ns) : interval_ns_(interval_ns) {}

  // An ack-eliciting packet went out at `now_ns`.
  void sent(uint64_t now_ns) { last_sent_ns_ = now_ns; }

  // When the next probe is due: an interval after the last ack-eliciting
  // packet while something is unacknowledged; UINT64_MAX otherwise.
  uint64_t due_ns(bool unacknowledged) const {
    if (!unacknowledged || interval_ns_ == 0) return UINT64_MAX;
    return last_sent_ns_ + interval_ns_;
  }

 private:
  uint64_t interval_ns_;
  uint64_t last_sent_ns_ = 0;
};

}  // namespace wzp::quic
