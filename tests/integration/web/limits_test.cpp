// wzp-web's limits and its --auth-url pass-through, without a browser: the
// real wzp-signald (run with --auth-url against a validator in this
// process), the real wzp-web with small limits, and probe_bridge.py talking
// to its WebSocket and /metrics. Each refusal must say why, close when it
// should, and be counted; a browser's token must reach the daemon.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/signald_daemon.hpp"
#include "tests/support/token_validator.hpp"

namespace wzp::test {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr int kMessageBytes = 4096;
constexpr int kSessionsPerAddress = 2;
constexpr int kSessions = 4;
constexpr double kSetupSeconds = 2;
constexpr int kWaitingPerAddress = 3;        // probe_bridge.py holds that many, then one more
constexpr uint16_t kPolicyViolation = 1008;  // the WebSocket close code

class WebBridgeLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("web-limits");
    daemon_ = std::make_unique<SignaldDaemon>(
        dir_, std::vector<std::string>{"--auth-url", validator_.url()});
    ASSERT_TRUE(daemon_->ready());
    web_ = std::make_unique<ChildProcess>(
        build_binary("web/wzp-web"),
        std::vector<std::string>{"--signald",
                                 "127.0.0.1:" + std::to_string(daemon_->quic_port()),
                                 "--signald-fingerprint",
                                 daemon_->certificate(),
                                 "--address",
                                 "127.0.0.1",
                                 "--port",
                                 "0",
                                 "--max-message-bytes",
                                 std::to_string(kMessageBytes),
                                 "--max-sessions-per-address",
                                 std::to_string(kSessionsPerAddress),
                                 "--max-sessions",
                                 std::to_string(kSessions),
                                 "--setup-timeout",
                                 std::to_string(kSetupSeconds),
                                 "--handshake-timeout",
                                 std::to_string(kSetupSeconds),
                                 "--max-waiting-per-address",
                                 std::to_string(kWaitingPerAddress)},
        std::map<std::string, std::string>{
            {"GST_PLUGIN_PATH", (build_dir() / "gst-plugins").string()},
            {"G_DEBUG", "fatal-criticals"}});
    const std::regex serving("serving https://127\\.0\\.0\\.1:(\\d+)/");
    auto line = web_->wait_for_line(serving, 20s);
    ASSERT_TRUE(line) << "wzp-web did not start";
    std::smatch m;
    ASSERT_TRUE(std::regex_search(*line, m, serving));
    origin_ = "https://127.0.0.1:" + m[1].str();
  }
  void TearDown() override {
    web_.reset();
    daemon_.reset();
    std::filesystem::remove_all(dir_);
  }

  // What probe_bridge.py saw in `scenario`.
  json probe(const std::string &scenario) {
    const auto out = dir_ / (scenario + ".json");
    ChildProcess driver("/usr/bin/python3",
                        {(source_dir() / "tests/integration/web/probe_bridge.py").string(), origin_,
                         scenario, out.string(), std::to_string(kMessageBytes)});
    auto status = driver.wait_exit(60s);
    std::string output;
    for (const auto &l : driver.lines()) output += l + "\n";
    EXPECT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << output << "wzp-web:\n"
                                                                           << web_output();
    std::ifstream in(out);
    json seen = json::parse(in, nullptr, false);
    EXPECT_TRUE(seen.is_object()) << output;
    return seen.is_object() ? seen : json::object();
  }

  std::string web_output() const {
    std::string out;
    for (const auto &l : web_->lines()) out += l + "\n";
    return out;
  }

  TokenValidator validator_;
  std::filesystem::path dir_;
  std::unique_ptr<SignaldDaemon> daemon_;
  std::unique_ptr<ChildProcess> web_;
  std::string origin_;
};

// `seen` (a session's messages up to its close) ends with the error `code`
// and a close for a policy violation whose reason starts as `reason` does.
void expect_closed(const json &seen, const std::string &code, const std::string &reason) {
  ASSERT_GE(seen.size(), 2u) << seen.dump();
  const json &error = seen[seen.size() - 2], &closed = seen.back();
  EXPECT_EQ(error.value("code", ""), code) << seen.dump();
  // Compared as JSON: a socket cut without a close frame reads as null.
  EXPECT_EQ(closed.value("closed", json()), json(kPolicyViolation)) << seen.dump();
  const json said = closed.value("reason", json());
  EXPECT_TRUE(said.is_string() && said.get<std::string>().starts_with(reason)) << seen.dump();
}

void expect_counted(const std::string &metrics, const std::string &line) {
  EXPECT_NE(metrics.find("wzp_web_" + line + "\n"), std::string::npos) << line << " in\n"
                                                                       << metrics;
}

