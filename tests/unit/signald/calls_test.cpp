#include <gtest/gtest.h>

#include "tests/unit/signald/harness.hpp"

namespace wzp::signald::testing {
namespace {

using namespace wzp::signal;

class CallsTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    alice_conn_ = login(alice_);
    bob_phone_ = login(bob_);
    bob_laptop_ = login(bob_);
    send(bob_phone_, AliasClaim{"bob"});
    out_.clear();
  }
  CallOffer offer(const std::string &id, const std::string &callee = "@bob") {
    return CallOffer{id, "", callee, {1, 2, 3}, {"opus"}, {"good"}, {"192.0.2.10:5000"}};
  }

  crypto::Identity alice_ = crypto::Identity::generate();
  crypto::Identity bob_ = crypto::Identity::generate();
  ConnectionId alice_conn_ = 0, bob_phone_ = 0, bob_laptop_ = 0;
};

TEST_F(CallsTest, OfferRingAnswerSetupHangup) {
  send(alice_conn_, offer("call-1"), 10);
  EXPECT_EQ(out_.to<Ok>(alice_conn_).size(), 1u);
  // Both of Bob's devices ring, and learn who calls.
  for (ConnectionId device : {bob_phone_, bob_laptop_}) {
    CallOffer got = out_.last<CallOffer>(device);
    EXPECT_EQ(got.call_id, "call-1");
    EXPECT_EQ(got.caller, fingerprint(alice_));
    EXPECT_EQ(got.key_agreement, (Bytes{1, 2, 3}));
    EXPECT_TRUE(got.candidates.empty());  // the caller's addresses wait for the answer
  }
  EXPECT_EQ(server_->gauges().calls_offered, 1u);

  send(bob_laptop_, CallRinging{"call-1"});
  EXPECT_EQ(out_.last<CallRinging>(alice_conn_).call_id, "call-1");
  EXPECT_EQ(server_->gauges().calls_ringing, 1u);

  send(bob_laptop_, CallAnswer{"call-1", AnswerMode::kAccept, {7, 7}, {"203.0.113.4:6000"}});
  EXPECT_EQ(out_.last<CallHangup>(bob_phone_).reason, "answered_elsewhere");
  CallAnswer answer = out_.last<CallAnswer>(alice_conn_);
  EXPECT_EQ(answer.key_agreement, (Bytes{7, 7}));
  EXPECT_TRUE(answer.candidates.empty());  // addresses travel in setup only
  CallSetup alice_setup = out_.last<CallSetup>(alice_conn_);
  CallSetup bob_setup = out_.last<CallSetup>(bob_laptop_);
  EXPECT_EQ(alice_setup.peer_candidates, std::vector<std::string>{"203.0.113.4:6000"});
  EXPECT_EQ(bob_setup.peer_candidates, std::vector<std::string>{"192.0.2.10:5000"});
  EXPECT_EQ(alice_setup.relay_room, bob_setup.relay_room);
  EXPECT_TRUE(out_.to<CallSetup>(bob_phone_).empty());
  EXPECT_EQ(server_->gauges().calls_active, 1u);

  // The relay room admits the two parties only.
  auto eve = crypto::Identity::generate();
  ConnectionId eve_conn = login(eve);
  send(eve_conn, RoomJoin{alice_setup.relay_room, {}}, 1);
  EXPECT_EQ(out_.last<Error>(eve_conn).code, "not_allowed");
  send(alice_conn_, RoomJoin{alice_setup.relay_room, {}}, 2);
  EXPECT_EQ(out_.to<Ok>(alice_conn_).size(), 2u);

  send(bob_laptop_, CallHangup{"call-1", "normal"});
  EXPECT_EQ(out_.last<CallHangup>(alice_conn_).reason, "normal");
  EXPECT_EQ(server_->gauges().calls_active, 0u);
  EXPECT_EQ(server_->gauges().rooms, 0u);  // the relay room ended with the call
}

