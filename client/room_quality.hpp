// What reaches us in a room, reported to the relay: the daemon's room
// quality (docs/signal.md "Rooms (SFU)") reads the report each member's
// packets carry in their headers, and from the weakest member's reports it
// chooses the room's tier. Our report is the loss our FEC decoders saw
// across every member's branch (the source packets that did not arrive)
// and the RTT of our connection to the relay; it goes into our wzpfecenc's
// `quality-report`, as a call's AdaptiveQuality does for its one peer.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <optional>

#include "libwzp/quality/tier.hpp"

namespace wzp::client {

class RoomQualityReporter {
 public:
  // `receiver` holds the branches (found by factory, as they come and go);
  // `sender` holds our wzpfecenc and wzpquicsink. Both stay owned by the caller.
  RoomQualityReporter(GstElement *receiver, GstElement *sender);

  // About once a second: the report since the last call, handed to our
  // wzpfecenc; nullopt (and nothing set) while no member's frames arrived.
  std::optional<quality::PathObservation> tick();

 private:
  struct Frames {
    uint64_t arrived = 0;  // source packet arrived
    uint64_t missing = 0;  // recovered by FEC or lost
  };
  Frames count_frames() const;

  GstElement *receiver_;
  GstElement *sender_;
  Frames counted_;
};

}  // namespace wzp::client
