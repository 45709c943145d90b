// The detector on real speech: espeak-ng sentences with pauses, resampled to
// 8 kHz by sox, mixed with noise at several signal-to-noise ratios. The truth
// is the clean speech's own frame level. Prints the miss rate docs/dtx.md
// records.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "libwzp/audio/vad.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/vad_score.hpp"
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
  return wzp::test::read_s16le(raw.string());
}

TEST(EspeakVad, MissesFewSpeechFramesInNoise) {
  // scripts/setup.sh installs both, so a missing one is a broken setup, not a
  // reason to pass.
  ASSERT_TRUE(fs::exists("/usr/bin/espeak-ng"))
      << "/usr/bin/espeak-ng missing: run scripts/setup.sh";
  ASSERT_TRUE(fs::exists("/usr/bin/sox")) << "/usr/bin/sox missing: run scripts/setup.sh";
  const fs::path dir = wzp::test::make_temp_dir("audio-vad");
  std::vector<int16_t> clean = speech_at_8khz(dir);
  fs::remove_all(dir);
  ASSERT_GT(clean.size(), 8000u * 10) << "espeak-ng or sox failed";
  const size_t frames = clean.size() / kFrame;

  const wzp::test::SpeechTruth truth = wzp::test::speech_truth(clean, kFrame);

  for (double snr : {30.0, 20.0, 10.0}) {
    std::vector<double> mixed(clean.begin(), clean.end());
    test::add_noise(mixed, truth.active_dbfs - snr, 21);
    std::vector<int16_t> pcm = test::to_pcm(mixed);
    VoiceActivityDetector vad;
    std::vector<bool> decisions(frames);
    for (size_t f = 0; f < frames; ++f) decisions[f] = vad.is_speech(test::frame_at(pcm, f));
    const wzp::test::VadScore score = wzp::test::score_vad(truth.speech, decisions);
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