TEST_F(CallsTest, TheCallersConfirmationReachesTheAnsweringDeviceOnly) {
  send(alice_conn_, offer("call-1"));
  // Before an answer there is nothing to confirm.
  send(alice_conn_, CallConfirm{"call-1", {1}}, 2);
  EXPECT_EQ(out_.last<Error>(alice_conn_).code, "unknown_call");
  send(bob_laptop_, CallAnswer{"call-1", AnswerMode::kAccept, {7}, {}});
  out_.clear();
  // Only the caller confirms.
  send(bob_laptop_, CallConfirm{"call-1", {2}}, 3);
  EXPECT_EQ(out_.last<Error>(bob_laptop_).code, "unknown_call");
  send(alice_conn_, CallConfirm{"call-1", {9, 9}}, 4);
  EXPECT_EQ(out_.last<CallConfirm>(bob_laptop_).key_agreement, (Bytes{9, 9}));
  EXPECT_TRUE(out_.to<CallConfirm>(bob_phone_).empty());
  EXPECT_TRUE(out_.to<Error>(alice_conn_).empty());
}

TEST_F(CallsTest, PathStepsPassBetweenThePartiesAndCountTheFinalPath) {
  send(alice_conn_, offer("call-1"));
  // Not before the answer, and never from a stranger.
  send(alice_conn_, CallPath{"call-1", PathStep::kCheck, "", "", ""}, 2);
  EXPECT_EQ(out_.last<Error>(alice_conn_).code, "unknown_call");
  send(bob_laptop_, CallAnswer{"call-1", AnswerMode::kAccept, {7}, {}});
  auto eve = crypto::Identity::generate();
  ConnectionId eve_conn = login(eve);
  out_.clear();
  send(eve_conn, CallPath{"call-1", PathStep::kRelay, "", "", ""}, 3);
  EXPECT_EQ(out_.last<Error>(eve_conn).code, "unknown_call");
  const std::string cert(64, 'c');
  send(bob_laptop_, CallPath{"call-1", PathStep::kOffer, "", "", cert});
  EXPECT_EQ(out_.last<CallPath>(alice_conn_).certificate, cert);
  send(alice_conn_, CallPath{"call-1", PathStep::kNominate, "203.0.113.4:6000", "", ""});
  EXPECT_EQ(out_.last<CallPath>(bob_laptop_).candidate, "203.0.113.4:6000");
  EXPECT_TRUE(out_.to<CallPath>(bob_phone_).empty());
  send(bob_laptop_, CallPath{"call-1", PathStep::kUse, "203.0.113.4:6000", "direct reflexive", ""});
  EXPECT_EQ(out_.last<CallPath>(alice_conn_).label, "direct reflexive");
  // Late candidates pass the same way, either direction.
  send(bob_laptop_, CallCandidates{"call-1", {"203.0.113.4:6001"}});
  EXPECT_EQ(out_.last<CallCandidates>(alice_conn_).candidates,
            (std::vector<std::string>{"203.0.113.4:6001"}));
  send(alice_conn_, CallCandidates{"call-1", {"198.51.100.7:5000"}});
  EXPECT_EQ(out_.last<CallCandidates>(bob_laptop_).candidates,
            (std::vector<std::string>{"198.51.100.7:5000"}));
  EXPECT_TRUE(out_.to<CallCandidates>(bob_phone_).empty());
  send(eve_conn, CallCandidates{"call-1", {"10.0.0.1:1"}}, 5);
  EXPECT_EQ(out_.last<Error>(eve_conn).code, "unknown_call");
  // The caller's own say does not count: the callee's agreement does.
  send(alice_conn_, CallPath{"call-1", PathStep::kRelay, "", "", ""});
  EXPECT_EQ(out_.last<CallPath>(bob_laptop_).step, PathStep::kRelay);
  send(alice_conn_, CallHangup{"call-1", "normal"});
  EXPECT_EQ(server_->gauges().calls_ended_direct, 1u);
  EXPECT_EQ(server_->gauges().calls_ended_relay, 0u);

  send(alice_conn_, offer("call-2"));
  send(bob_laptop_, CallAnswer{"call-2", AnswerMode::kAcceptWithoutAddresses, {7}, {}});
  // A callee that answered without addresses does not send them later.
  out_.clear();
  send(bob_laptop_, CallCandidates{"call-2", {"203.0.113.4:6001"}}, 6);
  EXPECT_EQ(out_.last<Error>(bob_laptop_).code, "not_allowed");
  EXPECT_TRUE(out_.to<CallCandidates>(alice_conn_).empty());
  send(bob_laptop_, CallPath{"call-2", PathStep::kUse, "203.0.113.4:6000", "direct", ""});
  send(bob_laptop_, CallPath{"call-2", PathStep::kRelay, "", "", ""});
  send(bob_laptop_, CallHangup{"call-2", "normal"});
  EXPECT_EQ(server_->gauges().calls_ended_direct, 1u);
  EXPECT_EQ(server_->gauges().calls_ended_relay, 1u);
  EXPECT_NE(render_prometheus(server_->counters(), server_->gauges())
                .find("wzp_signald_calls_ended_total{path=\"direct\"} 1"),
            std::string::npos);
}

