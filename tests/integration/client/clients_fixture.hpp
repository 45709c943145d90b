// What the tests of `wzp` against the real wzp-signald share: a temporary
// directory, the daemon, and each user's identity and environment.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/signald_daemon.hpp"

namespace wzp::test {

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
