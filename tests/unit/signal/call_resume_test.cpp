#include "libwzp/signal/call_resume.hpp"

#include <gtest/gtest.h>

namespace wzp::signal {
namespace {

using namespace std::chrono_literals;
using Action = CallResume::Action;

const CallResume::Time t0{};

crypto::CallKeys keys(uint8_t send, uint8_t receive) {
  crypto::CallKeys k;
  k.send.fill(send);
  k.receive.fill(receive);
  return k;
}

TEST(CallResume, BothPartiesNameTheSameRoomAndOtherCallsAnother) {
  // The caller's send secret is the callee's receive secret.
  const std::string caller = call_resume_room(keys(1, 2));
  EXPECT_EQ(caller, call_resume_room(keys(2, 1)));
  EXPECT_EQ(caller.size(), 32u);
  EXPECT_EQ(caller.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(caller, call_resume_room(keys(1, 3)));
}

TEST(CallResume, WithOneServerEveryLossEndsTheCall) {
  CallResume resume(false);
  EXPECT_EQ(resume.on_hangup("relay_lost", t0), Action::kEnd);
  EXPECT_EQ(resume.on_connection_lost(t0), Action::kEnd);
  EXPECT_FALSE(resume.waiting());
}

TEST(CallResume, OnlyALostRelayIsWaitedFor) {
  CallResume resume(true);
  EXPECT_EQ(resume.on_hangup("gone", t0), Action::kEnd);
  EXPECT_EQ(resume.on_hangup("normal", t0), Action::kEnd);
  EXPECT_FALSE(resume.waiting());
  EXPECT_EQ(resume.on_hangup("relay_lost", t0), Action::kMeet);
  EXPECT_TRUE(resume.waiting());
}

TEST(CallResume, APartyWhoseNodeDiedRedialsAndMeetsTheOther) {
  CallResume resume(true);
  EXPECT_EQ(resume.on_connection_lost(t0 + 3s), Action::kRedial);
  EXPECT_EQ(resume.on_redialed(true, t0 + 3200ms), Action::kMeet);
  EXPECT_EQ(resume.tick(t0 + 3300ms), Action::kNone);
  resume.on_peer_joined(t0 + 3700ms);
  EXPECT_FALSE(resume.waiting());
  EXPECT_EQ(resume.resumes(), 1u);
  EXPECT_EQ(resume.last_resume(), 700ms);
  // Long after, nothing to end.
  EXPECT_EQ(resume.tick(t0 + 60s), Action::kNone);
}

TEST(CallResume, NoNodeAnsweringEndsTheCall) {
  CallResume resume(true);
  EXPECT_EQ(resume.on_connection_lost(t0), Action::kRedial);
  EXPECT_EQ(resume.on_redialed(false, t0 + 30s), Action::kEnd);
}

TEST(CallResume, APeerThatDoesNotComeWithinTheWaitEndsTheCall) {
  CallResume resume(true, 10s);
  EXPECT_EQ(resume.on_hangup("relay_lost", t0), Action::kMeet);
  EXPECT_EQ(resume.tick(t0 + 9999ms), Action::kNone);
  EXPECT_EQ(resume.tick(t0 + 10s), Action::kEnd);
}

TEST(CallResume, TheWaitCountsWhileWeCanMeetThePeer) {
  // The peer's node is lost (hangup), then ours: one wait, from the first,
  // but a redial's time does not count against it.
  CallResume resume(true, 10s);
  EXPECT_EQ(resume.on_hangup("relay_lost", t0), Action::kMeet);
  EXPECT_EQ(resume.on_connection_lost(t0 + 4s), Action::kRedial);
  // Two dead nodes and a refusal: signed in again 9 s later.
  EXPECT_EQ(resume.on_redialed(true, t0 + 13s), Action::kMeet);
  EXPECT_EQ(resume.tick(t0 + 13s), Action::kNone);
  EXPECT_EQ(resume.tick(t0 + 22999ms), Action::kNone);
  EXPECT_EQ(resume.tick(t0 + 23s), Action::kEnd);
}

TEST(CallResume, APeerLeavingTheRoomIsWaitedForAgain) {
  CallResume resume(true, 10s);
  resume.on_hangup("relay_lost", t0);
  resume.on_peer_joined(t0 + 1s);
  resume.on_peer_left(t0 + 20s);
  EXPECT_TRUE(resume.waiting());
  EXPECT_EQ(resume.tick(t0 + 29s), Action::kNone);
  resume.on_peer_joined(t0 + 29s);
  EXPECT_EQ(resume.resumes(), 2u);
  EXPECT_EQ(resume.last_resume(), 9s);
  EXPECT_EQ(resume.tick(t0 + 31s), Action::kNone);
}

}  // namespace
}  // namespace wzp::signal
