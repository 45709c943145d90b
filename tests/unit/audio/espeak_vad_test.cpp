// The detector on real speech: espeak-ng sentences with pauses, resampled to
// 8 kHz by sox, mixed with noise at several signal-to-noise ratios. The truth
// is the clean speech's own frame level. Prints the miss rate docs/dtx.md
// records.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "libwzp/audio/vad.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/unit/audio/signals.hpp"

namespace wzp::audio {
namespace {

using test::kFrame;
namespace fs = std::filesystem;

constexpr const char *kSpeech =
    "<speak>The storm took the north road out last night. <break time=\"1500ms\"/>"
    "We are moving the supplies to the school before noon. <break time=\"2s\"/>"
    "Can you hear me? Say again, the line is breaking up. <break time=\"1200ms\"/>"
    "Seven, four, nine. Confirm the grid when you are clear. <break time=\"2500ms\"/>"
    "Understood. Out.</speak>";

bool run(const fs::path &program, std::vector<std::string> args) {
  wzp::test::ChildProcess child(program, std::move(args));
  auto status = child.wait_exit(std::chrono::seconds(60));
  return status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

std::vector<int16_t> speech_at_8khz(const fs::path &dir) {
  const fs::path wav = dir / "speech.wav", raw = dir / "speech.raw";
  if (!run("/usr/bin/espeak-ng", {"-m", "-s", "150", "-w", wav.string(), kSpeech})) return {};
  if (!run("/usr/bin/sox", {wav.string(), "-r", "8000", "-c", "1", "-b", "16", "-e",
                            "signed-integer", "-t", "raw", raw.string()})) {
    return {};
  }
  std::ifstream in(raw, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<int16_t> pcm(bytes.size() / 2);
  for (size_t i = 0; i < pcm.size(); ++i) {
    pcm[i] = static_cast<int16_t>(static_cast<uint8_t>(bytes[2 * i]) |
                                  (static_cast<uint8_t>(bytes[2 * i + 1]) << 8));
  }
  return pcm;
}

struct Score {
  size_t speech_frames = 0, missed = 0, quiet_frames = 0, false_alarms = 0;
  double miss_rate() const {
    return static_cast<double>(missed) / static_cast<double>(speech_frames);
  }
  double false_alarm_rate() const {
    return static_cast<double>(false_alarms) / static_cast<double>(quiet_frames);
  }
};

TEST(EspeakVad, MissesFewSpeechFramesInNoise) {
  if (!fs::exists("/usr/bin/espeak-ng") || !fs::exists("/usr/bin/sox")) {
    GTEST_SKIP() << "needs espeak-ng and sox (scripts/setup.sh)";
  }
  const fs::path dir = wzp::test::make_temp_dir("audio-vad");
  std::vector<int16_t> clean = speech_at_8khz(dir);
  fs::remove_all(dir);
  ASSERT_GT(clean.size(), 8000u * 10) << "espeak-ng or sox failed";
  const size_t frames = clean.size() / kFrame;

  // Truth: a frame is speech when it is within 35 dB of the loudest frame.
  std::vector<double> level(frames);
  double peak = -127.5, active_energy = 0;
  for (size_t f = 0; f < frames; ++f) {
    level[f] = frame_level_dbfs(test::frame_at(clean, f));
    peak = std::max(peak, level[f]);
  }
  std::vector<bool> truth(frames);
  size_t active = 0;
  for (size_t f = 0; f < frames; ++f) {
    truth[f] = level[f] > peak - 35.0;
    if (truth[f]) active_energy += std::pow(10.0, level[f] / 10.0), ++active;
  }
  const double active_dbfs = 10.0 * std::log10(active_energy / static_cast<double>(active));

  for (double snr : {30.0, 20.0, 10.0}) {
    std::vector<double> mixed(clean.begin(), clean.end());
    test::add_noise(mixed, active_dbfs - snr, 21);
    std::vector<int16_t> pcm = test::to_pcm(mixed);
    VoiceActivityDetector vad;
    Score score;
    for (size_t f = 0; f < frames; ++f) {
      const bool speech = vad.is_speech(test::frame_at(pcm, f));
      if (truth[f]) {
        ++score.speech_frames;
        score.missed += speech ? 0 : 1;
      } else {
        ++score.quiet_frames;
        score.false_alarms += speech ? 1 : 0;
      }
    }
    std::printf(
        "espeak-ng %.1f s, white noise at SNR %.0f dB: %zu speech frames, miss rate "
        "%.2f %%, %zu quiet frames, sent as speech %.1f %%\n",
        static_cast<double>(clean.size()) / 8000.0, snr, score.speech_frames,
        100 * score.miss_rate(), score.quiet_frames, 100 * score.false_alarm_rate());
    EXPECT_LT(score.miss_rate(), snr >= 20 ? 0.03 : 0.10) << "SNR " << snr;
    EXPECT_LT(score.false_alarm_rate(), 0.60) << "SNR " << snr;
  }
}

}  // namespace
}  // namespace wzp::audio
