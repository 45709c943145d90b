// What one member may cost the others in a room: the relay forwards each
// member's datagrams to everyone else, so a member that sends more than its
// tier makes every receiver's link carry it. A token bucket of bytes per
// sender, filled at the room tier's datagram rate (TierProfile, the same
// table the clients send by) with headroom, so an honest sender is never
// policed and a flooding one costs the others at most that budget.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "libwzp/quality/controller.hpp"
#include "libwzp/quality/tier.hpp"

namespace wzp::quality {

struct PolicerConfig {
  // The rate over the tier's datagram rate: Opus VBR speech above its
  // average, the quality report some packets carry, and slack, so honest
  // media is never dropped (docs/rooms.md "Per-sender policing").
  double rate_headroom = 2.0;
  // The bucket's depth as time at the policed rate: a sender's bursts (a
  // group's repair at once, a stall in its pipeline or its path) pass.
  Micros burst{std::chrono::seconds(1)};
  // After the room steps down, its members keep the budget of the tier it
  // left this long: the directive takes a round trip and a pipeline switch
  // to act on.
  Micros step_down_grace{std::chrono::seconds(5)};
  // Video (and keyframe requests) has a bucket of its own, so a member's
  // video never spends its audio's budget: audio is not starved by it.
  // Its rate is not a tier's: 3 Mbit/s carries 720p/30 at 1.5 Mbit/s with
  // as much repair as media (docs/video.md, "In a call").
  double video_bytes_per_second = 3e6 / 8;
};

class SenderPolicer {
 public:
  // Starts with a full bucket at `room_tier`'s budget.
  SenderPolicer(Tier room_tier, Micros now, const PolicerConfig &config = {});

  // Whether a datagram of `bytes` that arrived at `now`, while the room is at
  // `room_tier`, fits the sender's budget; its bytes are taken if so.
  // Times may repeat; a time earlier than the last given counts as the last.
  bool admit(size_t bytes, Tier room_tier, Micros now);
  // The same for a video datagram, from the video bucket (burst as above).
  bool admit_video(size_t bytes, Micros now);

  // The tier whose rate the budget follows (the room's, or for
  // step_down_grace the one it left).
  Tier budget_tier() const { return budget_tier_; }
  // The policed rate, bytes per second.
  double rate_bytes_per_second() const;

 private:
  void follow(Tier room_tier, Micros now);
  double depth_bytes() const;
  double video_depth_bytes() const;

  PolicerConfig config_;
  Tier budget_tier_;
  std::optional<Micros> lower_since_;  // when the room went below budget_tier_
  double tokens_;                      // bytes
  Micros last_;
  double video_tokens_;  // bytes
  Micros video_last_;
};

}  // namespace wzp::quality
