#include <gtest/gtest.h>

#include "tests/integration/signald_daemon/daemon.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/token_validator.hpp"

namespace wzp::signald::test {
namespace {

using namespace wzp::signal;

class SignaldBadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = wzp::test::make_temp_dir("signald-bad");
    daemon_ = std::make_unique<Daemon>(dir_);
    ASSERT_TRUE(daemon_->ready());
  }
  void TearDown() override {
    // After every abuse the daemon still serves a well-behaved client.
    if (daemon_ && daemon_->ready()) {
      Client good(*daemon_);
      EXPECT_TRUE(good.login(crypto::Identity::generate()));
      EXPECT_EQ(daemon_->get("/healthz").status, 200u);
    }
    daemon_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<Daemon> daemon_;
};

TEST_F(SignaldBadInput, MalformedJsonBeforeAuthIsRefused) {
  Client client(*daemon_);
  client.send_raw("{\"type\": \"hello\", ");
  auto error = client.wait_for<Error>();
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, "malformed");
  EXPECT_TRUE(client.wait_closed());
}

TEST_F(SignaldBadInput, UnknownKindsAndBadFieldsAfterAuthAreAnsweredNotFatal) {
  Client client(*daemon_);
  ASSERT_TRUE(client.login(crypto::Identity::generate()));
  client.send_raw(R"({"type":"hologram","version":2,"request_id":1})");
  auto unknown = client.wait_for<Error>();
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->code, "unknown_kind");
  client.send_raw(std::string(40, '[') + std::string(40, ']'));
  auto deep = client.wait_for<Error>();
  ASSERT_TRUE(deep);
  EXPECT_EQ(deep->code, "too_deep");
  client.send_raw(R"({"type":"call_answer","version":1,"call_id":"x","mode":"perhaps"})");
  auto bad = client.wait_for<Error>();
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->code, "bad_field");
  // Unknown fields are skipped: the message still works.
  client.send_raw(R"({"type":"alias_resolve","version":1,"request_id":5,"query":"@nobody","x":1})");
  auto not_found = client.wait_for<Error>();
  ASSERT_TRUE(not_found);
  EXPECT_EQ(not_found->code, "not_found");
}

TEST_F(SignaldBadInput, OversizedMessageClosesOnlyThatConnection) {
  Client bystander(*daemon_);
  ASSERT_TRUE(bystander.login(crypto::Identity::generate()));
  Client client(*daemon_);
  ASSERT_TRUE(client.login(crypto::Identity::generate()));
  client.send_raw(R"({"type":"alias_claim","version":1,"alias":")" + std::string(70000, 'a') +
                  "\"}");
  // Either the stream framing (over its limit) or the parser (too_large)
  // refuses it; the connection may be closed, the daemon is not.
  auto error = client.wait_for<Error>(2s);
  if (error) {
    EXPECT_EQ(error->code, "too_large");
  }
  bystander.send(ReflectRequest{}, 1);
  EXPECT_TRUE(bystander.wait_for<ReflectResponse>());  // alive and answering
}

TEST_F(SignaldBadInput, BadSignatureAndReplayedChallengeAreRefused) {
  auto alice = crypto::Identity::generate();
  auto mallory = crypto::Identity::generate();
  Client first(*daemon_);
  first.send(Hello{alice.signing_public_key(), std::nullopt, ""});
  auto challenge = first.wait_for<Challenge>();
  ASSERT_TRUE(challenge);
  EXPECT_EQ(challenge->server_fingerprint, daemon_->identity());
  Signature genuine = alice.sign(auth_transcript(challenge->nonce, first.certificate()));
  first.send(Auth{genuine});
  ASSERT_TRUE(first.wait_for<Welcome>());

  Client replay(*daemon_);
  replay.send(Hello{alice.signing_public_key(), std::nullopt, ""});
  ASSERT_TRUE(replay.wait_for<Challenge>());
  replay.send(Auth{genuine});
  auto refused = replay.wait_for<Error>();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, "bad_signature");
  EXPECT_TRUE(replay.wait_closed());

  Client forger(*daemon_);
  forger.send(Hello{alice.signing_public_key(), std::nullopt, ""});
  auto forged_challenge = forger.wait_for<Challenge>();
  ASSERT_TRUE(forged_challenge);
  forger.send(Auth{mallory.sign(auth_transcript(forged_challenge->nonce, forger.certificate()))});
  auto forged = forger.wait_for<Error>();
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->code, "bad_signature");
  EXPECT_NE(daemon_->get("/metrics").body.find("wzp_signald_auth_failures_total 2\n"),
            std::string::npos);
}

TEST_F(SignaldBadInput, MessageFloodIsCutOff) {
  Client client(*daemon_);
  ASSERT_TRUE(client.login(crypto::Identity::generate()));
  for (int i = 0; i < 400; ++i) client.send(ReflectRequest{});
  auto limited = client.wait_for<Error>();
  ASSERT_TRUE(limited);
  // The first requests are answered; the flood earns rate_limited.
  while (limited && limited->code != "rate_limited") limited = client.wait_for<Error>();
  ASSERT_TRUE(limited);
  EXPECT_TRUE(client.wait_closed());
  EXPECT_NE(client.close_error().find("too many messages"), std::string::npos)
      << client.close_error();
}

