// The installed programs work on their own: `cmake --install` into a fresh
// prefix, then `wzp loopback` from there finds wzp's elements with no
// GST_PLUGIN_PATH and a fresh registry; both programs say their version,
// and wzp-signald's help names the program.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <regex>
#include <string>

#include "tests/support/call_summary.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"

namespace wzp::test {
namespace {

using namespace std::chrono_literals;

std::string run(const std::filesystem::path &program, const std::vector<std::string> &args,
                std::map<std::string, std::string> env, int &status_out) {
  ChildProcess child(program, args, std::move(env));
  auto status = child.wait_exit(180s);
  EXPECT_TRUE(child.wait_output_closed(5s));
  std::string output;
  for (const auto &line : child.lines()) output += line + "\n";
  status_out = status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  return output;
}

class InstalledTree : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = make_temp_dir("installed-tree");
    int status = -1;
    std::string out =
        run(WZP_CMAKE_COMMAND, {"--install", build_dir().string(), "--prefix", prefix_.string()},
            {}, status);
    ASSERT_EQ(status, 0) << out;
    // The test runner points GStreamer at the build tree; a user's shell
    // does not.
    unsetenv("GST_PLUGIN_PATH");
    unsetenv("GST_PLUGIN_PATH_1_0");
  }
  void TearDown() override { std::filesystem::remove_all(prefix_); }

  std::filesystem::path prefix_;
};

TEST_F(InstalledTree, LoopbackFindsItsElementsWithoutGstPluginPath) {
  int status = -1;
  std::string tone = run(
      "/usr/bin/sox",
      {"-n", "-r", "48000", "-c", "1", (prefix_ / "in.wav").string(), "synth", "2", "sine", "440"},
      {}, status);
  ASSERT_EQ(status, 0) << tone;
  std::string report = run(prefix_ / "bin/wzp",
                           {"loopback", "--network", "clean", "--in", (prefix_ / "in.wav").string(),
                            "--out", (prefix_ / "out.wav").string()},
                           {{"GST_REGISTRY_1_0", (prefix_ / "registry.bin").string()}}, status);
  EXPECT_EQ(status, 0) << report;
  auto frames = summary_frames(report);
  ASSERT_TRUE(frames.found) << report;
  // 2 s of 20 ms frames, less the call's start-up.
  EXPECT_GT(frames.played, 50u) << report;
  EXPECT_TRUE(std::filesystem::exists(prefix_ / "out.wav"));
}

TEST_F(InstalledTree, ProgramsSayTheirVersion) {
  const std::regex version(R"(^wzp(-signald|-web)? \d+\.\d+\.\d+)");
  int status = -1;
  std::string client = run(prefix_ / "bin/wzp", {"--version"}, {}, status);
  EXPECT_EQ(status, 0);
  EXPECT_TRUE(std::regex_search(client, version)) << client;
  std::string daemon = run(prefix_ / "bin/wzp-signald", {"--version"}, {}, status);
  EXPECT_EQ(status, 0);
  EXPECT_TRUE(std::regex_search(daemon, version)) << daemon;
  EXPECT_EQ(client.substr(client.find(' ')), daemon.substr(daemon.find(' ')));
  std::string bridge = run(prefix_ / "bin/wzp-web", {"--version"}, {}, status);
  EXPECT_EQ(status, 0);
  EXPECT_TRUE(std::regex_search(bridge, version)) << bridge;
  EXPECT_EQ(client.substr(client.find(' ')), bridge.substr(bridge.find(' ')));
}

TEST_F(InstalledTree, DaemonHelpNamesTheProgram) {
  int status = -1;
  std::string help = run(prefix_ / "bin/wzp-signald", {"--help"}, {}, status);
  EXPECT_EQ(status, 0);
  EXPECT_NE(help.find("Usage:\n  wzp-signald [OPTION"), std::string::npos) << help;
  EXPECT_EQ(help.find("(null)"), std::string::npos) << help;
  EXPECT_NE(help.find("--version"), std::string::npos) << help;
}

}  // namespace
}  // namespace wzp::test
