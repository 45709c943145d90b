// Voice-activity detection for discontinuous transmission (DTX): energy
// against a tracked noise floor, with hangover. Clock-free: every duration is
// counted in samples of the frames it is given, so it works with any frame
// length (Codec2's 20 and 40 ms frames alike) and needs no timestamps.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace wzp::audio {

struct VadConfig {
  int sample_rate = 8000;
  // A frame is speech when its energy is this far above the noise floor...
  double threshold_db = 8.0;
  // ...and above this absolute level (dBFS), so near-digital silence never is.
  double min_speech_dbfs = -55.0;
  // Frames after the last speech frame that still count as speech: word ends
  // and short pauses inside a sentence are sent, not cut.
  int hangover_ms = 300;
  // The noise floor is the quietest frame of this long a window (minimum
  // statistics): pauses between syllables reach down to it, so it follows the
  // background, not the talker; a steady tone or hum longer than this becomes
  // background too.
  int floor_window_ms = 2000;
};

// Frame energy in dBFS (RMS against full scale); digital silence is -127.5.
double frame_level_dbfs(std::span<const int16_t> samples);

class VoiceActivityDetector {
 public:
  explicit VoiceActivityDetector(VadConfig config = {});

  // Classifies the next frame of 16-bit mono samples; true while speech (or
  // its hangover) lasts. Until the first window slot is complete it says
  // speech: without a noise floor, sending is the safe mistake.
  bool is_speech(std::span<const int16_t> frame);

  double noise_floor_dbfs() const;
  void reset();

 private:
  static constexpr int kSlots = 8;  // the window, as the minima of 8 slots

  VadConfig config_;
  int64_t slot_samples_ = 0;
  int64_t hangover_samples_ = 0;
  std::array<double, kSlots> slot_minimum_{};
  int slots_filled_ = 0;
  int next_slot_ = 0;
  double current_minimum_ = 0;
  int64_t current_samples_ = 0;
  int64_t hangover_left_ = 0;
};

}  // namespace wzp::audio
