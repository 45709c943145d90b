#include "signald/core/server.hpp"

#include <gtest/gtest.h>

#include "tests/unit/signald/harness.hpp"

namespace wzp::signald::testing {
namespace {

using namespace wzp::signal;

TEST_F(ServerTest, ChallengeSignatureAuthenticates) {
  auto alice = crypto::Identity::generate();
  ConnectionId conn = login(alice);
  Challenge challenge = out_.last<Challenge>(conn);
  EXPECT_EQ(challenge.server_fingerprint, kServerFingerprint);
  Welcome welcome = out_.last<Welcome>(conn);
  EXPECT_EQ(welcome.fingerprint, fingerprint(alice));
  EXPECT_FALSE(welcome.alias);
  EXPECT_EQ(out_.last<PresenceList>(conn).users.size(), 1u);
  EXPECT_FALSE(out_.closed.contains(conn));
  EXPECT_EQ(server_->gauges().authenticated, 1u);
}

// The TLS fallback's members are members like any other, counted apart
// (docs/fallback.md).
TEST_F(ServerTest, MembersAreCountedByTransport) {
  auto alice = crypto::Identity::generate();
  auto bob = crypto::Identity::generate();
  ConnectionId a = login(alice, {}, Transport::kTls);
  login(bob);
  connect("198.51.100.7:4000", Transport::kTls);  // not signed in: not a member
  send(a, signal::RoomJoin{std::string(32, 'a'), {}}, 1);
  Gauges g = server_->gauges();
  EXPECT_EQ(g.members_by_transport[static_cast<size_t>(Transport::kQuic)], 1u);
  EXPECT_EQ(g.members_by_transport[static_cast<size_t>(Transport::kTls)], 1u);
  EXPECT_EQ(g.participants_by_transport[static_cast<size_t>(Transport::kQuic)], 0u);
  EXPECT_EQ(g.participants_by_transport[static_cast<size_t>(Transport::kTls)], 1u);
  std::string text = render_prometheus(server_->counters(), g);
  EXPECT_NE(text.find("wzp_signald_members{transport=\"tls\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("wzp_signald_participants_by_transport{transport=\"quic\"} 0\n"),
            std::string::npos)
      << text;
}

TEST_F(ServerTest, BadSignatureIsRefused) {
  auto alice = crypto::Identity::generate();
  auto mallory = crypto::Identity::generate();
  ConnectionId conn = connect();
  send(conn, Hello{alice.signing_public_key(), std::nullopt, ""});
  Challenge challenge = out_.last<Challenge>(conn);
  // Mallory claims Alice's key but cannot sign for it.
  send(conn, Auth{mallory.sign(auth_transcript(challenge.nonce, kCertificateSha256))});
  EXPECT_EQ(out_.last<Error>(conn).code, "bad_signature");
  EXPECT_TRUE(out_.closed.contains(conn));
  EXPECT_EQ(server_->counters().auth_failures, 1u);
  EXPECT_EQ(server_->gauges().authenticated, 0u);
}

TEST_F(ServerTest, LoginSignedForAnotherCertificateIsRefused) {
  auto alice = crypto::Identity::generate();
  ConnectionId conn = connect();
  send(conn, Hello{alice.signing_public_key(), std::nullopt, ""});
  Challenge challenge = out_.last<Challenge>(conn);
  // Alice's own signature, but over the certificate of the relay she
  // verified, which forwarded this daemon's challenge to her.
  send(conn, Auth{alice.sign(auth_transcript(challenge.nonce, std::string(64, 'e')))});
  EXPECT_EQ(out_.last<Error>(conn).code, "bad_signature");
  EXPECT_TRUE(out_.closed.contains(conn));
  EXPECT_EQ(server_->gauges().authenticated, 0u);
}

TEST_F(ServerTest, ReplayedSignatureIsRefused) {
  auto alice = crypto::Identity::generate();
  ConnectionId first = login(alice);
  Challenge old = out_.last<Challenge>(first);
  Signature captured = alice.sign(auth_transcript(old.nonce, kCertificateSha256));
  // An eavesdropper replays Alice's answer on a new connection.
  ConnectionId replay = connect();
  send(replay, Hello{alice.signing_public_key(), std::nullopt, ""});
  EXPECT_NE(out_.last<Challenge>(replay).nonce, old.nonce);
  send(replay, Auth{captured});
  EXPECT_EQ(out_.last<Error>(replay).code, "bad_signature");
  EXPECT_TRUE(out_.closed.contains(replay));
  // ... or a second auth on the authenticated connection: not accepted either.
  send(first, Auth{captured});
  EXPECT_EQ(out_.last<Error>(first).code, "unexpected");
}

TEST_F(ServerTest, EverythingBeforeAuthIsRefused) {
  ConnectionId conn = connect();
  send(conn, AliasResolve{"@bob"});
  EXPECT_EQ(out_.last<Error>(conn).code, "not_authenticated");
  EXPECT_TRUE(out_.closed.contains(conn));

  ConnectionId garbage = connect();
  server_->on_message(garbage, "{not json", now_);
  EXPECT_EQ(out_.last<Error>(garbage).code, "malformed");
  EXPECT_TRUE(out_.closed.contains(garbage));
}

TEST_F(ServerTest, UnauthenticatedConnectionsTimeOut) {
  ConnectionId conn = connect();
  advance(std::chrono::seconds(14));
  server_->tick(now_);
  EXPECT_FALSE(out_.closed.contains(conn));
  advance(std::chrono::seconds(2));
  server_->tick(now_);
  EXPECT_EQ(out_.last<Error>(conn).code, "auth_timeout");
  EXPECT_TRUE(out_.closed.contains(conn));
}

TEST_F(ServerTest, OneSourceHoldsOnlySoManyConnectionsThatHaveNotLoggedIn) {
  const size_t limit = ServerSettings{}.max_unauthenticated_per_source;
  std::vector<ConnectionId> waiting;
  for (size_t i = 0; i < limit; ++i) waiting.push_back(connect("203.0.113.5:" + std::to_string(i)));
  for (ConnectionId conn : waiting) EXPECT_FALSE(out_.closed.contains(conn));
  ConnectionId one_more = connect("203.0.113.5:9999");
  EXPECT_EQ(out_.last<Error>(one_more).code, "too_many_unauthenticated");
  EXPECT_TRUE(out_.closed.contains(one_more));
  // Other addresses are not affected; an IPv6 /64 is one source.
  EXPECT_FALSE(out_.closed.contains(connect("203.0.113.6:1")));
  for (size_t i = 0; i < limit; ++i) connect("[2001:db8:1:2::" + std::to_string(i + 1) + "]:443");
  ConnectionId same_64 = connect("[2001:db8:1:2:ffff::1]:443");
  EXPECT_TRUE(out_.closed.contains(same_64));
  EXPECT_FALSE(out_.closed.contains(connect("[2001:db8:1:3::1]:443")));
  // Logging in, or leaving, frees the share.
  auto alice = crypto::Identity::generate();
  send(waiting[0], Hello{alice.signing_public_key(), std::nullopt, ""});
  send(waiting[0], Auth{alice.sign(auth_transcript(out_.last<Challenge>(waiting[0]).nonce,
                                                   kCertificateSha256))});
  ASSERT_FALSE(out_.to<Welcome>(waiting[0]).empty());
  server_->on_disconnect(waiting[1], now_);
  ConnectionId a = connect("203.0.113.5:7000"), b = connect("203.0.113.5:7001");
  EXPECT_FALSE(out_.closed.contains(a));
  EXPECT_FALSE(out_.closed.contains(b));
  EXPECT_TRUE(out_.closed.contains(connect("203.0.113.5:7002")));
}

// The presence list stops at kMaxPresenceUsers; how many are online is
// counted apart, so the HTTP API can say the list was cut (issue 13,
// finding 6: /presence was silently truncated at 400).
TEST_F(ServerTest, PresenceCountIncludesThoseBeyondTheList) {
  const size_t online = kMaxPresenceUsers + 3;
  for (size_t i = 0; i < online; ++i) login(crypto::Identity::generate());
  EXPECT_EQ(server_->presence_list().size(), kMaxPresenceUsers);
  EXPECT_EQ(server_->presence_count(), online);
}

TEST(ConnectionSource, IsTheAddressOrTheSlash64) {
  EXPECT_EQ(connection_source("192.0.2.1:4433"), connection_source("192.0.2.1:1"));
  EXPECT_NE(connection_source("192.0.2.1:4433"), connection_source("192.0.2.2:4433"));
  EXPECT_EQ(connection_source("[::ffff:192.0.2.1]:5"), connection_source("192.0.2.1:4433"));
  EXPECT_EQ(connection_source("[2001:db8::1]:5"), connection_source("[2001:db8::2]:6"));
  EXPECT_NE(connection_source("[2001:db8::1]:5"), connection_source("[2001:db8:0:1::1]:5"));
  EXPECT_EQ(connection_source(""), "");
  EXPECT_EQ(connection_source("nonsense"), "");
}

TEST_F(ServerTest, BadInputAfterAuthGetsAnErrorButKeepsTheConnection) {
  auto alice = crypto::Identity::generate();
  ConnectionId conn = login(alice);
  server_->on_message(conn, R"({"type":"warp_drive","version":7,"request_id":4})", now_);
  server_->on_message(conn, "[]", now_);
  server_->on_message(conn, std::string(kMaxMessageBytes + 10, '{'), now_);
  server_->on_message(conn, R"({"type":"room_join","version":1,"room":"NOPE"})", now_);
  auto errors = out_.to<Error>(conn);
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0].code, "unknown_kind");
  EXPECT_EQ(errors[1].code, "not_object");
  EXPECT_EQ(errors[2].code, "too_large");
  EXPECT_EQ(errors[3].code, "bad_field");
  EXPECT_FALSE(out_.closed.contains(conn));
  EXPECT_EQ(server_->counters().messages_refused, 4u);
  // Still fully working.
  send(conn, ReflectRequest{}, 9);
  EXPECT_EQ(out_.last<ReflectResponse>(conn).address, "198.51.100.9:40001");
}

TEST_F(ServerTest, FloodIsRateLimitedThenClosed) {
  auto alice = crypto::Identity::generate();
  ConnectionId conn = login(alice);
  for (int i = 0; i < 200; ++i) send(conn, ReflectRequest{});
  EXPECT_GT(server_->counters().messages_rate_limited, 0u);
  EXPECT_EQ(out_.to<Error>(conn).front().code, "rate_limited");
  EXPECT_EQ(out_.closed[conn], "too many messages");
  // Replies stopped at the limit, not after 200.
  EXPECT_LT(out_.to<ReflectResponse>(conn).size(), 50u);
}

class FixedValidator : public TokenValidator {
 public:
  void validate(const std::string &token, Done done) override {
    seen.push_back(token);
    pending = std::move(done);
  }
  std::vector<std::string> seen;
  Done pending;
};

TEST_F(ServerTest, BearerTokenIsValidatedBeforeTheChallenge) {
  FixedValidator validator;
  open_server(&validator);
  auto alice = crypto::Identity::generate();

  ConnectionId without = login(alice);
  EXPECT_EQ(out_.last<Error>(without).code, "token_required");

  ConnectionId refused = connect();
  send(refused, Hello{alice.signing_public_key(), "bad-token", ""});
  EXPECT_TRUE(out_.to<Challenge>(refused).empty());  // waits for the validator
  validator.pending(false, "token expired");
  EXPECT_EQ(out_.last<Error>(refused).code, "token_refused");
  EXPECT_EQ(out_.last<Error>(refused).message, "token expired");

  ConnectionId accepted = connect();
  send(accepted, Hello{alice.signing_public_key(), "good-token", ""});
  validator.pending(true, "");
  Challenge challenge = out_.last<Challenge>(accepted);
  send(accepted, Auth{alice.sign(auth_transcript(challenge.nonce, kCertificateSha256))});
  EXPECT_EQ(out_.last<Welcome>(accepted).fingerprint, fingerprint(alice));
  EXPECT_EQ(validator.seen, (std::vector<std::string>{"bad-token", "good-token"}));
  EXPECT_EQ(server_->counters().auth_failures, 2u);
}

TEST_F(ServerTest, ValidatorAnsweringAfterDisconnectIsHarmless) {
  FixedValidator validator;
  open_server(&validator);
  auto alice = crypto::Identity::generate();
  ConnectionId conn = connect();
  send(conn, Hello{alice.signing_public_key(), "t", ""});
  server_->on_disconnect(conn, now_);
  validator.pending(true, "");
  EXPECT_TRUE(out_.to<Challenge>(conn).empty());
}

TEST_F(ServerTest, AliasesClaimResolveRelease) {
  auto alice = crypto::Identity::generate();
  auto bob = crypto::Identity::generate();
  ConnectionId a = login(alice);
  ConnectionId b = login(bob);
  send(a, AliasClaim{"@Alice"}, 1);
  EXPECT_EQ(out_.to<Ok>(a).size(), 1u);
  send(b, AliasClaim{"alice"}, 2);
  EXPECT_EQ(out_.last<Error>(b).code, "alias_taken");
  send(b, AliasClaim{"x"}, 3);
  EXPECT_EQ(out_.last<Error>(b).code, "bad_alias");

  send(b, AliasResolve{"@alice"}, 4);
  AliasResolved resolved = out_.last<AliasResolved>(b);
  EXPECT_EQ(resolved.fingerprint, fingerprint(alice));
  EXPECT_EQ(resolved.alias, "alice");
  // A unique prefix of the hex digits, with or without colons.
  std::string prefix = fingerprint(alice).substr(0, 9);
  send(b, AliasResolve{prefix});
  EXPECT_EQ(out_.last<AliasResolved>(b).fingerprint, fingerprint(alice));
  send(b, AliasResolve{"@nobody"});
  EXPECT_EQ(out_.last<Error>(b).code, "not_found");

  send(b, AliasRelease{"alice"}, 5);
  EXPECT_EQ(out_.last<Error>(b).code, "not_owner");
  send(a, AliasRelease{"alice"}, 6);
  send(b, AliasClaim{"alice"}, 7);
  EXPECT_EQ(out_.to<Ok>(b).size(), 1u);
  EXPECT_EQ(store_->alias_owner("alice"), fingerprint(bob));
}

TEST_F(ServerTest, AliasesThatReadAsFingerprintsAreRefused) {
  auto mallory = crypto::Identity::generate();
  auto unseen = crypto::Identity::generate();  // never connected here
  std::string unseen_digits = *fingerprint_digits(fingerprint(unseen));
  ConnectionId m = login(mallory);
  uint64_t id = 1;
  for (std::string shaped : {unseen_digits, unseen_digits.substr(0, 12), std::string("cafe"),
                             std::string("dead-beef"), std::string("@0123")}) {
    send(m, AliasClaim{shaped}, id);
    auto errors = out_.to<Error>(m);
    ASSERT_FALSE(errors.empty()) << shaped;
    EXPECT_EQ(errors.back().code, "bad_alias") << shaped;
    EXPECT_NE(errors.back().message.find("reads as a fingerprint prefix"), std::string::npos);
    out_.clear();
    ++id;
  }
  EXPECT_FALSE(store_->alias_owner(unseen_digits));
  // Hex too short to be a prefix, or with a non-separator, is an alias.
  send(m, AliasClaim{"cafe.bar"}, id);
  EXPECT_EQ(out_.to<Ok>(m).size(), 1u);
  send(m, AliasRelease{"cafe.bar"}, ++id);
  send(m, AliasClaim{"abc"}, ++id);
  EXPECT_EQ(out_.to<Ok>(m).size(), 3u);

  // The colon-less fingerprint of a user never seen names that user.
  send(m, AliasResolve{unseen_digits}, ++id);
  EXPECT_EQ(out_.last<AliasResolved>(m).fingerprint, fingerprint(unseen));
}

TEST_F(ServerTest, AHexQueryIsNeverAnsweredWithAnAlias) {
  auto mallory = crypto::Identity::generate();
  auto bob = crypto::Identity::generate();
  ConnectionId m = login(mallory);
  // An alias of that shape left from before the rule: lookups ignore it.
  std::string bob_prefix = fingerprint_digits(fingerprint(bob))->substr(0, 8);
  ASSERT_EQ(store_->claim_alias(bob_prefix, fingerprint(mallory), 1), Store::ClaimResult::kClaimed);
  send(m, AliasResolve{bob_prefix}, 1);
  EXPECT_EQ(out_.last<Error>(m).code, "not_found");
  EXPECT_TRUE(out_.to<AliasResolved>(m).empty());
  // Once bob has been seen, his prefix finds him.
  login(bob);
  send(m, AliasResolve{bob_prefix}, 2);
  EXPECT_EQ(out_.last<AliasResolved>(m).fingerprint, fingerprint(bob));
  // Asked for explicitly, the old alias is still found.
  send(m, AliasResolve{"@" + bob_prefix}, 3);
  EXPECT_EQ(out_.last<AliasResolved>(m).fingerprint, fingerprint(mallory));
}

TEST_F(ServerTest, PresenceListAndUpdatesCountDevices) {
  auto alice = crypto::Identity::generate();
  auto bob = crypto::Identity::generate();
  // Each change a presence interval after the last (PresenceUpdatesAreCoalescedPerUser).
  auto next_interval = [&] {
    advance(ServerSettings{}.presence_interval);
    server_->tick(now_);
  };
  ConnectionId a = login(alice);
  next_interval();
  ConnectionId b1 = login(bob);
  next_interval();
  ConnectionId b2 = login(bob);
  auto updates = out_.to<PresenceUpdate>(a);
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[1].user.fingerprint, fingerprint(bob));
  EXPECT_EQ(updates[1].user.devices, 2u);
  EXPECT_EQ(out_.last<PresenceList>(b2).users.size(), 2u);
  EXPECT_EQ(server_->presence_of(fingerprint(bob))->devices, 2u);

