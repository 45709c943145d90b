#include "libwzp/audio/vad.hpp"

#include <algorithm>
#include <cmath>

namespace wzp::audio {

namespace {
constexpr double kSilenceDbfs = -127.5;
constexpr double kFullScale = 32768.0;
}  // namespace

double frame_level_dbfs(std::span<const int16_t> samples) {
  if (samples.empty()) return kSilenceDbfs;
  double energy = 0;
  for (int16_t s : samples) energy += static_cast<double>(s) * s;
  energy /= static_cast<double>(samples.size()) * kFullScale * kFullScale;
  if (energy <= 0) return kSilenceDbfs;
  return std::max(kSilenceDbfs, 10.0 * std::log10(energy));
}

VoiceActivityDetector::VoiceActivityDetector(VadConfig config) : config_(config) {
  config_.sample_rate = std::max(config_.sample_rate, 1);
  slot_samples_ = std::max<int64_t>(
      1, static_cast<int64_t>(config_.floor_window_ms) * config_.sample_rate / 1000 / kSlots);
  hangover_samples_ =
      std::max<int64_t>(0, static_cast<int64_t>(config_.hangover_ms) * config_.sample_rate / 1000);
  reset();
}

void VoiceActivityDetector::reset() {
  slots_filled_ = 0;
  next_slot_ = 0;
  current_minimum_ = 0;
  current_samples_ = 0;
  hangover_left_ = 0;
}

double VoiceActivityDetector::noise_floor_dbfs() const {
  double floor = current_samples_ > 0 ? current_minimum_ : 0.0;
  for (int i = 0; i < slots_filled_; ++i) floor = std::min(floor, slot_minimum_[i]);
  return floor;
}

bool VoiceActivityDetector::is_speech(std::span<const int16_t> frame) {
  const double level = frame_level_dbfs(frame);
  current_minimum_ = current_samples_ > 0 ? std::min(current_minimum_, level) : level;
  current_samples_ += static_cast<int64_t>(frame.size());
  const bool warming_up = slots_filled_ == 0;
  if (current_samples_ >= slot_samples_) {
    slot_minimum_[next_slot_] = current_minimum_;
    next_slot_ = (next_slot_ + 1) % kSlots;
    slots_filled_ = std::min(slots_filled_ + 1, kSlots);
    current_samples_ = 0;
  }
  const bool loud =
      level > noise_floor_dbfs() + config_.threshold_db && level > config_.min_speech_dbfs;
  if (loud || warming_up) {
    hangover_left_ = hangover_samples_;
    return true;
  }
  if (hangover_left_ > 0) {
    hangover_left_ -= static_cast<int64_t>(frame.size());
    return true;
  }
  return false;
}

}  // namespace wzp::audio