TEST_F(CallsTest, AcceptWithoutAddressesHidesTheCalleesCandidates) {
  send(alice_conn_, offer("call-2"));
  send(bob_phone_,
       CallAnswer{"call-2", AnswerMode::kAcceptWithoutAddresses, {}, {"203.0.113.4:6000"}});
  EXPECT_TRUE(out_.last<CallSetup>(alice_conn_).peer_candidates.empty());
  EXPECT_FALSE(out_.last<CallSetup>(alice_conn_).relay_room.empty());
}

TEST_F(CallsTest, RejectEndsRingingEverywhere) {
  send(alice_conn_, offer("call-3"));
  send(bob_phone_, CallAnswer{"call-3", AnswerMode::kReject, {}, {}});
  EXPECT_EQ(out_.last<CallHangup>(alice_conn_).reason, "rejected");
  EXPECT_EQ(out_.last<CallHangup>(bob_laptop_).reason, "rejected");
  EXPECT_TRUE(out_.to<CallHangup>(bob_phone_).empty());
  EXPECT_EQ(server_->gauges().calls_offered, 0u);
}

TEST_F(CallsTest, HangupForOneCallNeverEndsAnother) {
  auto carol = crypto::Identity::generate();
  auto dave = crypto::Identity::generate();
  ConnectionId carol_conn = login(carol);
  ConnectionId dave_conn = login(dave);
  send(alice_conn_, offer("call-a"));
  send(bob_phone_, CallAnswer{"call-a", AnswerMode::kAccept, {}, {}});
  send(carol_conn, offer("call-c", fingerprint(dave)));
  EXPECT_EQ(out_.last<CallOffer>(dave_conn).call_id, "call-c");
  out_.clear();

  send(carol_conn, CallHangup{"call-a", "mischief"}, 3);  // not Carol's call
  EXPECT_EQ(out_.last<Error>(carol_conn).code, "unknown_call");
  send(carol_conn, CallHangup{"call-c", "normal"});
  EXPECT_EQ(out_.last<CallHangup>(dave_conn).call_id, "call-c");
  EXPECT_TRUE(out_.to<CallHangup>(alice_conn_).empty());
  EXPECT_TRUE(out_.to<CallHangup>(bob_phone_).empty());
  EXPECT_EQ(server_->gauges().calls_active, 1u);  // call-a goes on
}

