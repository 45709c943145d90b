#include "libwzp/quality/sender_policer.hpp"

#include <algorithm>

namespace wzp::quality {

SenderPolicer::SenderPolicer(Tier room_tier, Micros now, const PolicerConfig &config)
    : config_(config), budget_tier_(room_tier), last_(now), video_last_(now) {
  tokens_ = depth_bytes();
  video_tokens_ = video_depth_bytes();
}

double SenderPolicer::rate_bytes_per_second() const {
  return profile(budget_tier_).datagram_bitrate_bps() / 8.0 * config_.rate_headroom;
}

double SenderPolicer::depth_bytes() const {
  return rate_bytes_per_second() * std::chrono::duration<double>(config_.burst).count();
}

double SenderPolicer::video_depth_bytes() const {
  return config_.video_bytes_per_second * std::chrono::duration<double>(config_.burst).count();
}

void SenderPolicer::follow(Tier room_tier, Micros now) {
  if (room_tier >= budget_tier_) {
    budget_tier_ = room_tier;
    lower_since_.reset();
    return;
  }
  if (!lower_since_) lower_since_ = now;
  if (now - *lower_since_ >= config_.step_down_grace) {
    budget_tier_ = room_tier;
    lower_since_.reset();
    tokens_ = std::min(tokens_, depth_bytes());
  }
}

bool SenderPolicer::admit(size_t bytes, Tier room_tier, Micros now) {
  now = std::max(now, last_);
  // Refilled at the rate in effect since the last datagram, before a
  // change of tier applies.
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(depth_bytes(), tokens_ + elapsed * rate_bytes_per_second());
  last_ = now;
  follow(room_tier, now);
  if (tokens_ < static_cast<double>(bytes)) return false;
  tokens_ -= static_cast<double>(bytes);
  return true;
}

bool SenderPolicer::admit_video(size_t bytes, Micros now) {
  now = std::max(now, video_last_);
  const double elapsed = std::chrono::duration<double>(now - video_last_).count();
  video_tokens_ =
      std::min(video_depth_bytes(), video_tokens_ + elapsed * config_.video_bytes_per_second);
  video_last_ = now;
  if (video_tokens_ < static_cast<double>(bytes)) return false;
  video_tokens_ -= static_cast<double>(bytes);
  return true;
}

}  // namespace wzp::quality
