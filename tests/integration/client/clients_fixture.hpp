// What the tests of `wzp` against the real wzp-signald share: a temporary
// directory, the daemon, each user's identity and environment, and how a
// `wzp` process ended.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <string>

#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/signald_daemon.hpp"

namespace wzp::test {

struct Outcome {
  int exit_code = -1;
  std::string output;
};

// Waits up to `timeout` for `process` to end; its exit code and output.
inline Outcome finish(ChildProcess &process, std::chrono::seconds timeout) {
  Outcome outcome;
  auto status = process.wait_exit(timeout);
  EXPECT_TRUE(process.wait_output_closed(std::chrono::seconds(5)));
  for (const auto &line : process.lines()) outcome.output += line + "\n";
  if (status && WIFEXITED(*status)) outcome.exit_code = WEXITSTATUS(*status);
  return outcome;
}

// The call `caller` is in goes on after someone else was refused: a status
// line of the call comes after the refusal, and the caller's hangup still
// reaches `callee` through the daemon.
inline void expect_call_goes_on(ChildProcess &caller, ChildProcess &callee) {
  EXPECT_TRUE(caller.wait_for_lines(std::regex(R"(^tier .* \| sent \d+ frames)"), 1,
                                    caller.line_count(), std::chrono::seconds(10)));
  caller.signal(SIGINT);
  Outcome hung_up = finish(caller, std::chrono::seconds(30));
  EXPECT_EQ(hung_up.exit_code, 0) << hung_up.output;
  Outcome ended = finish(callee, std::chrono::seconds(30));
  EXPECT_EQ(ended.exit_code, 0) << ended.output;
  EXPECT_NE(ended.output.find("call ended: the other side hung up"), std::string::npos)
      << ended.output;
}

class ClientsWithDaemon : public ::testing::Test {
 protected:
  // Starts the daemon with its files in `dir_` (made by the caller).
  void start_daemon() {
    daemon_ = std::make_unique<SignaldDaemon>(dir_);
    ASSERT_TRUE(daemon_->ready());
  }
  // `wzp id new` for `who`, its passphrase from env().
  void make_identity(const std::string &who) {
    ChildProcess id(build_binary("client/wzp"), {"id", "new"}, env(who));
    auto status = id.wait_exit(std::chrono::seconds(30));
    ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  }
  void TearDown() override {
    daemon_.reset();
    std::filesystem::remove_all(dir_);
  }

  // The environment `wzp` runs in as `who`: its identity, passphrase, the
  // daemon, our plugins and fatal GLib criticals.
  std::map<std::string, std::string> env(const std::string &who) const {
    return {{"WZP_IDENTITY", (dir_ / (who + ".id")).string()},
            {"WZP_PASSPHRASE", "pass of " + who},
            {"WZP_SERVER", "127.0.0.1:" + std::to_string(daemon_->quic_port())},
            {"WZP_SERVER_FINGERPRINT", daemon_->certificate()},
            {"GST_PLUGIN_PATH", (build_dir() / "gst-plugins").string()},
            // A GLib critical aborts `wzp`, so a test that checks its exit
            // status fails on one, also when run outside ctest.
            {"G_DEBUG", "fatal-criticals"}};
  }

  std::filesystem::path dir_;
  std::unique_ptr<SignaldDaemon> daemon_;
};

}  // namespace wzp::test
