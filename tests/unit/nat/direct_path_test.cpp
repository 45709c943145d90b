// The relay/direct decision on explicit times (libwzp/nat/direct_path.hpp).
#include "libwzp/nat/direct_path.hpp"

#include <gtest/gtest.h>

namespace wzp::nat {
namespace {

using namespace std::chrono_literals;
using Action = DirectPath::Action;
using Route = DirectPath::Route;
using State = DirectPath::State;

const DirectPath::Time t0{};

TEST(DirectPath, CallerChecksOnlyOnceOfferedAndSendsDirectOnlyAfterAgreement) {
  DirectPath path(true);
  EXPECT_EQ(path.tick(t0), Action::kNone);  // no offer: nothing to dial
  path.offered(t0 + 10ms);
  EXPECT_EQ(path.tick(t0 + 10ms), Action::kStartChecks);
  EXPECT_EQ(path.state(), State::kChecking);
  EXPECT_EQ(path.confirmed(t0 + 200ms), Action::kNominate);
  // Nominated is not agreed: the callee may not have the connection.
  EXPECT_EQ(path.route(t0 + 300ms), Route::kRelay);
  path.agreed(t0 + 400ms);
  EXPECT_EQ(path.state(), State::kDirect);
  EXPECT_EQ(path.route(t0 + 400ms), Route::kBoth);  // the overlap
  path.heard(t0 + 850ms);
  EXPECT_EQ(path.route(t0 + 900ms), Route::kDirect);
  EXPECT_EQ(path.switches(), 1u);
}

TEST(DirectPath, LateCandidatesCutTheBackOffShortButNotARound) {
  DirectPath path(true);
  path.more_candidates(t0);  // not offered: nothing to dial yet
  EXPECT_EQ(path.tick(t0), Action::kNone);
  path.offered(t0);
  ASSERT_EQ(path.tick(t0), Action::kStartChecks);
  path.more_candidates(t0 + 1s);  // the round under way dials them
  EXPECT_EQ(path.tick(t0 + 1s), Action::kNone);
  ASSERT_EQ(path.tick(t0 + 3s), Action::kStopChecks);
  EXPECT_EQ(path.tick(t0 + 4s), Action::kNone);  // the back-off: 2 s
  path.more_candidates(t0 + 4s);
  EXPECT_EQ(path.tick(t0 + 4s), Action::kStartChecks);
}

TEST(DirectPath, ARoundWithoutAnAnswerGivesUpAndBacksOff) {
  DirectPath path(true);
  path.offered(t0);
  ASSERT_EQ(path.tick(t0), Action::kStartChecks);
  EXPECT_EQ(path.tick(t0 + 2999ms), Action::kNone);
  EXPECT_EQ(path.tick(t0 + 3s), Action::kStopChecks);
  EXPECT_EQ(path.route(t0 + 3s), Route::kRelay);
  // 2 s, then 4 s, then 8 s between rounds.
  EXPECT_EQ(path.tick(t0 + 4999ms), Action::kNone);
  ASSERT_EQ(path.tick(t0 + 5s), Action::kStartChecks);
  ASSERT_EQ(path.tick(t0 + 8s), Action::kStopChecks);
  EXPECT_EQ(path.tick(t0 + 11999ms), Action::kNone);
  ASSERT_EQ(path.tick(t0 + 12s), Action::kStartChecks);
  ASSERT_EQ(path.tick(t0 + 15s), Action::kStopChecks);
  EXPECT_EQ(path.tick(t0 + 22999ms), Action::kNone);
  EXPECT_EQ(path.tick(t0 + 23s), Action::kStartChecks);
}

TEST(DirectPath, AnUnansweredNominationFallsBack) {
  DirectPath path(true);
  path.offered(t0);
  path.tick(t0);
  path.confirmed(t0 + 100ms);
  EXPECT_EQ(path.tick(t0 + 2099ms), Action::kNone);
  EXPECT_EQ(path.tick(t0 + 2100ms), Action::kFallBack);
  EXPECT_EQ(path.state(), State::kRelay);
  EXPECT_EQ(path.switches(), 0u);
  path.agreed(t0 + 2200ms);  // a late echo does not move media
  EXPECT_EQ(path.state(), State::kRelay);
}

TEST(DirectPath, AQuietDirectPathSendsOnBothThenFallsBackAndIsRetried) {
  DirectPath path(true);
  path.offered(t0);
  path.tick(t0);
  path.confirmed(t0);
  path.agreed(t0);
  path.heard(t0 + 5s);
  EXPECT_EQ(path.route(t0 + 5200ms), Route::kDirect);
  // Quiet for 300 ms: both paths, so nothing is lost while we wait.
  EXPECT_EQ(path.route(t0 + 5300ms), Route::kBoth);
  EXPECT_EQ(path.tick(t0 + 5999ms), Action::kNone);
  EXPECT_EQ(path.tick(t0 + 6s), Action::kFallBack);
  EXPECT_EQ(path.route(t0 + 6s), Route::kRelay);
  EXPECT_EQ(path.switches(), 2u);
  // A path that worked is tried again after the first back-off.
  EXPECT_EQ(path.tick(t0 + 7999ms), Action::kNone);
  EXPECT_EQ(path.tick(t0 + 8s), Action::kStartChecks);
}

TEST(DirectPath, CandidatesThatCameWhileDirectAreCheckedAtOnceWhenThePathIsLost) {
  DirectPath path(true);
  path.offered(t0);
  path.tick(t0);
  path.confirmed(t0);
  path.agreed(t0);
  // The peer's address changed: its new one comes while the old path is
  // still in use, and the path goes quiet.
  path.more_candidates(t0 + 1s);
  EXPECT_EQ(path.state(), State::kDirect);
  path.heard(t0 + 1s);
  ASSERT_EQ(path.tick(t0 + 2s), Action::kFallBack);
  // No back-off: the new candidates are what a round is for.
  EXPECT_EQ(path.tick(t0 + 2s), Action::kStartChecks);
  path.confirmed(t0 + 2200ms);
  path.agreed(t0 + 2300ms);
  path.heard(t0 + 3s);
  // Once used, the news is spent: the next loss backs off as before.
  ASSERT_EQ(path.tick(t0 + 4s), Action::kFallBack);
  EXPECT_EQ(path.tick(t0 + 5999ms), Action::kNone);
  EXPECT_EQ(path.tick(t0 + 6s), Action::kStartChecks);
}

TEST(DirectPath, CalleeFollowsTheAgreementAndNeverChecks) {
  DirectPath path(false);
  path.offered(t0);
  EXPECT_EQ(path.tick(t0 + 10s), Action::kNone);
  EXPECT_EQ(path.confirmed(t0), Action::kNone);
  path.agreed(t0 + 10s);
  EXPECT_EQ(path.route(t0 + 10s), Route::kBoth);
  path.heard(t0 + 10600ms);
  EXPECT_EQ(path.route(t0 + 10600ms), Route::kDirect);
  // The caller said the path is lost before we noticed.
  EXPECT_EQ(path.lost(t0 + 10700ms), Action::kFallBack);
  EXPECT_EQ(path.route(t0 + 10700ms), Route::kRelay);
  EXPECT_EQ(path.lost(t0 + 10800ms), Action::kNone);
  EXPECT_EQ(path.tick(t0 + 30s), Action::kNone);
}

}  // namespace
}  // namespace wzp::nat
