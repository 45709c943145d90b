#include "libwzp/quality/packet_counts.hpp"

namespace wzp::quality {

PacketCounts StreamArrivals::on_packet(uint32_t sequence, bool forwarded) {
  PacketCounts added{.sent = 0, .arrived = forwarded ? 1u : 0u};
  const bool first = !unwrapper_.started();
  const int64_t extended = unwrapper_.peek(sequence);
  if (first || extended > newest_) {
    added.sent = first ? 1 : static_cast<uint64_t>(extended - newest_);
    newest_ = extended;
  }
  unwrapper_.commit(sequence, extended);
  totals_ += added;
  return added;
}

}  // namespace wzp::quality
