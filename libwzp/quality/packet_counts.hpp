// Packets sent along a path and how many arrived, counted from the
// sequence numbers that number every packet of a stream (docs/PROTOCOL.md):
// what a relay checks reports against and what a receiver reports.
#pragma once

#include <algorithm>
#include <cstdint>

#include "libwzp/jitter/unwrap.hpp"

namespace wzp::quality {

// Packets sent along a leg and how many of them arrived: running totals, or
// over a stretch (the difference of two).
struct PacketCounts {
  uint64_t sent = 0;
  uint64_t arrived = 0;

  // 0 when nothing was sent.
  double loss() const {
    return sent == 0 ? 0.0 : 1.0 - static_cast<double>(std::min(arrived, sent)) / sent;
  }
  PacketCounts operator-(const PacketCounts &base) const {
    return {sent - base.sent, arrived - base.arrived};
  }
  PacketCounts &operator+=(const PacketCounts &more) {
    sent += more.sent;
    arrived += more.arrived;
    return *this;
  }
};

// One sender's packets as they reach the relay. Its sequence numbers count
// every packet it sends (docs/PROTOCOL.md), so a gap is packets lost on the
// way; a packet the relay drops itself (policing) is as lost to the members.
// Totals only grow, so any two give the counts of the stretch between.
class StreamArrivals {
 public:
  // What the packet adds to the totals. A late packet fills its gap: it
  // arrived, but was counted as sent when the gap opened.
  PacketCounts on_packet(uint32_t sequence, bool forwarded);
  const PacketCounts &totals() const { return totals_; }

 private:
  jitter::Unwrapper unwrapper_;
  int64_t newest_ = 0;  // the newest extended sequence number
  PacketCounts totals_;
};

}  // namespace wzp::quality
