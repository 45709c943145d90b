// How a voice-activity detector is judged on real speech, the same in the
// unit test (tests/unit/audio/espeak_vad_test.cpp) and in the comparison
// with WebRTC's (bench/dtx/vad_versus_webrtc.cpp): the truth is the clean
// speech's own frame level, and a detector is scored frame by frame.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "libwzp/audio/vad.hpp"

namespace wzp::test {

// Raw S16LE samples of a file (as sox writes with `-t raw`); empty if unreadable.
inline std::vector<int16_t> read_s16le(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<int16_t> pcm(bytes.size() / 2);
  for (size_t i = 0; i < pcm.size(); ++i) {
    pcm[i] = static_cast<int16_t>(static_cast<uint8_t>(bytes[2 * i]) |
                                  (static_cast<uint8_t>(bytes[2 * i + 1]) << 8));
  }
  return pcm;
}

struct SpeechTruth {
  std::vector<bool> speech;  // per frame
  double active_dbfs = 0;    // the speech frames' mean level, to set an SNR against
};

// A frame of `clean` is speech when it is within 35 dB of the loudest frame.
inline SpeechTruth speech_truth(const std::vector<int16_t> &clean, size_t frame_samples) {
  const size_t frames = clean.size() / frame_samples;
  std::vector<double> level(frames);
  double peak = -127.5;
  for (size_t f = 0; f < frames; ++f) {
    level[f] = audio::frame_level_dbfs(
        std::span<const int16_t>(clean).subspan(f * frame_samples, frame_samples));
    peak = std::max(peak, level[f]);
  }
  SpeechTruth truth;
  truth.speech.resize(frames);
  double active_energy = 0;
  size_t active = 0;
  for (size_t f = 0; f < frames; ++f) {
    truth.speech[f] = level[f] > peak - 35.0;
    if (truth.speech[f]) active_energy += std::pow(10.0, level[f] / 10.0), ++active;
  }
  truth.active_dbfs = 10.0 * std::log10(active_energy / static_cast<double>(active));
  return truth;
}

struct VadScore {
  size_t speech_frames = 0, missed = 0, quiet_frames = 0, false_alarms = 0;
  double miss_rate() const {
    return static_cast<double>(missed) / static_cast<double>(speech_frames);
  }
  double false_alarm_rate() const {
    return static_cast<double>(false_alarms) / static_cast<double>(quiet_frames);
  }
};

// `decisions`: the detector's speech/not-speech per frame, as long as the truth.
inline VadScore score_vad(const std::vector<bool> &truth, const std::vector<bool> &decisions) {
  VadScore score;
  for (size_t f = 0; f < truth.size() && f < decisions.size(); ++f) {
    if (truth[f]) {
      ++score.speech_frames;
      score.missed += decisions[f] ? 0 : 1;
    } else {
      ++score.quiet_frames;
      score.false_alarms += decisions[f] ? 1 : 0;
    }
  }
  return score;
}

}  // namespace wzp::test
