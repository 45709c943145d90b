// Video's rungs above the audio ladder (docs/quality.md, "Video in the
// ladder"): what a call's picture sends, shed before the audio's tier is
// touched. Clock-free like the controller: every call takes the time.
//
// Once a second the caller hands over what the audio's controller saw (the
// peer's report, judged against the audio tier) and what our own video
// sender saw (datagrams dropped stale in the QUIC queue). The rules:
//
// - Down one step on a second whose report the audio tier cannot sustain:
//   the audio's controller steps down after three such reports in a row, and
//   three steps from the top are "off", so the picture is gone by the time
//   the speech would lose its tier.
// - Off at once when a report breaks the audio tier's loss limit by the
//   controller's collapse margin (the audio steps down at once then), when the
//   audio is at its lowest tier (its path carries nothing more), or when a
//   known bandwidth cannot carry the audio and the lowest picture.
// - Down one step when our video datagrams went stale in the send queue: the
//   path did not carry what we sent. With a known bandwidth, straight to the
//   best step it carries beside the audio.
// - Up one step after `up_hold` without any of these, where a known
//   bandwidth carries it; the hold doubles after each step down that follows
//   an up step within it (a path that cannot hold the higher step is not
//   disturbed every 10 s), up to `up_hold_max`.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "libwzp/quality/controller.hpp"
#include "libwzp/quality/tier.hpp"

namespace wzp::quality {

// The picture's size and frame rate stay (640x360 at 15 frames/s, the
// client's): a size change mid-call is a caps change, which the receiver's
// Matroska output cannot follow (docs/video.md, "Video in the ladder").
struct VideoStep {
  std::string_view name;
  uint16_t fps;
  uint32_t bitrate_kbps;  // 0: no video
  // Bits per second on the wire: the picture, its FEC repair (as much again,
  // client/call_video) and every datagram's overhead (a frame leaves as at
  // least 8 source and 8 repair symbols).
  uint32_t wire_kbps() const;
};

// Lowest first: step 0 is off.
std::span<const VideoStep> video_steps();
inline constexpr size_t kVideoOff = 0;

struct VideoLadderConfig {
  size_t initial = 3;  // the top step, the client's 400 kbit/s
  Micros up_hold{std::chrono::seconds(10)};
  Micros up_hold_max{std::chrono::seconds(160)};
  // The audio controller's: a report this far beyond the audio tier's loss
  // limit steps the audio down at once.
  double collapse_loss_excess = ControllerConfig{}.collapse_loss_excess;
};

// One second of evidence.
struct VideoSample {
  Tier audio_tier = kCallStartTier;
  // The peer's report this second, if one came.
  std::optional<PathObservation> report;
  // Our video datagrams the QUIC sender dropped as stale this second.
  uint64_t stale_drops = 0;
};

class VideoLadder {
 public:
  explicit VideoLadder(const VideoLadderConfig &config = {}, Micros now = Micros{0});

  // Returns the new step when it changed.
  std::optional<size_t> on_sample(Micros now, const VideoSample &sample);

  size_t step() const { return step_; }
  const VideoStep &current() const { return video_steps()[step_]; }
  uint32_t steps_down() const { return steps_down_; }

 private:
  std::optional<size_t> change(Micros now, size_t to);
  // The best step a known bandwidth carries beside the audio tier.
  static size_t fits(uint32_t bandwidth_kbps, Tier audio_tier);

  VideoLadderConfig config_;
  size_t step_;
  Micros calm_since_;  // the last change or sign of trouble
  Micros hold_;
  std::optional<Micros> last_up_;
  uint32_t steps_down_ = 0;
};

}  // namespace wzp::quality
