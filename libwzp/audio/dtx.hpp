// The sending side of discontinuous transmission: per frame, send it (speech),
// send a SID describing the background instead, or send nothing. Clock-free:
// the SID interval is counted in the samples of the frames classified.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "libwzp/audio/sid.hpp"
#include "libwzp/audio/vad.hpp"

namespace wzp::audio {

// Averages the background's level and spectral envelope over the frames it
// is given, and describes them as a SID frame.
class NoiseAnalyzer {
 public:
  void add(std::span<const int16_t> frame);
  // The SID for everything added since the last take(); starts over.
  SidFrame take();

 private:
  std::array<double, kSidOrder + 1> autocorrelation_{};
  int64_t samples_ = 0;
};

// Reflection coefficients of autocorrelation lags r[0..p] (Levinson-Durbin),
// all zero when r[0] is not positive.
std::array<double, kSidOrder> reflection_from_autocorrelation(
    const std::array<double, kSidOrder + 1> &r);

struct DtxConfig {
  VadConfig vad;
  int sid_interval_ms = 400;  // one SID per this much silence
};

enum class DtxDecision : uint8_t {
  kSpeech,    // encode and send the frame
  kSid,       // send sid() instead of the frame
  kSuppress,  // send nothing
};

class DtxEncoder {
 public:
  explicit DtxEncoder(DtxConfig config = {});

  DtxDecision classify(std::span<const int16_t> frame);
  // The SID frame to send after a kSid decision.
  const SidFrame &sid() const { return sid_; }
  void set_sid_interval_ms(int interval_ms);
  void reset();

 private:
  DtxConfig config_;
  VoiceActivityDetector vad_;
  NoiseAnalyzer noise_;
  SidFrame sid_;
  bool in_silence_ = false;
  int64_t since_sid_samples_ = 0;
};

}  // namespace wzp::audio