TEST_F(CallsTest, BusyCalleeAndMissedCallRecords) {
  auto carol = crypto::Identity::generate();
  ConnectionId carol_conn = login(carol);
  send(alice_conn_, offer("call-1"));
  send(bob_phone_, CallAnswer{"call-1", AnswerMode::kAccept, {}, {}});
  send(carol_conn, offer("call-2"));
  EXPECT_EQ(out_.last<CallHangup>(carol_conn).reason, "busy");
  EXPECT_TRUE(out_.to<CallOffer>(bob_laptop_).size() == 1u);  // only call-1 rang

  // Bob comes back later and learns that Carol called.
  server_->on_disconnect(bob_phone_, now_);
  server_->on_disconnect(bob_laptop_, now_);
  ConnectionId bob_again = login(bob_);
  auto missed = out_.last<MissedCalls>(bob_again).calls;
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(missed[0].call_id, "call-2");
  EXPECT_EQ(missed[0].caller, fingerprint(carol));
}

TEST_F(CallsTest, OfflineCalleeGetsAMissedCallAcrossARestart) {
  auto dave = crypto::Identity::generate();
  ConnectionId d = login(dave);  // seen once, so a prefix resolves
  server_->on_disconnect(d, now_);
  send(alice_conn_, offer("call-d", fingerprint(dave).substr(0, 14)));
  EXPECT_EQ(out_.last<CallHangup>(alice_conn_).reason, "unavailable");

  open_server();  // the daemon restarts
  ConnectionId dave_again = login(dave);
  auto missed = out_.last<MissedCalls>(dave_again).calls;
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(missed[0].caller, fingerprint(alice_));
  EXPECT_EQ(missed[0].at_unix, now_.unix_seconds);
}

TEST_F(CallsTest, UnansweredCallTimesOut) {
  send(alice_conn_, offer("call-t"));
  send(bob_phone_, CallRinging{"call-t"});
  advance(std::chrono::seconds(29));
  server_->tick(now_);
  EXPECT_TRUE(out_.to<CallHangup>(alice_conn_).empty());
  advance(std::chrono::seconds(2));
  server_->tick(now_);
  EXPECT_EQ(out_.last<CallHangup>(alice_conn_).reason, "timeout");
  EXPECT_EQ(out_.last<CallHangup>(bob_phone_).reason, "timeout");
  EXPECT_EQ(out_.last<CallHangup>(bob_laptop_).reason, "timeout");
  settle();
  EXPECT_EQ(store_->take_missed_calls(fingerprint(bob_), now_.unix_seconds).size(), 1u);
}

TEST_F(CallsTest, DisconnectsEndOnlyTheirCalls) {
  send(alice_conn_, offer("call-x"));
  server_->on_disconnect(bob_phone_, now_);  // one device gone: still ringing
  EXPECT_TRUE(out_.to<CallHangup>(alice_conn_).empty());
  send(bob_laptop_, CallAnswer{"call-x", AnswerMode::kAccept, {}, {}});
  server_->on_disconnect(alice_conn_, now_);
  EXPECT_EQ(out_.last<CallHangup>(bob_laptop_).reason, "gone");
  EXPECT_EQ(server_->gauges().calls_active, 0u);
}

TEST_F(CallsTest, BadOffersAreRefused) {
  send(alice_conn_, offer("call-1", "@nobody"));
  EXPECT_EQ(out_.last<Error>(alice_conn_).code, "unknown_callee");
  send(alice_conn_, offer("call-1", fingerprint(alice_)));
  EXPECT_EQ(out_.last<Error>(alice_conn_).code, "cannot_call_self");
  send(alice_conn_, offer("call-1"));
  send(alice_conn_, offer("call-1"));
  EXPECT_EQ(out_.last<Error>(alice_conn_).code, "call_id_in_use");
  for (int i = 2; i <= 4; ++i) send(alice_conn_, offer("call-" + std::to_string(i)));
  send(alice_conn_, offer("call-5"));
  EXPECT_EQ(out_.last<Error>(alice_conn_).code, "too_many_calls");
  send(bob_phone_, CallAnswer{"call-404", AnswerMode::kAccept, {}, {}});
  EXPECT_EQ(out_.last<Error>(bob_phone_).code, "unknown_call");
}

}  // namespace
}  // namespace wzp::signald::testing