TEST_F(WebBridgeLimits, RefusalsFloodsAndDeadlinesSayWhyAndAreCounted) {
  json seen = probe("limits");
  ASSERT_FALSE(HasFailure());
  std::fprintf(stderr, "probe_bridge.py's steps ended at (s): %s\n", seen["times"].dump().c_str());
  EXPECT_EQ(seen["too_big"].value("code", ""), "message_too_big") << seen["too_big"].dump();
  EXPECT_EQ(seen["not_json"].value("code", ""), "bad_message");
  EXPECT_EQ(seen["binary"].value("code", ""), "bad_message");
  EXPECT_EQ(seen["wrong_invite"].value("code", ""), "bad_invite");

  // Two from one address, then two from another fill the bridge.
  EXPECT_EQ(seen["per_address"].value("served", -1), kSessionsPerAddress);
  expect_closed(seen["per_address"]["refusal"], "too_many_sessions", "too many sessions from");
  EXPECT_EQ(seen["second_address"].value("served", -1), kSessions - kSessionsPerAddress);
  expect_closed(seen["second_address"]["refusal"], "too_many_sessions", "the bridge is full");
  EXPECT_EQ(seen["third_address"].value("served", -1), 0);

  // A flood is told, then closed.
  const json &flood = seen["flood"]["seen"];
  ASSERT_FALSE(flood.empty());
  EXPECT_EQ(flood[0].value("code", ""), "rate_limited") << flood.dump();
  expect_closed(flood, "flood", "too many messages");

  // A session that never says what it wants, and one that never makes its
  // offer, are closed once the setup time has passed, saying what was missing.
  expect_closed(seen["silent"], "timeout", "no join, call or answer within 2 s");
  EXPECT_GE(seen["silent_after_s"].get<double>(), kSetupSeconds);
  ASSERT_EQ(seen["joined"].size(), 2u);
  EXPECT_EQ(seen["joined"][0].value("type", ""), "signed_in") << seen["joined"].dump();
  EXPECT_EQ(seen["joined"][1].value("type", ""), "joined") << seen["joined"].dump();
  EXPECT_EQ(seen["bad_offer"].value("code", ""), "bad_sdp") << seen["bad_offer"].dump();
  EXPECT_EQ(seen["bad_offer"].value("message", ""), "no audio section");
  const json &no_offer = seen["no_offer"];
  ASSERT_EQ(no_offer.size(), 2u) << no_offer.dump();
  expect_closed(no_offer, "timeout", "no WebRTC connection within 2 s");

  // Before the WebSocket: one address holds only so many connections, and
  // one that sends nothing, half a ClientHello or half a request is closed
  // once the handshake timeout has passed (not a failed handshake: cut).
  EXPECT_TRUE(seen.value("one_more", false)) << "one more connection was left open";
  for (const char *name : {"silent", "half_hello", "half_request"}) {
    EXPECT_TRUE(seen["waiting"].value(name, false)) << name << " was left open";
  }

  const std::string metrics = seen.value("metrics", "");
  for (const char *line :
       {"refused_waiting_per_address_total 1", "closed_waiting_timeout_total 3",
        "closed_tls_failed_total 0", "refused_waiting_full_total 0", "dropped_too_big_total 1",
        "dropped_bad_message_total 1", "dropped_binary_total 1", "refused_bad_invite_total 1",
        "refused_bad_sdp_total 1", "refused_per_address_total 1", "refused_full_total 2",
        "closed_flood_total 1", "closed_timeout_total 2", "sessions_active 0"}) {
    expect_counted(metrics, line);
  }
  EXPECT_NE(metrics.find("wzp_web_dropped_rate_limited_total "), std::string::npos) << metrics;
  // Only the request for /metrics itself waits: every page, metrics and
  // upgrade request before it let its connection go.
  expect_counted(metrics, "connections_waiting 1");
  if (HasFailure()) std::fprintf(stderr, "wzp-web:\n%s", web_output().c_str());
}

TEST_F(WebBridgeLimits, TheBrowsersTokenReachesTheDaemon) {
  json seen = probe("auth");
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(seen["no_token"].value("code", ""), "token_required") << seen["no_token"].dump();
  EXPECT_EQ(seen["bad_token"].value("code", ""), "token_refused") << seen["bad_token"].dump();
  // The daemon's reason reaches the browser: its validator said 401.
  EXPECT_NE(seen["bad_token"].value("message", "").find("401"), std::string::npos)
      << seen["bad_token"].dump();
  ASSERT_EQ(seen["good_token"].size(), 2u);
  EXPECT_EQ(seen["good_token"][0].value("type", ""), "signed_in") << seen["good_token"].dump();
  EXPECT_EQ(seen["good_token"][1].value("type", ""), "joined") << seen["good_token"].dump();
  const std::string metrics = seen.value("metrics", "");
  expect_counted(metrics, "refused_token_required_total 1");
  expect_counted(metrics, "refused_token_refused_total 1");
  // Neither the bridge nor the daemon writes a token down.
  web_->stop(10s);
  for (const auto *process : {web_.get(), &daemon_->process()}) {
    for (const auto &line : process->lines()) {
      EXPECT_EQ(line.find("stolen-token"), std::string::npos) << line;
      EXPECT_EQ(line.find("good-token"), std::string::npos) << line;
    }
  }
}

}  // namespace
}  // namespace wzp::test
