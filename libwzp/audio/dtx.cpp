#include "libwzp/audio/dtx.hpp"

#include <algorithm>
#include <cmath>

namespace wzp::audio {

namespace {
constexpr double kFullScale = 32768.0;
// Lifts r[0] a little (a -40 dB noise floor) so the recursion stays well
// conditioned on pure tones and on near-silence.
constexpr double kWhiteNoiseCorrection = 1.0001;
}  // namespace

std::array<double, kSidOrder> reflection_from_autocorrelation(
    const std::array<double, kSidOrder + 1> &r) {
  std::array<double, kSidOrder> k{};
  std::array<double, kSidOrder> a{};
  double error = r[0] * kWhiteNoiseCorrection;
  if (!(error > 0) || !std::isfinite(error)) return k;
  for (size_t i = 0; i < static_cast<size_t>(kSidOrder); ++i) {
    double acc = r[i + 1];
    for (size_t j = 0; j < i; ++j) acc += a[j] * r[i - j];
    const double ki = std::clamp(-acc / error, -0.999, 0.999);
    std::array<double, kSidOrder> previous = a;
    a[i] = ki;
    for (size_t j = 0; j < i; ++j) a[j] = previous[j] + ki * previous[i - 1 - j];
    error *= 1.0 - ki * ki;
    k[i] = ki;
  }
  return k;
}

void NoiseAnalyzer::add(std::span<const int16_t> frame) {
  for (size_t lag = 0; lag < autocorrelation_.size(); ++lag) {
    double sum = 0;
    for (size_t n = lag; n < frame.size(); ++n) {
      sum += static_cast<double>(frame[n]) * frame[n - lag];
    }
    autocorrelation_[lag] += sum;
  }
  samples_ += static_cast<int64_t>(frame.size());
}

SidFrame NoiseAnalyzer::take() {
  SidFrame sid;
  if (samples_ > 0 && autocorrelation_[0] > 0) {
    const double mean_square =
        autocorrelation_[0] / static_cast<double>(samples_) / (kFullScale * kFullScale);
    sid.level_dbfs = std::max(-127.5, 10.0 * std::log10(mean_square));
    sid.reflection = reflection_from_autocorrelation(autocorrelation_);
  }
  autocorrelation_ = {};
  samples_ = 0;
  return sid;
}

DtxEncoder::DtxEncoder(DtxConfig config) : config_(config), vad_(config.vad) {}

void DtxEncoder::set_sid_interval_ms(int interval_ms) { config_.sid_interval_ms = interval_ms; }

void DtxEncoder::reset() {
  vad_.reset();
  noise_.take();
  in_silence_ = false;
  since_sid_samples_ = 0;
}

DtxDecision DtxEncoder::classify(std::span<const int16_t> frame) {
  if (vad_.is_speech(frame)) {
    in_silence_ = false;
    return DtxDecision::kSpeech;
  }
  noise_.add(frame);
  const int64_t interval =
      static_cast<int64_t>(std::max(config_.sid_interval_ms, 1)) * config_.vad.sample_rate / 1000;
  since_sid_samples_ += static_cast<int64_t>(frame.size());
  // The first silent frame sends a SID at once, so comfort noise starts
  // where speech ended; then one per interval, describing the interval.
  if (!in_silence_ || since_sid_samples_ >= interval) {
    in_silence_ = true;
    since_sid_samples_ = 0;
    sid_ = noise_.take();
    return DtxDecision::kSid;
  }
  return DtxDecision::kSuppress;
}

}  // namespace wzp::audio
