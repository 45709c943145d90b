// Our quality report (docs/quality.md): what of the peers' media reaches
// us, handed to our wzpfecenc's `quality-report` so it rides our packets to
// the peer (a call) or the relay (a room, where the daemon picks the tier
// from its weakest member's reports). Loss is what our FEC decoders saw
// (the source packets that did not arrive, FEC recovered or not); RTT and
// jitter are what a QUIC element measures.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <optional>

#include "libwzp/quality/packet_counts.hpp"
#include "libwzp/quality/tier.hpp"

namespace wzp::client {

// RTT and its variation (our jitter figure) as a wzpquicsink or wzpquicsrc
// measures them; nullopt for a null element or before the first RTT sample.
struct QuicPathStats {
  double loss = 0;  // over the connection's life: for display
  uint32_t rtt_ms = 0;
  uint32_t jitter_ms = 0;
  uint64_t datagrams_acked = 0;  // running totals, for a recent figure (quality::LossWindow)
  uint64_t datagrams_lost = 0;
};
std::optional<QuicPathStats> quic_path_stats(GstElement *quic);

class QualityReporter {
 public:
  // `receiver` (a bin or the element) is searched for every wzpfecdec at
  // each tick, as a room's branches come and go; `fec_encoder` gets the
  // report. Both unowned, either may be null.
  QualityReporter(GstElement *receiver, GstElement *fec_encoder);

  // About once a second: the report since the last call, handed to the
  // encoder; nullopt (and nothing set) while no frame arrived, e.g. in the
  // peers' silence.
  std::optional<quality::PathObservation> tick(uint32_t rtt_ms, uint32_t jitter_ms);

 private:
  // Running totals over every wzpfecdec.
  struct Counts {
    uint64_t arrived = 0;  // frames whose source packet arrived
    uint64_t missing = 0;  // frames recovered by FEC or lost
    // Packets by sequence number: unlike frames, these count blocks lost
    // whole, which under bursty loss are many (the report's loss is theirs).
    quality::PacketCounts packets;
  };
  Counts count() const;

  GstElement *receiver_;
  GstElement *fec_encoder_;
  Counts counted_;
};

}  // namespace wzp::client
