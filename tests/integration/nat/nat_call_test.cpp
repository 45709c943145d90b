// Real `wzp` clients calling through real NATs (tests/support/netlab.hpp):
// each offers its host address and the reflexive one the daemon saw, the
// other checks them, and the call itself goes through the relay room.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <regex>

#include "tests/support/call_summary.hpp"
#include "tests/support/netlab.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/signald_daemon.hpp"

namespace wzp::test {
namespace {

using namespace std::chrono_literals;

std::string output_of(ChildProcess &process) {
  std::string out;
  for (const auto &line : process.lines()) out += line + "\n";
  return out;
}

class NatCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      lab_ = std::make_unique<NetLab>();
    } catch (const std::exception &e) {
      FAIL() << "cannot build the NAT lab: " << e.what();
    }
    dir_ = make_temp_dir("nat-call");
    for (auto [who, text] : {std::pair{"alice", "Alice calls bob from behind a cone NAT."},
                             {"bob", "Bob answers from behind a symmetric NAT, and talks on."}}) {
      ChildProcess speak("/usr/bin/espeak-ng",
                         {"-w", (dir_ / (std::string(who) + ".wav")).string(), text});
      ASSERT_TRUE(speak.wait_exit(30s).has_value());
      ChildProcess id(build_binary("client/wzp"), {"id", "new"}, env(who));
      auto status = id.wait_exit(30s);
      ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << output_of(id);
    }
  }
  void TearDown() override {
    lab_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::map<std::string, std::string> env(const std::string &who) const {
    std::map<std::string, std::string> env = {
        {"WZP_IDENTITY", (dir_ / (who + ".id")).string()},
        {"WZP_PASSPHRASE", "pass of " + who},
        {"GST_PLUGIN_PATH", (build_dir() / "gst-plugins").string()},
        {"G_DEBUG", "fatal-criticals"}};
    if (daemon_) {
      env["WZP_SERVER"] = NetLab::public_address(1) + ":" + std::to_string(daemon_->quic_port());
      env["WZP_SERVER_FINGERPRINT"] = daemon_->certificate();
    }
    return env;
  }

  std::unique_ptr<NetLab> lab_;
  std::filesystem::path dir_;
  std::unique_ptr<SignaldDaemon> daemon_;
};

TEST_F(NatCallTest, EachSideOffersItsReflexiveAddressAndRejectsTheOthersLan) {
  auto &cone = lab_->add_router(NatKind::kEndpointIndependent);
  auto &symmetric = lab_->add_router(NatKind::kSymmetric);
  auto alice_host = lab_->add_host(cone);
  auto bob_host = lab_->add_host(symmetric);
  daemon_ = std::make_unique<SignaldDaemon>(
      dir_, std::vector<std::string>{"--listen", NetLab::public_address(1) + ":0"},
      std::vector<std::string>{"/usr/sbin/ip", "netns", "exec", lab_->public_ns()});
  ASSERT_TRUE(daemon_->ready()) << output_of(daemon_->process());

  const std::string wzp = build_binary("client/wzp").string();
  auto bob = lab_->start(bob_host.ns, wzp,
                         {"answer", "--auto-answer", "--alias", "bob", "--in",
                          (dir_ / "bob.wav").string(), "--out", (dir_ / "at_bob.wav").string()},
                         env("bob"));
  ASSERT_TRUE(bob->wait_for_line(std::regex("signed in to .* as .*\\(@bob\\)"), 20s))
      << output_of(*bob);
  auto alice = lab_->start(alice_host.ns, wzp,
                           {"call", "@bob", "--in", (dir_ / "alice.wav").string(), "--out",
                            (dir_ / "at_alice.wav").string()},
                           env("alice"));
  auto alice_status = alice->wait_exit(60s);
  auto bob_status = bob->wait_exit(30s);
  alice->wait_output_closed(5s);
  bob->wait_output_closed(5s);
  const std::string said_alice = output_of(*alice), said_bob = output_of(*bob);
  ASSERT_TRUE(alice_status && WIFEXITED(*alice_status) && WEXITSTATUS(*alice_status) == 0)
      << said_alice;
  ASSERT_TRUE(bob_status && WIFEXITED(*bob_status) && WEXITSTATUS(*bob_status) == 0) << said_bob;

  // Alice, behind the port-preserving cone NAT: her LAN address and the
  // router's, on one port.
  std::smatch ours;
  ASSERT_TRUE(std::regex_search(
      said_alice, ours,
      std::regex(R"(our candidates +host 10\.15\.1\.10:(\d+), reflexive 11\.15\.0\.11:(\d+)\n)")))
      << said_alice;
  EXPECT_EQ(ours[1], ours[2]);
  const std::string alice_public = "11.15.0.11:" + ours[2].str();
  // Bob, behind the symmetric NAT: the router's address, some port.
  std::smatch bobs;
  ASSERT_TRUE(std::regex_search(
      said_bob, bobs,
      std::regex(R"(our candidates +host 10\.15\.2\.10:\d+, reflexive (11\.15\.0\.12:\d+)\n)")))
      << said_bob;
  // Each kept the other's public address and refused its LAN address:
  // alice called an @alias, and bob answered a caller he has not accepted.
  EXPECT_NE(said_alice.find("peer's candidates     " + bobs[1].str() + " (rejected: 1 private)"),
            std::string::npos)
      << said_alice;
  EXPECT_NE(said_bob.find("peer's candidates     " + alice_public + " (rejected: 1 private)"),
            std::string::npos)
      << said_bob;
  for (const auto *said : {&said_alice, &said_bob}) {
    EXPECT_NE(said->find("media path            relay"), std::string::npos) << *said;
    // Both heard the other through the relay, across both NATs.
    EXPECT_GT(summary_frames(*said).played, 0u) << *said;
  }
}

}  // namespace
}  // namespace wzp::test
