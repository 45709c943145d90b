// `wzp answer` and `wzp call` as two users run them: the real wzp-signald,
// two real wzp processes with their own identities, speech both ways
// through the call's relay room, one side behind a lossy network. The
// audio bob writes must be the speech alice sent.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <tuple>

#include "tests/integration/client/audio_compare.hpp"
#include "tests/integration/client/clients_fixture.hpp"
#include "tests/support/call_summary.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/signald_daemon.hpp"

namespace wzp::test {
namespace {

using namespace std::chrono_literals;

constexpr const char *kAliceSays =
    "This is alice calling bob through the relay. The quick brown fox jumps over the lazy "
    "dog, and forward error correction puts back what the network lost.";
constexpr const char *kBobSays =
    "Hello alice, this is bob answering. I will keep talking for a while, longer than you, "
    "so that you are the one who hangs up. One, two, three, four, five, six, seven, eight, "
    "nine, ten. And once more: one, two, three, four, five, six, seven, eight, nine, ten.";

class ClientCall : public ClientsWithDaemon {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("client-call");
    for (auto [file, text] : {std::pair{"alice.wav", kAliceSays}, {"bob.wav", kBobSays}}) {
      ChildProcess speak("/usr/bin/espeak-ng", {"-w", (dir_ / file).string(), text});
      ASSERT_TRUE(speak.wait_exit(30s).has_value());
    }
    ASSERT_NO_FATAL_FAILURE(start_daemon());
    for (const char *who : {"alice", "bob"}) ASSERT_NO_FATAL_FAILURE(make_identity(who));
  }

