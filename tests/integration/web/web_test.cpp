// wzp-web in a real browser: the real wzp-signald, wzp-web, Debian's
// Chromium (headless, its microphone a WAV of espeak-ng speech) driven over
// the DevTools protocol by drive_page.py, and a `wzp room join` member in the
// same open room saying other speech. Each side must hear the other: what
// the page heard follows the member's speech, and what the member recorded
// follows the browser's, by their loudness envelopes. Then one tab waits
// for calls as @dora and another calls @dora: a direct call between two
// browsers, each hearing the other (the bridge's limits are
// limits_test.cpp's). Last, a tab on a second bridge, whose daemon wants
// sign-in tokens (--auth-url), brings a bad one and its user types the good
// one into the page's form. A screenshot of the
// page is left in the build tree (tests/integration/web/output/page.png),
// with what each side said and heard.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "libwzp/audio/envelope.hpp"
#include "tests/integration/client/audio_compare.hpp"
#include "tests/integration/client/clients_fixture.hpp"
#include "tests/support/token_validator.hpp"

namespace wzp::test {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr const char *kBrowserSays =
    "Hello from the browser. This voice comes from a web page, through WebRTC to the bridge, "
    "and on through forward error correction and QUIC into the room.";
constexpr const char *kMemberSays =
    "This is the command line member of the room. One, two, three, four, five. I am talking "
    "to the browser through the daemon, and the bridge sends my voice back over WebRTC. "
    "Six, seven, eight, nine, ten. Once more: one, two, three, four, five, six, seven.";
constexpr int kSeconds = 8;       // of the member the browser must have heard
constexpr int kCallSeconds = 3;   // each browser in the call must have heard
constexpr int kSetupSeconds = 8;  // wzp-web --setup-timeout

// How closely `heard` follows `said` said over and over (a file that loops,
// or a member who started earlier), from where the sound of `heard` starts,
// on a log scale (so the low-rate codec's level changes weigh less than
// where speech is and is not): the whole of `heard` finds its best lag into
// `said` repeated (within one length of `said`), and scores as the call
// tests do (segmented_similarity: segments of `segment` windows, 2 s by
// default, each within a quarter of that of the lag, tolerant of the jitter
// buffer's delay changes). The lag is the whole
// stretch's, not a vote of 2 s segments: one 2 s stretch of speech matches
// another part of the same speech about as well as what was heard does
// (up to 0.98 for the member's two "one, two, three, four, five"), and 2 of
// 4 segments voting for such lags once set the alignment wrong; over 8 s
// the best wrong lag of the member's speech against itself scores 0.51.
double heard_follows(const std::vector<double> &said, std::vector<double> heard,
                     size_t segment = 100) {
  double peak = *std::max_element(heard.begin(), heard.end());
  auto start = std::find_if(heard.begin(), heard.end(), [&](double v) { return v > 0.1 * peak; });
  heard.erase(heard.begin(), start);
  if (heard.size() < segment) return -1;
  auto to_log = [](double v) { return std::log10(v + 1e-3); };
  std::transform(heard.begin(), heard.end(), heard.begin(), to_log);
  std::vector<double> repeated;
  while (repeated.size() < heard.size() + 2 * said.size()) {
    for (double v : said) repeated.push_back(to_log(v));
  }
  // One period in, so that each segment's slack stays within `repeated`.
  const auto period = static_cast<long>(said.size());
  const long lag = audio::best_lag(heard, repeated, period, 2 * period - 1, heard.size()).lag;
  return audio::segmented_similarity(heard, repeated, segment, lag, static_cast<long>(segment / 4));
}

class WebBridge : public ClientsWithDaemon {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("web-bridge");
    for (auto [file, text] :
         {std::pair{"browser.wav", kBrowserSays}, {"member.wav", kMemberSays}}) {
      ChildProcess speak("/usr/bin/espeak-ng", {"-w", (dir_ / file).string(), text});
      ASSERT_TRUE(speak.wait_exit(30s).has_value());
    }
    // The browser's fake microphone loops its file; the member, who joins
    // once the browser is in the call, says its text three times over.
    ChildProcess repeat("/usr/bin/sox", {(dir_ / "member.wav").string(),
                                         (dir_ / "member_long.wav").string(), "repeat", "2"});
    auto repeated = repeat.wait_exit(30s);
    ASSERT_TRUE(repeated && WIFEXITED(*repeated) && WEXITSTATUS(*repeated) == 0);
    ASSERT_NO_FATAL_FAILURE(start_daemon());
    ASSERT_NO_FATAL_FAILURE(make_identity("member"));
  }
};

