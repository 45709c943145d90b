#include "libwzp/quality/video_ladder.hpp"

#include <algorithm>
#include <array>

namespace wzp::quality {
namespace {

// 400 kbit/s is the call's picture (client/call_video); each step below
// about halves the picture's share of the wire, headers included.
constexpr std::array<VideoStep, 4> kSteps{{
    {"off", 0, 0},
    {"150k", 15, 150},
    {"250k", 15, 250},
    {"400k", 15, 400},
}};

constexpr uint32_t kDatagramsPerFrame = 16;

}  // namespace

uint32_t VideoStep::wire_kbps() const {
  if (bitrate_kbps == 0) return 0;
  return 2 * bitrate_kbps +
         kDatagramsPerFrame * (kDatagramOverheadBytes + kTransportOverheadBytes) * 8 * fps / 1000;
}

std::span<const VideoStep> video_steps() { return kSteps; }

VideoLadder::VideoLadder(const VideoLadderConfig &config, Micros now)
    : config_(config),
      step_(std::min(config.initial, kSteps.size() - 1)),
      calm_since_(now),
      hold_(config.up_hold) {}

size_t VideoLadder::fits(uint32_t bandwidth_kbps, Tier audio_tier) {
  const uint32_t audio_kbps = profile(audio_tier).wire_bitrate_bps() / 1000;
  size_t best = kVideoOff;
  for (size_t i = 1; i < kSteps.size(); ++i) {
    if (audio_kbps + kSteps[i].wire_kbps() <= bandwidth_kbps) best = i;
  }
  return best;
}

std::optional<size_t> VideoLadder::change(Micros now, size_t to) {
  calm_since_ = now;
  if (to == step_) return std::nullopt;
  if (to < step_) {
    ++steps_down_;
    // Down again soon after going up: that step does not hold here.
    if (last_up_ && now - *last_up_ < hold_) hold_ = std::min(hold_ * 2, config_.up_hold_max);
  } else {
    last_up_ = now;
  }
  step_ = to;
  return step_;
}

std::optional<size_t> VideoLadder::on_sample(Micros now, const VideoSample &sample) {
  const TierProfile &audio = profile(sample.audio_tier);
  const std::optional<PathObservation> &report = sample.report;
  const uint32_t bandwidth = report ? report->bandwidth_kbps : 0;
  if (sample.audio_tier == kLowestTier ||
      (report && report->loss > audio.max_loss + config_.collapse_loss_excess) ||
      (bandwidth > 0 && fits(bandwidth, sample.audio_tier) == kVideoOff)) {
    return change(now, kVideoOff);
  }
  const size_t one_down = step_ == kVideoOff ? kVideoOff : step_ - 1;
  if (report && !sustains(audio, *report)) return change(now, one_down);
  if (sample.stale_drops > 0) {
    return change(
        now, bandwidth > 0 ? std::min(one_down, fits(bandwidth, sample.audio_tier)) : one_down);
  }
  if (now - calm_since_ < hold_ || step_ + 1 >= kSteps.size()) return std::nullopt;
  if (bandwidth > 0 && fits(bandwidth, sample.audio_tier) <= step_) return std::nullopt;
  return change(now, step_ + 1);
}

}  // namespace wzp::quality