  // Bob, signed in as @bob, answers every call saying bob.wav and records
  // what he hears; null if he never signed in.
  // `extra`: more of bob's options.
  std::unique_ptr<ChildProcess> answering_bob(const std::vector<std::string> &extra = {}) {
    std::vector<std::string> args{"answer",  "--auto-answer",
                                  "--alias", "bob",
                                  "--in",    (dir_ / "bob.wav").string(),
                                  "--out",   (dir_ / "at_bob.wav").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto bob = std::make_unique<ChildProcess>(build_binary("client/wzp"), args, env("bob"));
    if (!bob->wait_for_line(std::regex("signed in to .* as .*\\(@bob\\)"), 20s)) return nullptr;
    return bob;
  }

  Outcome call(const std::vector<std::string> &args) {
    std::vector<std::string> full = {"call"};
    full.insert(full.end(), args.begin(), args.end());
    ChildProcess alice(build_binary("client/wzp"), full, env("alice"));
    return finish(alice, 60s);
  }
};

uint64_t recovered(const std::string &report) {
  std::smatch m;
  if (!std::regex_search(report, m, std::regex(R"((\d+) recovered by FEC)"))) return 0;
  return std::stoull(m[1]);
}

// The pictures a side's summary says it showed (`wzp call --video`), and
// their size; nullopt without the line.
struct VideoReceived {
  uint64_t pictures = 0;
  int width = 0, height = 0;
  uint64_t longest_freeze_ms = 0;
};
std::optional<VideoReceived> video_received(const std::string &report) {
  std::smatch m;
  if (!std::regex_search(
          report, m,
          std::regex(R"(video received +(\d+) pictures (\d+)x(\d+),.* \(longest (\d+) ms\))"))) {
    return std::nullopt;
  }
  return VideoReceived{std::stoull(m[1]), std::stoi(m[2]), std::stoi(m[3]), std::stoull(m[4])};
}

// Both sides send video too (`--video`, a test pattern at 360p/15): it
// crosses the relay beside the speech, which still arrives as asserted
// below, and each side shows the other's pictures.
// Seed 12 loses about the fifth it names from the first second on. Seed 7
// lost 29-33 % in alice's first second, past the degraded tier's 30 %: the
// ladder rightly stepped her to Codec2 and, with it, her picture off, in 2
// of 5 runs, which is not what this test is about.
TEST_F(ClientCall, TwoWayCallThroughTheRelayWithLoss) {
  auto bob = answering_bob(
      {"--video", "--video-in", "pattern", "--video-out", (dir_ / "at_bob.mkv").string()});
  ASSERT_TRUE(bob);
  Outcome alice =
      call({"@bob", "--network", "loss=0.2,seed=12", "--in", (dir_ / "alice.wav").string(), "--out",
            (dir_ / "at_alice.wav").string(), "--video", "--video-in", "pattern", "--video-out",
            (dir_ / "at_alice.mkv").string()});
  Outcome answered = finish(*bob, 30s);

  EXPECT_EQ(alice.exit_code, 0) << alice.output;
  EXPECT_EQ(answered.exit_code, 0) << answered.output;
  EXPECT_NE(alice.output.find("call summary"), std::string::npos) << alice.output;
  EXPECT_NE(answered.output.find("call summary"), std::string::npos) << answered.output;
  EXPECT_NE(answered.output.find("call ended: the other side hung up"), std::string::npos)
      << answered.output;
  // Alice's uplink loses a fifth of her packets: bob's FEC puts some back.
  EXPECT_GT(recovered(answered.output), 0u) << answered.output;
  // Both show the two views of the path: their own link to the daemon and
  // what the peer reports of the whole path, live and in the summary.
  for (const Outcome *side : {&alice, &answered}) {
    EXPECT_TRUE(std::regex_search(
        side->output,
        std::regex(
            R"(\| to daemon: rtt \d+ ms, loss [0-9.]+ % \| peer reports [0-9.]+ % of our frames missing)")))
        << side->output;
    EXPECT_TRUE(std::regex_search(
        side->output,
        std::regex(R"(whole path +peer reports [0-9.]+ % of our frames missing, its rtt \d+ ms)")))
        << side->output;
  }

  EXPECT_GT(speech_similarity(dir_ / "alice.wav", dir_ / "at_bob.wav"), 0.3)
      << alice.output << answered.output;
  // Video both ways, 640x360 at 15 frames/s: at least 3 s of pictures in a
  // call of alice's speech and the drain after it, each written to the file.
  for (auto [side, sender, file] : {std::tuple{&alice, &answered, "at_alice.mkv"},
                                    std::tuple{&answered, &alice, "at_bob.mkv"}}) {
    auto video = video_received(side->output);
    ASSERT_TRUE(video) << side->output;
    EXPECT_EQ(video->width, 640) << side->output;
    EXPECT_EQ(video->height, 360) << side->output;
    // The sender's ladder and queue say why pictures did not come.
    EXPECT_GE(video->pictures, 45u) << side->output << "the sender:\n" << sender->output;
    EXPECT_GE(std::filesystem::file_size(dir_ / file), video->pictures * 640 * 360 * 3 / 2)
        << side->output;
    EXPECT_TRUE(std::regex_search(side->output, std::regex(R"(video sent +\d+ frames)")))
        << side->output;
    // Lip sync (docs/video.md): the picture runs behind the speech as the
    // streams come; the delays bring them closer. And the ladder's steps.
    std::smatch sync;
    ASSERT_TRUE(std::regex_search(
        side->output, sync,
        std::regex(R"(lip sync +\|video - audio\| unaligned (\d+) ms mean .* aligned (\d+) ms)")))
        << side->output;
    EXPECT_LT(std::stoi(sync[2]), std::stoi(sync[1])) << side->output;
    EXPECT_TRUE(std::regex_search(side->output, std::regex(R"(video ladder +400k)")))
        << side->output;
  }
  // Bob spoke too: alice heard him (the call is two-way).
  auto heard = read_wav(dir_ / "at_alice.wav");
  ASSERT_TRUE(heard) << alice.output;
  EXPECT_GT(heard->samples.size(), static_cast<size_t>(heard->rate)) << alice.output;
}

TEST_F(ClientCall, EchoTestMeasuresWhatComesBack) {
  ChildProcess bob(build_binary("client/wzp"),
                   {"answer", "--auto-answer", "--echo", "--alias", "bob"}, env("bob"));
  ASSERT_TRUE(bob.wait_for_line(std::regex("signed in"), 20s));
  std::vector<std::string> args = {"echo-test", "@bob",
                                   "--in",      (dir_ / "alice.wav").string(),
                                   "--out",     (dir_ / "echo.wav").string()};
  ChildProcess alice(build_binary("client/wzp"), args, env("alice"));
  Outcome tested = finish(alice, 60s);
  Outcome echoed = finish(bob, 30s);
  EXPECT_EQ(tested.exit_code, 0) << tested.output;
  EXPECT_EQ(echoed.exit_code, 0) << echoed.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(tested.output, m, std::regex(R"(echo round trip\s+(-?\d+) ms)")))
      << tested.output;
  EXPECT_GT(std::stoi(m[1]), 0) << tested.output;
  ASSERT_TRUE(std::regex_search(tested.output, m, std::regex(R"(echo similarity\s+(-?[0-9.]+))")))
      << tested.output;
  EXPECT_GT(std::stod(m[1]), 0.3) << tested.output;
}

TEST_F(ClientCall, ACalleeInACallIsBusy) {
  ChildProcess carol_id(build_binary("client/wzp"), {"id", "new"}, env("carol"));
  ASSERT_TRUE(carol_id.wait_exit(30s).has_value());
  ChildProcess bob(build_binary("client/wzp"),
                   {"answer", "--auto-answer", "--echo", "--alias", "bob"}, env("bob"));
  ASSERT_TRUE(bob.wait_for_line(std::regex("signed in"), 20s));
  ChildProcess alice(build_binary("client/wzp"),
                     {"echo-test", "@bob", "--in", (dir_ / "alice.wav").string()}, env("alice"));
  ASSERT_TRUE(alice.wait_for_line(std::regex("in call with"), 30s));
  ChildProcess carol(build_binary("client/wzp"),
                     {"call", "@bob", "--in", (dir_ / "alice.wav").string()}, env("carol"));
  Outcome refused = finish(carol, 30s);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("busy"), std::string::npos) << refused.output;
  expect_call_goes_on(alice, bob);
}