// wzp-web for `daemon`, serving on its origin once it says so.
std::unique_ptr<ChildProcess> start_web(const SignaldDaemon &daemon, const std::string &plugins,
                                        std::string &origin) {
  auto web = std::make_unique<ChildProcess>(
      build_binary("web/wzp-web"),
      std::vector<std::string>{"--signald", "127.0.0.1:" + std::to_string(daemon.quic_port()),
                               "--signald-fingerprint", daemon.certificate(), "--address",
                               "127.0.0.1", "--port", "0",
                               // Shorter than the room's part of the test after the page joined: a
                               // WebRTC connection the bridge never saw come up would be closed.
                               "--setup-timeout", std::to_string(kSetupSeconds)},
      std::map<std::string, std::string>{{"GST_PLUGIN_PATH", plugins},
                                         {"G_DEBUG", "fatal-criticals"}});
  const std::regex serving("serving https://127\\.0\\.0\\.1:(\\d+)/");
  auto line = web->wait_for_line(serving, 20s);
  std::smatch m;
  if (line && std::regex_search(*line, m, serving)) origin = "https://127.0.0.1:" + m[1].str();
  return web;
}

TEST_F(WebBridge, BrowserAndMemberHearEachOtherAndTwoBrowsersCall) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium")) << "scripts/setup.sh installs chromium";
  const std::string plugins = env("member")["GST_PLUGIN_PATH"];
  std::string origin, token_origin;
  std::unique_ptr<ChildProcess> web_process = start_web(*daemon_, plugins, origin);
  ASSERT_FALSE(origin.empty()) << "wzp-web did not start";
  ChildProcess &web = *web_process;
  std::smatch m;

  ChildProcess chromium(
      "/usr/bin/chromium",
      {"--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
       "--user-data-dir=" + (dir_ / "chromium").string(), "--remote-debugging-port=0",
       "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
       "--use-file-for-fake-audio-capture=" + (dir_ / "browser.wav").string(),
       "--autoplay-policy=no-user-gesture-required", "--ignore-certificate-errors",
       // Host candidates as addresses, not mDNS names libnice cannot resolve.
       "--disable-features=WebRtcHideLocalIpsWithMdns",
       // A headless page counts as hidden: keep its timers and renderer at full speed.
       "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
       "--disable-backgrounding-occluded-windows", "--window-size=900,900", "about:blank"},
      {{"HOME", dir_.string()}});
  // While Chromium starts: the bridge whose daemon wants a token its validator takes
  // ("good-token").
  const auto token_began = std::chrono::steady_clock::now();
  TokenValidator validator;
  const auto token_dir = dir_ / "token-daemon";
  std::filesystem::create_directories(token_dir);
  SignaldDaemon token_daemon(token_dir, {"--auth-url", validator.url()});
  ASSERT_TRUE(token_daemon.ready());
  auto token_web = start_web(token_daemon, plugins, token_origin);
  ASSERT_FALSE(token_origin.empty()) << "the token bridge did not start";
  std::fprintf(
      stderr, "the token bridge and its daemon started in %.2f s\n",
      std::chrono::duration<double>(std::chrono::steady_clock::now() - token_began).count());
  const std::regex devtools("DevTools listening on ws://127\\.0\\.0\\.1:(\\d+)/");
  auto listening = chromium.wait_for_line(devtools, 30s);
  ASSERT_TRUE(listening) << "chromium did not start";
  ASSERT_TRUE(std::regex_search(*listening, m, devtools));

  const auto output_dir = build_dir() / "tests/integration/web/output";
  std::filesystem::create_directories(output_dir);
  const auto screenshot = output_dir / "page.png";
  std::filesystem::remove(screenshot);
  ChildProcess driver(
      "/usr/bin/python3",
      {(source_dir() / "tests/integration/web/drive_page.py").string(), m[1].str(),
       // Both talk at once, so the browser's echo canceller would
       // duck its microphone: the page takes it as it is.
       origin + "/room/lobby?processing=off", std::to_string(kSeconds), screenshot.string(),
       (dir_ / "driven.json").string(), std::to_string(kCallSeconds), token_origin});
  // The driver gives up after 60 s and says in what state the page was.
  auto in_call = driver.wait_for_line(std::regex("drive_page: "), 90s);
  if (!in_call || in_call->find("in the call") == std::string::npos) {
    std::string output;
    for (const auto *process : {&driver, &web}) {
      for (const auto &l : process->lines()) output += l + "\n";
    }
    FAIL() << "the page never got into the call:\n" << output;
  }
  ChildProcess member(
      build_binary("client/wzp"),
      {"room", "join", "--open", "lobby", "--in", (dir_ / "member_long.wav").string(), "--out",
       (dir_ / "at_member.wav").string()},
      env("member"));
  ASSERT_TRUE(member.wait_for_line(std::regex("in room lobby as sender"), 20s));
  // The member leaves once the page heard enough (its recording ends
  // cleanly); the page then goes on to the call.
  ASSERT_TRUE(driver.wait_for_line(std::regex("drive_page: heard"), 90s));
  member.stop(10s);

  auto driven = driver.wait_exit(120s);
  std::string driver_output;
  for (const auto &l : driver.lines()) driver_output += l + "\n";
  ASSERT_TRUE(driven && WIFEXITED(*driven) && WEXITSTATUS(*driven) == 0) << driver_output;
  for (const auto &l : driver.lines()) {
    if (l.starts_with("drive_page: token")) std::fprintf(stderr, "%s\n", l.c_str());
  }
  std::ifstream in(dir_ / "driven.json");
  json result = json::parse(in);
  const json &page = result["page"];

  // What each side heard stays beside the screenshot.
  for (const char *file : {"driven.json", "at_member.wav", "member.wav", "browser.wav"}) {
    std::filesystem::copy_file(dir_ / file, output_dir / file,
                               std::filesystem::copy_options::overwrite_existing);
  }
  std::string member_output, web_output;
  for (const auto &l : member.lines()) member_output += l + "\n";
  for (const auto &l : web.lines()) web_output += l + "\n";

  EXPECT_EQ(page["state"], "in the call") << page.dump() << "\n" << web_output;
  EXPECT_TRUE(page["errors"].empty()) << page["errors"].dump();
  // The page shows the member, heard, and the quality the bridge reports.
  ASSERT_TRUE(page["status"].is_object()) << page.dump();
  ASSERT_EQ(page["status"]["members"].size(), 1u) << page["status"].dump();
  EXPECT_TRUE(page["status"]["members"][0]["heard"].get<bool>());
  EXPECT_NE(page["members_shown"].get<std::string>().find("heard: played"), std::string::npos);
  EXPECT_NE(page["quality_shown"].get<std::string>().find("tier "), std::string::npos);
  ASSERT_TRUE(std::filesystem::exists(screenshot));
  EXPECT_GT(std::filesystem::file_size(screenshot), 1000u);
  std::fprintf(stderr, "screenshot: %s\n", screenshot.c_str());

  // The browser heard the member's speech.
  auto member_said = read_wav(dir_ / "member.wav");
  auto browser_said = read_wav(dir_ / "browser.wav");
  ASSERT_TRUE(member_said && browser_said);
  std::vector<double> page_heard = page["heard"].get<std::vector<double>>();
  ASSERT_TRUE(page["heard_from"].is_number()) << "the bridge never heard the member";
  page_heard.erase(page_heard.begin(), page_heard.begin() + page["heard_from"].get<long>());
  ASSERT_GE(page_heard.size(), 50u * kSeconds);
  double browser_hears_member = heard_follows(envelope(*member_said, 20), page_heard);
  double browser_hears_itself = heard_follows(envelope(*browser_said, 20), page_heard);
  // And the member heard the browser's.
  auto at_member = read_wav(dir_ / "at_member.wav");
  ASSERT_TRUE(at_member) << member_output;
  std::vector<double> member_heard = envelope(*at_member, 20);
  double member_hears_browser = heard_follows(envelope(*browser_said, 20), member_heard);
  double member_hears_itself = heard_follows(envelope(*member_said, 20), member_heard);
  std::fprintf(stderr,
               "envelope correlation: browser hears member %.2f (its own speech %.2f), member "
               "hears browser %.2f (its own speech %.2f)\n",
               browser_hears_member, browser_hears_itself, member_hears_browser,
               member_hears_itself);
  if (::testing::Test::HasFailure() || browser_hears_member < 0.5 || member_hears_browser < 0.5) {
    std::fprintf(stderr, "member:\n%s\nwzp-web:\n%s", member_output.c_str(), web_output.c_str());
  }
  // See docs/web.md for what these measured.
  EXPECT_GT(browser_hears_member, 0.5);
  EXPECT_GT(browser_hears_member, browser_hears_itself + 0.1);
  EXPECT_GT(member_hears_browser, 0.5);
  EXPECT_GT(member_hears_browser, member_hears_itself + 0.1);

  // The call between two browsers: the caller reached @dora, both are in
  // the call, and each heard the other's voice (both microphones play the
  // same file, so there is no other speech to compare against: silence or
  // noise scores far below).
  const json &call = result["call"];
  for (const char *side : {"calling", "answering"}) {
    const json &tab = call[side];
    EXPECT_EQ(tab["state"], "in the call") << side << ": " << tab.dump().substr(0, 2000);
    EXPECT_TRUE(tab["errors"].empty()) << side << ": " << tab["errors"].dump();
    // The identity the bridge made is kept in the browser, one per alias.
    EXPECT_TRUE(tab["identity"].is_string() && tab["identity"].get<std::string>().size() == 64)
        << side;
    ASSERT_TRUE(tab["heard_from"].is_number()) << side << ": the bridge never played the peer";
    std::vector<double> heard = tab["heard"].get<std::vector<double>>();
    heard.erase(heard.begin(), heard.begin() + tab["heard_from"].get<long>());
    ASSERT_GE(heard.size(), 50u * kCallSeconds) << side;
    // 1 s segments: the call's 3 s begin as its jitter buffers settle,
    // shortening a pause here and stretching one there; a 2 s segment would
    // score the first 2 s alone, warps included, and leave the last second out.
    double score = heard_follows(envelope(*browser_said, 20), heard, 50);
    std::fprintf(stderr, "call: %s browser hears the other %.2f\n", side, score);
    EXPECT_GT(score, 0.5) << side;
  }
  EXPECT_NE(call["calling"]["peer"].get<std::string>().find("(@dora)"), std::string::npos);
  EXPECT_NE(call["calling"]["identity"], call["answering"]["identity"]);

  // The page's token form: the token in the tab's address was refused (the
  // validator's 401 shown), the address no longer holds it, and the token
  // the user typed into the form signed the tab in.
  const json &token = result["token"];
  EXPECT_EQ(token["refused"], true) << token.dump();
  ASSERT_TRUE(token["refusals"].is_array() && !token["refusals"].empty()) << token.dump();
  EXPECT_EQ(token["refusals"][0]["code"], "token_refused");
  EXPECT_NE(token["refusals"][0]["message"].get<std::string>().find("401"), std::string::npos);
  EXPECT_EQ(token["address"].get<std::string>().find("token"), std::string::npos)
      << token["address"];
  EXPECT_EQ(token["signed_in"], true) << token.dump();
  ASSERT_TRUE(token["page"].is_object()) << token.dump();
  EXPECT_EQ(token["page"]["state"], "waiting for a call") << token.dump();
  EXPECT_EQ(token["page"]["form_shown"], false);
  EXPECT_NE(token["page"]["me"].get<std::string>().find("(@erin)"), std::string::npos);

  // The bridge stops cleanly with a browser still in the room, and says
  // what it served and what that cost.
  chromium.stop();
  int stopped = web.stop(10s);
  EXPECT_TRUE(WIFEXITED(stopped) && WEXITSTATUS(stopped) == 0);
  const auto lines = web.lines();
  auto stopping = std::find_if(lines.begin(), lines.end(), [](const std::string &l) {
    return l.starts_with("wzp-web: stopping");
  });
  ASSERT_NE(stopping, lines.end());
  for (auto l = stopping; l != lines.end(); ++l) {
    std::fprintf(stderr, "%s\n", l->c_str());
    // Every page's WebRTC connection came up in time (webrtcbin's
    // connection-state), and none waited past it.
    EXPECT_FALSE(l->starts_with("wzp_web_closed_timeout_total")) << *l;
  }
}

}  // namespace
}  // namespace wzp::test
