// `wzp loopback` end to end: real speech through opusenc, wzpfecenc,
// wzpencrypt, QUIC through the user-space impairment proxy, and back; the
// received audio must be the sent speech, not just "bytes arrived".
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <regex>
#include <string>

#include "tests/integration/client/audio_compare.hpp"
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

  // Runs a call; returns the share of frames played from real data.
  double call(const std::string &network, std::string &report) {
    ChildProcess wzp(build_binary("client/wzp"),
                     {"loopback", "--network", network, "--in", (dir_ / "in.wav").string(), "--out",
                      (dir_ / "out.wav").string()},
                     {{"GST_PLUGIN_PATH", (build_dir() / "gst-plugins").string()}});
    auto status = wzp.wait_exit(120s);
    EXPECT_TRUE(wzp.wait_output_closed(5s));
    for (const auto &line : wzp.lines()) report += line + "\n";
    EXPECT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << report;
    std::smatch m;
    std::regex played(R"(frames played\s+\d+ from real data \(([0-9.]+) % of sent\))");
    return std::regex_search(report, m, played) ? std::stod(m[1]) : -1;
  }

  double similarity() {
    auto sent = read_wav(dir_ / "in.wav");
    auto received = read_wav(dir_ / "out.wav");
    if (!sent || !received) return -1;
    // 2 s segments, each allowed to sit up to 1 s off.
    return segmented_similarity(envelope(*sent, 20), envelope(*received, 20), 100, 50);
  }

  std::filesystem::path dir_;
};

// The bounds leave room for a loaded machine: frames that miss their playout
// time count as not played. bench/sweep measures the real figures.
TEST_F(ClientLoopback, CleanNetworkDeliversTheSpeech) {
  std::string report;
  EXPECT_GE(call("clean", report), 80.0) << report;
  // The call starts protected at 6 kbit/s (quality::kCallStartTier) and
  // climbs after ~5 s; low-rate Opus follows the envelope less closely.
  EXPECT_GT(similarity(), 0.5) << report;
}

TEST_F(ClientLoopback, RandomLossIsRepairedByFec) {
  std::string report;
  EXPECT_GE(call("loss=0.1,seed=11", report), 60.0) << report;
  EXPECT_NE(report.find("recovered by FEC"), std::string::npos);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(report, m, std::regex(R"((\d+) recovered by FEC)")));
  EXPECT_GT(std::stoi(m[1]), 0) << report;
  EXPECT_GT(similarity(), 0.3) << report;
}

}  // namespace
}  // namespace wzp::test