TEST_F(ClientCall, AnUnknownCalleeIsAClearError) {
  Outcome alice = call({"@nobody", "--in", (dir_ / "alice.wav").string()});
  EXPECT_EQ(alice.exit_code, 1) << alice.output;
  EXPECT_NE(alice.output.find("unknown callee '@nobody'"), std::string::npos) << alice.output;
}

TEST_F(ClientCall, AnOfflineCalleeIsUnavailable) {
  // Bob has an identity the daemon saw once: then he is known but offline.
  ChildProcess bob(build_binary("client/wzp"), {"answer", "--auto-answer", "--alias", "bob"},
                   env("bob"));
  ASSERT_TRUE(bob.wait_for_line(std::regex("signed in"), 20s));
  // Stopped as a service manager stops it, bob signs out rather than dying:
  // the daemon must not ring his connection until it times out.
  const int stopped = bob.stop();
  EXPECT_TRUE(WIFEXITED(stopped)) << "bob was killed by signal " << WTERMSIG(stopped);
  Outcome alice = call({"@bob", "--in", (dir_ / "alice.wav").string()});
  EXPECT_EQ(alice.exit_code, 1) << alice.output;
  EXPECT_NE(alice.output.find("not online"), std::string::npos) << alice.output;
}

TEST_F(ClientCall, AWrongServerFingerprintIsRefused) {
  Outcome alice = call({"@bob", "--server-fingerprint", std::string(64, 'b')});
  EXPECT_EQ(alice.exit_code, 1) << alice.output;
  EXPECT_NE(alice.output.find("no connection to the daemon"), std::string::npos) << alice.output;
}

TEST_F(ClientCall, ABadServerAddressIsRefused) {
  Outcome alice = call({"@bob", "--server", "no-port-here"});
  EXPECT_EQ(alice.exit_code, 1) << alice.output;
  EXPECT_NE(alice.output.find("bad server address 'no-port-here'"), std::string::npos)
      << alice.output;
}

// The call as a user runs it, through a real daemon, with half of alice's
// packets lost in bursts both ways (her login, lookup and call offer too):
// it connects, and what bob plays over the whole call, its first seconds
// included, is real. Issue 12's goal at 50 % loss is 99 %; the live sweep
// (bench/live) measures that, this test holds the line at 95 %.
TEST_F(ClientCall, FiftyPercentBurstyLossIsRepairedOverTheWholeCall) {
  auto bob = answering_bob();
  ASSERT_TRUE(bob);
  // About 16 s, shorter than bob's speech so that alice hangs up.
  std::string long_speech = std::string(kAliceSays) + " " + kAliceSays;
  ChildProcess speak("/usr/bin/espeak-ng", {"-w", (dir_ / "alice_long.wav").string(), long_speech});
  ASSERT_TRUE(speak.wait_exit(30s).has_value());
  Outcome alice =
      call({"@bob", "--network", "loss=0.5,burst=3,delay=150ms,jitter=20ms,rate=200kbps,seed=3",
            "--in", (dir_ / "alice_long.wav").string(), "--out", (dir_ / "at_alice.wav").string()});
  Outcome answered = finish(*bob, 30s);
  ASSERT_EQ(alice.exit_code, 0) << alice.output;
  ASSERT_EQ(answered.exit_code, 0) << answered.output;
  auto frames = summary_frames(answered.output);
  ASSERT_GT(frames.played, 200u) << answered.output;
  std::printf("bob played %llu frames from real data, concealed %llu: %.1f %%\n",
              static_cast<unsigned long long>(frames.played),
              static_cast<unsigned long long>(frames.concealed), 100 * frames.real_share());
  EXPECT_GE(frames.real_share(), 0.95) << answered.output;
}

}  // namespace
}  // namespace wzp::test
