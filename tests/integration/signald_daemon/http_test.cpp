#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "tests/integration/signald_daemon/daemon.hpp"
#include "tests/support/paths.hpp"

namespace wzp::signald::test {
namespace {

using namespace wzp::signal;

class SignaldHttp : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = wzp::test::make_temp_dir("signald-http"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(SignaldHttp, HealthMetricsAndPresenceAnswer) {
  Daemon daemon(dir_);
  ASSERT_TRUE(daemon.ready());
  auto health = daemon.get("/healthz");
  EXPECT_EQ(health.status, 200u);
  EXPECT_EQ(health.body, "ok\n");

  auto empty = nlohmann::json::parse(daemon.get("/presence").body);
  EXPECT_EQ(empty["count"], 0);

  auto alice = crypto::Identity::generate();
  Client client(daemon);
  ASSERT_TRUE(client.login(alice));
  client.send(AliasClaim{"alice"}, 1);
  ASSERT_TRUE(client.wait_for<Ok>());

  auto presence = daemon.get("/presence");
  EXPECT_EQ(presence.content_type, "application/json");
  auto list = nlohmann::json::parse(presence.body);
  ASSERT_EQ(list["count"], 1);
  EXPECT_EQ(list["users"][0]["fingerprint"], fingerprint(alice));
  EXPECT_EQ(list["users"][0]["alias"], "alice");

  auto one = daemon.get("/presence/" + fingerprint(alice));
  EXPECT_EQ(one.status, 200u);
  EXPECT_EQ(nlohmann::json::parse(one.body)["devices"], 1);
  // Any spelling the crypto library accepts: upper case, no colons.
  std::string plain;
  for (char c : fingerprint(alice)) {
    if (c != ':') plain.push_back(static_cast<char>(std::toupper(c)));
  }
  EXPECT_EQ(daemon.get("/presence/" + plain).status, 200u);
  auto offline = daemon.get("/presence/" + fingerprint(crypto::Identity::generate()));
  EXPECT_EQ(offline.status, 404u);
  EXPECT_EQ(nlohmann::json::parse(offline.body)["online"], false);
  EXPECT_EQ(daemon.get("/presence/not-a-fingerprint").status, 400u);
  EXPECT_EQ(daemon.get("/nothing-here").status, 404u);

  auto metrics = daemon.get("/metrics");
  EXPECT_EQ(metrics.status, 200u);
  EXPECT_NE(metrics.body.find("wzp_signald_connections 1\n"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("wzp_signald_authenticated_connections 1\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("wzp_signald_calls{state=\"active\"} 0\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("wzp_signald_datagrams_dropped_total{reason=\"bad_header\"} 0"),
            std::string::npos);
}

TEST_F(SignaldHttp, StateSurvivesRestartAndKill9) {
  auto alice = crypto::Identity::generate();
  auto bob = crypto::Identity::generate();
  std::string identity;
  {
    Daemon daemon(dir_);
    ASSERT_TRUE(daemon.ready());
    identity = daemon.identity();
    Client a(daemon);
    ASSERT_TRUE(a.login(alice));
    a.send(AliasClaim{"alice"}, 1);
    ASSERT_TRUE(a.wait_for<Ok>());
    Client b(daemon);
    ASSERT_TRUE(b.login(bob));  // seen, so Alice can call Bob while he is away
    daemon.process().signal(SIGTERM);
    auto status = daemon.process().wait_exit(10s);
    ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
    EXPECT_TRUE(a.wait_closed());
    EXPECT_NE(a.close_error().find("server shutting down"), std::string::npos) << a.close_error();
  }
  {
    Daemon daemon(dir_);
    ASSERT_TRUE(daemon.ready());
    EXPECT_EQ(daemon.identity(), identity);  // the daemon's identity is kept too
    Client a(daemon);
    ASSERT_TRUE(a.login(alice));
    a.send(AliasResolve{"@alice"}, 2);
    auto resolved = a.wait_for<AliasResolved>();
    ASSERT_TRUE(resolved);
    EXPECT_EQ(resolved->fingerprint, fingerprint(alice));
    a.send(CallOffer{"missed-1", "", fingerprint(bob), {}, {"opus"}, {}, {}});
    auto hangup = a.wait_for<CallHangup>();
    ASSERT_TRUE(hangup);
    EXPECT_EQ(hangup->reason, "unavailable");
    a.send(AliasClaim{"alice"}, 3);  // a write just before the crash
    ASSERT_TRUE(a.wait_for<Ok>());
    daemon.process().signal(SIGKILL);
    daemon.process().wait_exit(10s);
  }
  Daemon daemon(dir_);
  ASSERT_TRUE(daemon.ready());
  Client b(daemon);
  auto welcome = b.login(bob);
  ASSERT_TRUE(welcome);
  auto missed = b.wait_for<MissedCalls>();
  ASSERT_TRUE(missed);
  ASSERT_EQ(missed->calls.size(), 1u);
  EXPECT_EQ(missed->calls[0].caller, fingerprint(alice));
  b.send(AliasResolve{"@alice"}, 4);
  auto resolved = b.wait_for<AliasResolved>();
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->fingerprint, fingerprint(alice));
}

TEST_F(SignaldHttp, BadConfigurationIsAClearError) {
  wzp::test::ChildProcess bad(wzp::test::build_binary("signald/wzp-signald"),
                              {"--listen", "not-an-address"});
  auto status = bad.wait_exit(5s);
  ASSERT_TRUE(status);
  EXPECT_EQ(WEXITSTATUS(*status), 2);
  EXPECT_TRUE(bad.wait_for_line(std::regex("listen: expected host:port"), 1s));
}

}  // namespace
}  // namespace wzp::signald::test
