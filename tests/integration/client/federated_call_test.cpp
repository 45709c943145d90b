// `wzp call` to a user signed in to another relay: two real wzp-signald
// processes linked over QUIC (docs/signal.md "Federation"), alice on one,
// bob on the other, the real `wzp` client on both sides. The call rings
// through both relays and its media crosses the link both ways.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <regex>
#include <string>

#include "libwzp/crypto/identity.hpp"
#include "libwzp/signal/session.hpp"
#include "tests/integration/client/audio_compare.hpp"
#include "tests/integration/client/clients_fixture.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/signald_daemon.hpp"
#include "tests/support/wait.hpp"

namespace wzp::test {
namespace {

using namespace std::chrono_literals;

constexpr const char *kAliceSays =
    "This is alice calling bob on another relay. The quick brown fox jumps over the lazy dog.";
constexpr const char *kBobSays =
    "Hello alice, this is bob answering from my own relay. I will keep talking for a while, "
    "longer than you, so that you are the one who hangs up. One, two, three, four, five, six, "
    "seven, eight, nine, ten.";

struct Relay {
  RelaySetup setup;
  std::unique_ptr<SignaldDaemon> daemon;
};

class FederatedCall : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("client-federated-call");
    for (auto [file, text] : {std::pair{"alice.wav", kAliceSays}, {"bob.wav", kBobSays}}) {
      ChildProcess speak("/usr/bin/espeak-ng", {"-w", (dir_ / file).string(), text});
      ASSERT_TRUE(speak.wait_exit(30s).has_value());
    }
    for (int i = 0; i < 2; ++i) relays_[i].setup = prepare_relay(dir_ / (i == 0 ? "a" : "b"));
    for (int i = 0; i < 2; ++i) {
      auto args = relays_[i].setup.args();
      args.insert(args.end(), {"--peer", relays_[1 - i].setup.as_peer()});
      relays_[i].daemon = std::make_unique<SignaldDaemon>(relays_[i].setup.dir, args);
      ASSERT_TRUE(relays_[i].daemon->ready());
    }
    for (const char *who : {"alice", "bob", "carol"}) {
      ChildProcess id(build_binary("client/wzp"), {"id", "new"}, env(who, 0));
      auto status = id.wait_exit(30s);
      ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
    }
  }
  void TearDown() override {
    for (auto &relay : relays_) relay.daemon.reset();
    std::filesystem::remove_all(dir_);
  }

  // `wzp` as `who`, signed in to relay `relay` (0: A, 1: B).
  std::map<std::string, std::string> env(const std::string &who, int relay) const {
    const SignaldDaemon &daemon = *relays_[relay].daemon;
    return {{"WZP_IDENTITY", (dir_ / (who + ".id")).string()},
            {"WZP_PASSPHRASE", "pass of " + who},
            {"WZP_SERVER", "127.0.0.1:" + std::to_string(daemon.quic_port())},
            {"WZP_SERVER_FINGERPRINT", daemon.certificate()},
            {"GST_PLUGIN_PATH", (build_dir() / "gst-plugins").string()},
            {"G_DEBUG", "fatal-criticals"}};
  }

  // True once @alias, signed in to B, resolves on A: the relays have linked
  // and B's presence reached A.
  bool resolves_on_a(const std::string &alias) {
    signal::SessionConfig config;
    config.port = relays_[0].daemon->quic_port();
    config.server_fingerprint = relays_[0].daemon->certificate();
    auto observer = crypto::Identity::generate();
    std::string error;
    auto session = signal::Session::connect(config, observer, error);
    if (!session) return false;
    return wait_until(
        [&] {
          uint64_t id = session->next_request_id();
          session->send(signal::AliasResolve{alias}, id);
          auto reply = session->wait_reply(id, 2s);
          return reply && std::holds_alternative<signal::AliasResolved>(reply->message);
        },
        20s);
  }

  std::filesystem::path dir_;
  Relay relays_[2];
};

TEST_F(FederatedCall, ACallReachesAUserOnALinkedRelayAndBothHearEachOther) {
  ChildProcess bob(build_binary("client/wzp"),
                   {"answer", "--auto-answer", "--alias", "bob", "--in",
                    (dir_ / "bob.wav").string(), "--out", (dir_ / "at_bob.wav").string()},
                   env("bob", 1));
  ASSERT_TRUE(bob.wait_for_line(std::regex("signed in to .* as .*\\(@bob\\)"), 20s));
  ASSERT_TRUE(resolves_on_a("@bob")) << "the relays did not link";
  ChildProcess alice(build_binary("client/wzp"),
                     {"call", "@bob", "--in", (dir_ / "alice.wav").string(), "--out",
                      (dir_ / "at_alice.wav").string()},
                     env("alice", 0));
  Outcome called = finish(alice, 60s);
  Outcome answered = finish(bob, 30s);
  EXPECT_EQ(called.exit_code, 0) << called.output;
  EXPECT_EQ(answered.exit_code, 0) << answered.output;
  // Alice hung up at the end of her speech; bob heard of it through both relays.
  EXPECT_NE(answered.output.find("call ended: the other side hung up"), std::string::npos)
      << answered.output;

  EXPECT_GT(speech_similarity(dir_ / "alice.wav", dir_ / "at_bob.wav"), 0.3)
      << called.output << answered.output;
  auto heard = read_wav(dir_ / "at_alice.wav");
  ASSERT_TRUE(heard) << called.output;
  EXPECT_GT(heard->samples.size(), static_cast<size_t>(heard->rate)) << called.output;
}

TEST_F(FederatedCall, AUserInACallOnALinkedRelayIsBusy) {
  ChildProcess bob(build_binary("client/wzp"),
                   {"answer", "--auto-answer", "--echo", "--alias", "bob"}, env("bob", 1));
  ASSERT_TRUE(bob.wait_for_line(std::regex("signed in"), 20s));
  ASSERT_TRUE(resolves_on_a("@bob")) << "the relays did not link";
  ChildProcess alice(build_binary("client/wzp"),
                     {"echo-test", "@bob", "--in", (dir_ / "alice.wav").string()}, env("alice", 0));
  ASSERT_TRUE(alice.wait_for_line(std::regex("in call with"), 30s));
  ChildProcess carol(build_binary("client/wzp"),
                     {"call", "@bob", "--in", (dir_ / "alice.wav").string()}, env("carol", 0));
  Outcome refused = finish(carol, 30s);
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("busy"), std::string::npos) << refused.output;
  expect_call_goes_on(alice, bob);
}

}  // namespace
}  // namespace wzp::test