TEST_F(SignaldBadInput, ConnectionFloodLeavesTheDaemonServing) {
  // From another address than the users' (one address holds at most 8
  // connections that have not logged in: the rest are refused).
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 40; ++i) idle.push_back(Client::try_dial(*daemon_, "127.0.0.3"));
  for (int i = 0; i < 40; i += 2) idle[i]->send_raw("garbage");
  auto metrics = daemon_->get("/metrics").body;
  EXPECT_NE(metrics.find("wzp_signald_connections_total"), std::string::npos);
  Client user(*daemon_);
  EXPECT_TRUE(user.login(crypto::Identity::generate()));
}

// Issue 13, finding 4: connections that finish the QUIC handshake and then
// say nothing each held one of the daemon's connection slots for the whole
// auth_timeout, and one address could open them as fast as handshakes go:
// with every slot held, nobody else could connect. Now one address holds at
// most kMaxUnauthenticatedPerSource connections that have not logged in;
// more are refused at once, and a user from elsewhere still gets in.
TEST(SignaldPreAuth, OneAddressCannotHoldEverySlotWithSilentConnections) {
  constexpr size_t kSlots = 16;
  constexpr size_t kPerSource = 8;  // ServerSettings::max_unauthenticated_per_source
  const auto dir = wzp::test::make_temp_dir("signald-preauth");
  {
    Daemon daemon(dir, {"--max-connections", std::to_string(kSlots)});
    ASSERT_TRUE(daemon.ready());
    // One after the other, so the daemon sees them in this order.
    std::vector<std::unique_ptr<Client>> silent;
    for (size_t i = 0; i < kSlots; ++i) silent.push_back(Client::try_dial(daemon));
    for (size_t i = 0; i < kPerSource; ++i) ASSERT_TRUE(silent[i]->connected()) << i;
    // Another address logs in at once, while the silent ones are open
    // (before: every slot was held, and its dial failed).
    Client user(daemon, std::string("127.0.0.2"));
    ASSERT_TRUE(user.connected());
    EXPECT_TRUE(user.login(crypto::Identity::generate()));
    // Beyond the address's share: refused, with the reason, at once (the
    // refusal can beat the end of the client's own handshake).
    for (size_t i = kPerSource; i < kSlots; ++i) {
      Client &client = *silent[i];
      if (!client.connected()) {
        EXPECT_NE(client.dial_error().find("have not logged in yet"), std::string::npos)
            << "connection " << i << ": " << client.dial_error();
        continue;
      }
      auto error = client.wait_for<Error>();
      if (!error) {
        ADD_FAILURE() << "connection " << i << " was not refused";
        continue;
      }
      EXPECT_EQ(error->code, "too_many_unauthenticated");
      EXPECT_TRUE(client.wait_closed());
    }
    for (size_t i = 0; i < kPerSource; ++i) EXPECT_FALSE(silent[i]->wait_closed(0ms)) << i;
    // A connection that logs in stops counting against its address.
    EXPECT_TRUE(silent[0]->login(crypto::Identity::generate()));
    Client again(daemon);
    ASSERT_TRUE(again.connected());
    EXPECT_TRUE(again.login(crypto::Identity::generate()));
  }
  std::filesystem::remove_all(dir);
}

TEST(SignaldAuthUrl, TokensAreValidatedByHttpPost) {
  auto dir = wzp::test::make_temp_dir("signald-auth");
  wzp::test::TokenValidator validator;
  Daemon daemon(dir, {"--auth-url", validator.url()});
  ASSERT_TRUE(daemon.ready());
  auto alice = crypto::Identity::generate();

  Client good(daemon);
  EXPECT_TRUE(good.login(alice, "good-token"));

  Client bad(daemon);
  bad.send(Hello{alice.signing_public_key(), "stolen-token", ""});
  auto refused = bad.wait_for<Error>();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, "token_refused");
  EXPECT_NE(refused->message.find("401"), std::string::npos) << refused->message;

  Client none(daemon);
  none.send(Hello{alice.signing_public_key(), std::nullopt, ""});
  auto required = none.wait_for<Error>();
  ASSERT_TRUE(required);
  EXPECT_EQ(required->code, "token_required");
  // The token never reaches the daemon's log.
  for (const auto &line : daemon.process().lines()) {
    EXPECT_EQ(line.find("stolen-token"), std::string::npos) << line;
    EXPECT_EQ(line.find("good-token"), std::string::npos) << line;
  }
  std::filesystem::remove_all(dir);
}

TEST(SignaldAuthUrl, UnreachableValidatorRefusesWithAReason) {
  auto dir = wzp::test::make_temp_dir("signald-auth-down");
  Daemon daemon(dir, {"--auth-url", "http://127.0.0.1:9/validate"});
  ASSERT_TRUE(daemon.ready());
  Client client(daemon);
  client.send(Hello{crypto::Identity::generate().signing_public_key(), "any", ""});
  auto refused = client.wait_for<Error>(10s);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, "token_refused");
  EXPECT_NE(refused->message.find("unreachable"), std::string::npos) << refused->message;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wzp::signald::test