  next_interval();
  server_->on_disconnect(b1, now_);
  EXPECT_TRUE(out_.last<PresenceUpdate>(a).online);
  next_interval();
  server_->on_disconnect(b2, now_);
  EXPECT_FALSE(out_.last<PresenceUpdate>(a).online);
  EXPECT_FALSE(server_->presence_of(fingerprint(bob)));
  EXPECT_EQ(server_->presence_list().size(), 1u);
}

// The audit (issue 13): users claiming and releasing an alias as fast as
// the message rate limit allows made every other user receive an update
// per change. Now each user costs the others one update per interval, and
// the last one says where the user ended up.
TEST_F(ServerTest, PresenceUpdatesAreCoalescedPerUser) {
  auto alice = crypto::Identity::generate();
  auto bob = crypto::Identity::generate();
  ConnectionId a = login(alice);
  ConnectionId b = login(bob);
  out_.clear();
  const auto interval = ServerSettings{}.presence_interval;
  const auto gap = std::chrono::milliseconds(50);  // 20 messages a second: the rate limit
  const int changes = 100;                         // 5 s of claim, release, claim, ...
  for (int i = 0; i < changes; ++i) {
    advance(gap);
    server_->tick(now_);
    if (i % 2 == 0) {
      send(b, AliasClaim{"bob"}, static_cast<uint64_t>(i + 1));
    } else {
      send(b, AliasRelease{"bob"}, static_cast<uint64_t>(i + 1));
    }
  }
  ASSERT_EQ(out_.to<Ok>(b).size(), static_cast<size_t>(changes)) << "none rate limited";
  advance(interval);
  server_->tick(now_);
  const auto updates = out_.to<PresenceUpdate>(a);
  const auto span = gap * changes + interval;
  EXPECT_LE(updates.size(), static_cast<size_t>(span / interval) + 1);
  EXPECT_GE(updates.size(), static_cast<size_t>(span / interval) - 1) << "held, not lost";
  EXPECT_FALSE(updates.back().user.alias) << "the latest state wins: released last";
}

TEST_F(ServerTest, ShutdownClosesEveryConnection) {
  auto alice = crypto::Identity::generate();
  ConnectionId a = login(alice);
  ConnectionId pending = connect();
  server_->shutdown("server shutting down");
  EXPECT_EQ(out_.closed[a], "server shutting down");
  EXPECT_EQ(out_.closed[pending], "server shutting down");
}

}  // namespace
}  // namespace wzp::signald::testing
