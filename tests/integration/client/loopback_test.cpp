// `wzp loopback` end to end: real speech through opusenc, wzpfecenc,
// wzpencrypt, QUIC through the user-space impairment proxy, and back; the
// received audio must be the sent speech, not just "bytes arrived".
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <regex>
#include <string>

#include "tests/integration/client/audio_compare.hpp"
#include "tests/support/call_summary.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"

namespace wzp::test {
namespace {

using namespace std::chrono_literals;

constexpr const char *kSpeech =
    "This is a test call. The quick brown fox jumps over the lazy dog, "
    "and the forward error correction puts back what the network lost.";

class ClientLoopback : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("client-loopback");
    ChildProcess speak("/usr/bin/espeak-ng", {"-w", (dir_ / "in.wav").string(), kSpeech});
    ASSERT_TRUE(speak.wait_exit(30s).has_value());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // What the call's summary says about its frames.
  struct Frames {
    double sent = -1, received = -1, recovered = -1, played = -1;
    // Received as sent or rebuilt by FEC, whether or not in time to play.
    double delivered_percent() const { return 100 * (received + recovered) / sent; }
    double played_percent() const { return 100 * played / sent; }
  };

  // Runs a call and reads its summary.
  Frames call(const std::string &network, std::string &report) {
    ChildProcess wzp(build_binary("client/wzp"),
                     {"loopback", "--network", network, "--in", (dir_ / "in.wav").string(), "--out",
                      (dir_ / "out.wav").string()},
                     {{"GST_PLUGIN_PATH", (build_dir() / "gst-plugins").string()}});
    auto status = wzp.wait_exit(120s);
    EXPECT_TRUE(wzp.wait_output_closed(5s));
    for (const auto &line : wzp.lines()) report += line + "\n";
    EXPECT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << report;
    Frames frames;
    std::smatch m;
    if (std::regex_search(report, m, std::regex(R"(frames sent\s+(\d+))"))) {
      frames.sent = std::stod(m[1]);
    }
    if (std::regex_search(
            report, m, std::regex(R"(frames received\s+(\d+) as sent, (\d+) recovered by FEC)"))) {
      frames.received = std::stod(m[1]);
      frames.recovered = std::stod(m[2]);
    }
    frames.played = static_cast<double>(summary_frames(report).played);
    EXPECT_GT(frames.sent, 0) << report;
    EXPECT_GE(frames.received, 0) << report;
    EXPECT_GE(frames.played, 0) << report;
    std::printf("%s: %.0f frames sent, %.1f %% delivered (%.0f recovered by FEC), %.1f %% played\n",
                network.c_str(), frames.sent, frames.delivered_percent(), frames.recovered,
                frames.played_percent());
    return frames;
  }

  double similarity() { return speech_similarity(dir_ / "in.wav", dir_ / "out.wav"); }

  std::filesystem::path dir_;
};

// Delivery counts frames whenever they came, so it does not depend on the
// machine's load; playing also needs them in time, so its bound leaves room
// for a loaded machine (frames that miss their playout time count as not
// played). bench/sweep measures the real figures.
TEST_F(ClientLoopback, CleanNetworkDeliversTheSpeech) {
  std::string report;
  const Frames frames = call("clean", report);
  EXPECT_EQ(frames.received, frames.sent) << "a clean network loses nothing\n" << report;
  EXPECT_GE(frames.played_percent(), 90.0) << report;
  // The call starts protected at 6 kbit/s (quality::kCallStartTier) and
  // climbs after ~5 s; low-rate Opus follows the envelope less closely.
  EXPECT_GT(similarity(), 0.5) << report;
}

// 10 % random loss: without FEC about 90 % of the frames arrive and play
// (measured with repair turned off: 90.0 % delivered, 89.4 % played); FEC
// must put back nearly all of the rest.
TEST_F(ClientLoopback, RandomLossIsRepairedByFec) {
  std::string report;
  const Frames frames = call("loss=0.1,seed=11", report);
  EXPECT_GT(frames.recovered, 0) << report;
  EXPECT_GE(frames.delivered_percent(), 99.0) << report;
  EXPECT_GE(frames.played_percent(), 95.0) << report;
  EXPECT_GT(similarity(), 0.3) << report;
}

}  // namespace
}  // namespace wzp::test
