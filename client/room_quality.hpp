// A room's quality loop (docs/rooms.md): the daemon's room quality
// (docs/signal.md "Rooms (SFU)") reads the report each member's packets
// carry and, from the weakest member's reports, directs the room's tier.
// We report what reaches us across every member's branch, with the RTT of
// our connection to the relay, and set our sender to each directed tier.
#pragma once

#include <gst/gst.h>

#include <optional>

#include "client/adaptive.hpp"
#include "client/quality_report.hpp"

namespace wzp::client {

class RoomQuality {
 public:
  // `sender` holds our encoder, wzpfecenc and wzpquicsink; `receiver` the
  // members' branches (found as they come and go). Both stay owned by the
  // caller and must outlive this object. The sender starts at `initial`.
  RoomQuality(GstElement *sender, GstElement *receiver, quality::Tier initial);
  ~RoomQuality();
  RoomQuality(const RoomQuality &) = delete;
  RoomQuality &operator=(const RoomQuality &) = delete;

  // The daemon's directive.
  void direct(quality::Tier tier) { settings_.impose(tier); }
  // About once a second: our report since the last call, handed to our
  // wzpfecenc; nullopt while no member's frames arrived.
  std::optional<quality::PathObservation> tick();

  quality::Tier tier() const { return settings_.tier(); }
  const quality::TierHistory &history() const { return settings_.history(); }

 private:
  GstElement *quic_sink_;
  GstElement *fec_encoder_;
  // Only applies tiers: the daemon, not a controller here, decides them.
  AdaptiveQuality settings_;
  QualityReporter reporter_;
};

}  // namespace wzp::client
