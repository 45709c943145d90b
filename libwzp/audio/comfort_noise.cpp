#include "libwzp/audio/comfort_noise.hpp"

#include <algorithm>
#include <cmath>

namespace wzp::audio {

namespace {
constexpr double kFullScale = 32768.0;
}  // namespace

std::array<double, kSidOrder> predictor_from_reflection(
    const std::array<double, kSidOrder> &reflection) {
  std::array<double, kSidOrder> a{};
  for (size_t i = 0; i < reflection.size(); ++i) {
    std::array<double, kSidOrder> previous = a;
    a[i] = reflection[i];
    for (size_t j = 0; j < i; ++j) a[j] = previous[j] + reflection[i] * previous[i - 1 - j];
  }
  return a;
}

ComfortNoise::ComfortNoise(uint32_t seed) : seed_(seed == 0 ? 1 : seed), random_(seed_) {}

void ComfortNoise::reset() {
  random_ = seed_;
  gain_ = target_gain_ = 0;
  history_ = {};
}

void ComfortNoise::set(const SidFrame &sid) {
  // White noise of variance s^2 through 1/A(z) comes out with variance
  // s^2 / prod(1 - k_i^2): scale the excitation so the output has the level.
  double prediction_gain = 1.0;
  for (double k : sid.reflection) prediction_gain *= 1.0 - k * k;
  const double rms = kFullScale * std::pow(10.0, sid.level_dbfs / 20.0);
  target_gain_ = rms * std::sqrt(std::max(prediction_gain, 0.0));
  predictor_ = predictor_from_reflection(sid.reflection);
}

void ComfortNoise::fill(std::span<int16_t> out) {
  const double step = out.empty() ? 0.0 : (target_gain_ - gain_) / static_cast<double>(out.size());
  for (int16_t &sample : out) {
    gain_ += step;
    // xorshift32: cheap, allocation-free, uniform; variance of U(-1,1) is 1/3.
    random_ ^= random_ << 13;
    random_ ^= random_ >> 17;
    random_ ^= random_ << 5;
    const double uniform = static_cast<double>(random_) / 2147483648.0 - 1.0;
    double y = gain_ * std::sqrt(3.0) * uniform;
    for (size_t j = 0; j < predictor_.size(); ++j) y -= predictor_[j] * history_[j];
    std::copy_backward(history_.begin(), history_.end() - 1, history_.end());
    history_[0] = y;
    sample = static_cast<int16_t>(std::clamp(std::lrint(y), -32768L, 32767L));
  }
  gain_ = target_gain_;
}

}  // namespace wzp::audio
