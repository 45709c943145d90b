// Every transition of the quality controller, driven with explicit times.
#include "libwzp/quality/controller.hpp"

#include <gtest/gtest.h>

namespace wzp::quality {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const PathObservation kClean{};
const PathObservation kLoss4{.loss = 0.04};     // good, and not better
const PathObservation kLoss4_5{.loss = 0.045};  // good, but too close to its limit to step up to
const PathObservation kLoss15{.loss = 0.15};    // degraded; bad for Good, not a collapse
const PathObservation kLoss20{.loss = 0.20};    // degraded
const PathObservation kLoss40{.loss = 0.40};    // catastrophic; bad for Degraded, not a collapse
const PathObservation kLoss60{.loss = 0.60};    // catastrophic; a collapse from Degraded up

// Sends `count` reports one second apart starting at `from`; returns the
// last decision.
Decision feed(QualityController &c, const PathObservation &report, int from, int count) {
  Decision last{c.tier()};
  for (int i = 0; i < count; ++i) last = c.on_report(seconds(from + i), report);
  return last;
}

TEST(QualityController, StartsAtTheInitialTierBelowTheCeiling) {
  EXPECT_EQ(QualityController().tier(), Tier::kGood);
  EXPECT_EQ(QualityController({.initial = Tier::kStudio64k, .ceiling = Tier::kGood}).tier(),
            Tier::kGood);
}

TEST(QualityController, HoldsWhileReportsFitTheTier) {
  QualityController c;
  for (int i = 1; i <= 25; ++i) {
    EXPECT_EQ(c.on_report(seconds(i), kLoss4).change, Change::kNone);
  }
  EXPECT_EQ(c.tier(), Tier::kGood);
  EXPECT_EQ(c.stats().reports, 25u);
}

TEST(QualityController, StepsDownAfterThreeConsecutiveBadReports) {
  QualityController c;
  EXPECT_EQ(c.on_report(seconds(1), kLoss15).change, Change::kNone);
  EXPECT_EQ(c.on_report(seconds(2), kLoss15).change, Change::kNone);
  Decision d = c.on_report(seconds(3), kLoss15);
  EXPECT_EQ(d.change, Change::kStepDown);
  EXPECT_EQ(d.tier, Tier::kDegraded);
  EXPECT_EQ(c.stats().step_downs, 1u);
}

TEST(QualityController, AGoodReportBreaksTheBadStreak) {
  QualityController c;
  feed(c, kLoss15, 1, 2);
  c.on_report(seconds(3), kLoss4);
  feed(c, kLoss15, 4, 2);
  EXPECT_EQ(c.tier(), Tier::kGood);
  EXPECT_EQ(c.on_report(seconds(6), kLoss15).tier, Tier::kDegraded);
}

// Loss far beyond the tier's limit does not wait for a streak: every second
// there loses speech.
TEST(QualityController, ACollapseDropsSeveralTiersAtOnce) {
  QualityController c({.initial = Tier::kStudio64k});
  Decision d = c.on_report(seconds(1), kLoss60);
  EXPECT_EQ(d.change, Change::kStepDown);
  EXPECT_EQ(d.tier, Tier::kCatastrophic);
  EXPECT_EQ(c.stats().step_downs, 1u);
}

TEST(QualityController, LossJustPastTheCollapseMarginStepsDownAtOnce) {
  // Degraded's limit is 30 %: 46 % is a collapse, 44 % starts a streak.
  QualityController at_once({.initial = Tier::kDegraded});
  EXPECT_EQ(at_once.on_report(seconds(1), {.loss = 0.46}).tier, Tier::kCatastrophic);
  QualityController streak({.initial = Tier::kDegraded});
  EXPECT_EQ(streak.on_report(seconds(1), {.loss = 0.44}).tier, Tier::kDegraded);
}

// Issue 12's recorded relayed call: 44.9 % (a tenth of a point short of a
// collapse), a lost report, 43.4 %: two reports that far off are as sure as
// one beyond the margin (15 / sqrt(2) points), so the second steps down.
TEST(QualityController, ReportsPooledBeyondTheShrunkMarginStepDownBeforeTheStreakEnds) {
  QualityController c({.initial = Tier::kDegraded});
  EXPECT_EQ(c.on_report(seconds(1), {.loss = 0.449}).change, Change::kNone);
  Decision d = c.on_report(seconds(3), {.loss = 0.434});
  EXPECT_EQ(d.change, Change::kStepDown);
  EXPECT_EQ(d.tier, Tier::kCatastrophic);
  // Pooled 35 % is within 30 + 10.6 points: the streak decides, at its third.
  QualityController mild({.initial = Tier::kDegraded});
  EXPECT_EQ(feed(mild, {.loss = 0.35}, 1, 2).change, Change::kNone);
  EXPECT_EQ(mild.on_report(seconds(3), {.loss = 0.35}).tier, Tier::kCatastrophic);
}

TEST(QualityController, AWobbleDropsOnlyToTheBestTierTheStreakSustained) {
  QualityController c({.initial = Tier::kStudio64k});
  c.on_report(seconds(1), {.loss = 0.08});
  c.on_report(seconds(2), {.loss = 0.08});
  EXPECT_EQ(c.on_report(seconds(3), {.loss = 0.015}).tier, Tier::kStudio48k);
}

TEST(QualityController, NothingBelowTheFloor) {
  QualityController c({.initial = Tier::kCatastrophic});
  EXPECT_EQ(feed(c, {.loss = 0.95, .rtt_ms = 9000}, 1, 10).change, Change::kNone);
  EXPECT_EQ(c.tier(), Tier::kCatastrophic);
}

TEST(QualityController, StepsUpAfterFiveGoodReports) {
  QualityController c({.initial = Tier::kDegraded});
  EXPECT_EQ(feed(c, kClean, 1, 4).change, Change::kNone);
  Decision d = c.on_report(seconds(5), kClean);
  EXPECT_EQ(d.change, Change::kStepUp);
  EXPECT_EQ(d.tier, Tier::kGood);
}

TEST(QualityController, StudioTiersNeedTenGoodReports) {
  QualityController c;
  EXPECT_EQ(feed(c, kClean, 1, 9).tier, Tier::kGood);
  EXPECT_EQ(c.on_report(seconds(10), kClean).tier, Tier::kStudio32k);
  // One tier per run of good reports, never a jump.
  EXPECT_EQ(feed(c, kClean, 11, 9).tier, Tier::kStudio32k);
  EXPECT_EQ(c.on_report(seconds(20), kClean).tier, Tier::kStudio48k);
}

TEST(QualityController, AnInterruptedGoodRunStartsOver) {
  QualityController c({.initial = Tier::kDegraded});
  feed(c, kClean, 1, 4);
  c.on_report(seconds(5), kLoss20);
  EXPECT_EQ(feed(c, kClean, 6, 4).tier, Tier::kDegraded);
  EXPECT_EQ(c.on_report(seconds(10), kClean).tier, Tier::kGood);
}

TEST(QualityController, StepsUpOnlyWithMargin) {
  QualityController c({.initial = Tier::kDegraded});
  // 13 % loss fits Good's 15 % limit but not with the 0.8 margin.
  EXPECT_EQ(feed(c, kLoss4_5, 1, 20).tier, Tier::kDegraded);
}

TEST(QualityController, NeverClimbsOrProbesAboveTheCeiling) {
  QualityController c({.ceiling = Tier::kGood});
  EXPECT_EQ(feed(c, kClean, 1, 120).tier, Tier::kGood);
  EXPECT_EQ(c.tick(seconds(121)).change, Change::kNone);
  EXPECT_EQ(c.stats().probes_started, 0u);
}

// Degraded, steady at 20 % loss: fits Degraded, never Good.
QualityController steady_degraded_for_thirty_seconds() {
  QualityController c({.initial = Tier::kDegraded});
  EXPECT_EQ(feed(c, kLoss20, 1, 29).change, Change::kNone);
  return c;
}

TEST(QualityController, ProbesTheTierAboveAfterThirtyStableSeconds) {
  QualityController c = steady_degraded_for_thirty_seconds();
  Decision d = c.on_report(seconds(30), kLoss20);
  EXPECT_EQ(d.change, Change::kProbeStart);
  EXPECT_EQ(d.tier, Tier::kGood);
  EXPECT_TRUE(c.probing());
  EXPECT_EQ(c.tier(), Tier::kGood);
  EXPECT_EQ(c.committed_tier(), Tier::kDegraded);
}

TEST(QualityController, AProbeStartsFromTickWithoutAReport) {
  QualityController c({.initial = Tier::kDegraded});
  feed(c, kLoss20, 26, 4);
  EXPECT_EQ(c.tick(milliseconds(29'500)).change, Change::kNone);
  EXPECT_EQ(c.tick(milliseconds(30'500)).change, Change::kProbeStart);
}

TEST(QualityController, ABadReportRestartsTheStableClock) {
  QualityController c({.initial = Tier::kDegraded});
  feed(c, kLoss20, 1, 20);
  c.on_report(seconds(21), kLoss40);  // one bad report: no step, but not stable
  EXPECT_EQ(feed(c, kLoss20, 22, 29).change, Change::kNone);
  EXPECT_EQ(c.on_report(seconds(51), kLoss20).change, Change::kProbeStart);
}

TEST(QualityController, AProbeCommitsWhenTheHigherTierHolds) {
  QualityController c = steady_degraded_for_thirty_seconds();
  c.on_report(seconds(30), kLoss20);
  EXPECT_EQ(feed(c, kLoss4_5, 31, 4).change, Change::kNone);
  Decision d = c.on_report(seconds(35), kLoss4_5);
  EXPECT_EQ(d.change, Change::kProbeCommit);
  EXPECT_EQ(d.tier, Tier::kGood);
  EXPECT_FALSE(c.probing());
  EXPECT_EQ(c.committed_tier(), Tier::kGood);
  EXPECT_EQ(c.stats().probes_committed, 1u);
}

TEST(QualityController, AProbeToleratesOneBadReport) {
  QualityController c = steady_degraded_for_thirty_seconds();
  c.on_report(seconds(30), kLoss20);
  c.on_report(seconds(31), kLoss20);  // bad for Good, fine for Degraded
  EXPECT_EQ(feed(c, kLoss4_5, 32, 4).tier, Tier::kGood);
  EXPECT_EQ(c.stats().probes_committed, 1u);
}

TEST(QualityController, AProbeAbortsOnTheSecondBadReportAndCoolsDown) {
  QualityController c = steady_degraded_for_thirty_seconds();
  c.on_report(seconds(30), kLoss20);
  c.on_report(seconds(31), kLoss20);
  Decision d = c.on_report(seconds(32), kLoss20);
  EXPECT_EQ(d.change, Change::kProbeAbort);
  EXPECT_EQ(d.tier, Tier::kDegraded);
  EXPECT_FALSE(c.probing());
  // Stable again after 30 s, but the 60 s cooldown holds the next probe back.
  EXPECT_EQ(feed(c, kLoss20, 33, 59).change, Change::kNone);
  EXPECT_EQ(c.on_report(seconds(92), kLoss20).change, Change::kProbeStart);
}

TEST(QualityController, TheCooldownDoublesAfterEachFailureAndResetsOnSuccess) {
  QualityController c = steady_degraded_for_thirty_seconds();
  c.on_report(seconds(30), kLoss20);
  feed(c, kLoss20, 31, 2);                                          // abort at 32: wait 60 s
  EXPECT_EQ(feed(c, kLoss20, 33, 60).change, Change::kProbeStart);  // at 92
  feed(c, kLoss20, 93, 2);                                          // abort at 94: wait 120 s
  EXPECT_EQ(feed(c, kLoss20, 95, 119).change, Change::kNone);
  EXPECT_EQ(c.on_report(seconds(214), kLoss20).change, Change::kProbeStart);
  EXPECT_EQ(feed(c, kLoss4_5, 215, 5).change, Change::kProbeCommit);  // at 219
  EXPECT_EQ(c.stats().probes_aborted, 2u);
  // Committed at Good: the next failed probe (to Studio32k) waits 60 s again.
  EXPECT_EQ(feed(c, kLoss4, 220, 30).change, Change::kProbeStart);  // at 249
  EXPECT_EQ(feed(c, kLoss4, 250, 2).change, Change::kProbeAbort);   // at 251
  EXPECT_EQ(feed(c, kLoss4, 252, 59).change, Change::kNone);
  EXPECT_EQ(c.on_report(seconds(311), kLoss4).change, Change::kProbeStart);
}

TEST(QualityController, AProbeAbortsAtOnceWhenThePathGetsWorseThanBefore) {
  QualityController c = steady_degraded_for_thirty_seconds();
  c.on_report(seconds(30), kLoss20);
  EXPECT_EQ(c.on_report(seconds(31), kLoss40).change, Change::kProbeAbort);
  // That report was the first of a bad streak at the committed tier.
  c.on_report(seconds(32), kLoss40);
  EXPECT_EQ(c.on_report(seconds(33), kLoss40).tier, Tier::kCatastrophic);
}

TEST(QualityController, ACollapseDuringAProbeStepsBelowTheCommittedTier) {
  QualityController c = steady_degraded_for_thirty_seconds();
  c.on_report(seconds(30), kLoss20);
  Decision d = c.on_report(seconds(31), kLoss60);
  EXPECT_EQ(d.change, Change::kStepDown);
  EXPECT_EQ(d.tier, Tier::kCatastrophic);
  EXPECT_FALSE(c.probing());
  EXPECT_EQ(c.stats().probes_aborted, 1u);
}

TEST(QualityController, AProbeWithTooFewReportsFails) {
  QualityController c = steady_degraded_for_thirty_seconds();
  c.on_report(seconds(30), kLoss20);
  c.on_report(seconds(31), kLoss4_5);
  Decision d = c.tick(seconds(35));
  EXPECT_EQ(d.change, Change::kProbeAbort);
  EXPECT_EQ(d.tier, Tier::kDegraded);
}

TEST(QualityController, SilenceStepsDownOneTierAtATime) {
  QualityController c({.initial = Tier::kStudio48k});
  c.on_report(seconds(1), kClean);
  EXPECT_EQ(c.tick(seconds(5)).change, Change::kNone);  // within the grace
  EXPECT_EQ(c.tick(seconds(7)).change, Change::kNone);  // two silent steps
  Decision d = c.tick(seconds(8));
  EXPECT_EQ(d.change, Change::kStepDown);
  EXPECT_EQ(d.tier, Tier::kStudio32k);
  EXPECT_EQ(c.tick(seconds(11)).tier, Tier::kGood);
  EXPECT_EQ(c.stats().silent_steps, 6u);
  // A report ends the silence; the count starts over.
  c.on_report(seconds(12), kLoss4);
  EXPECT_EQ(c.tick(seconds(18)).tier, Tier::kGood);
}

TEST(QualityController, SilenceAbortsAProbe) {
  // A long probe, so silence (not its end) is what stops it.
  QualityController quick({.initial = Tier::kDegraded, .probe_duration = seconds(20)});
  feed(quick, kLoss20, 1, 30);
  ASSERT_TRUE(quick.probing());
  EXPECT_EQ(quick.tick(seconds(36)).change, Change::kProbeAbort);
  EXPECT_EQ(quick.tier(), Tier::kDegraded);
}

TEST(QualityController, LocalPathStatsCountWhileFresh) {
  QualityController c;
  c.on_path_stats(seconds(0), {.rtt_ms = 1300});  // too slow for Good
  feed(c, kClean, 1, 2);
  EXPECT_EQ(c.on_report(seconds(3), kClean).tier, Tier::kDegraded);

  QualityController stale;
  stale.on_path_stats(seconds(0), {.rtt_ms = 1300});
  EXPECT_EQ(feed(stale, kLoss4, 6, 5).tier, Tier::kGood);  // older than 5 s: ignored
}

// The peer's reports ride the lossy media and come late; until the first
// one, our own link's loss steps a call down (never up).
TEST(QualityController, BeforeThePeersFirstReportLocalLossStepsDown) {
  QualityController c;
  EXPECT_EQ(c.on_path_stats(seconds(1), kClean).change, Change::kNone);
  EXPECT_EQ(c.on_path_stats(seconds(2), kLoss15).change, Change::kNone);
  EXPECT_EQ(c.on_path_stats(seconds(3), kLoss15).change, Change::kNone);
  Decision d = c.on_path_stats(seconds(4), kLoss15);
  EXPECT_EQ(d.change, Change::kStepDown);
  EXPECT_EQ(d.tier, Tier::kDegraded);
  // A collapse on our own link does not wait either.
  EXPECT_EQ(c.on_path_stats(seconds(5), kLoss60).tier, Tier::kCatastrophic);

  QualityController reported;
  reported.on_report(seconds(1), kLoss4);
  for (int i = 2; i <= 6; ++i) {
    EXPECT_EQ(reported.on_path_stats(seconds(i), kLoss60).change, Change::kNone);
  }
  EXPECT_EQ(reported.tier(), Tier::kGood);
}

// Quarter-second figures of our own link before the first report: a collapse
// steps down at once (70 % loss at degraded), a figure a little past the
// tier's limit does not, however many come (ClientCall at 20 % loss read
// 31-33 % in its first second and went to Codec2 when each counted as a
// report).
TEST(QualityController, AQuarterSecondsFigureStepsDownOnlyOnACollapse) {
  QualityController c({.initial = Tier::kDegraded});
  for (int i = 1; i <= 8; ++i) {
    EXPECT_EQ(c.on_early_path_stats(milliseconds(250 * i), {.loss = 0.33}, 0.25).change,
              Change::kNone)
        << i;
  }
  // Past degraded's 30 % by more than twice a report's collapse margin.
  Decision d = c.on_early_path_stats(milliseconds(2250), {.loss = 0.7}, 0.25);
  EXPECT_EQ(d.change, Change::kStepDown);
  EXPECT_EQ(d.tier, Tier::kCatastrophic);

  // 55 % over a quarter second is within a quarter second's spread of 30 %;
  // over half a second it is a collapse.
  QualityController quarter({.initial = Tier::kDegraded});
  EXPECT_EQ(quarter.on_early_path_stats(milliseconds(250), {.loss = 0.55}, 0.25).change,
            Change::kNone);
  EXPECT_EQ(quarter.on_early_path_stats(milliseconds(750), {.loss = 0.55}, 0.5).change,
            Change::kStepDown);

  // Once the peer reported, its word decides.
  QualityController reported({.initial = Tier::kDegraded});
  reported.on_report(seconds(1), kClean);
  EXPECT_EQ(reported.on_early_path_stats(seconds(2), {.loss = 0.9}, 0.25).change, Change::kNone);
}

// In a relayed call the callee's own leg can be clean while the caller's is
// not: what reaches us of the caller's media is the best guess of what
// reaches the caller of ours until its first report says (issue 12's relayed
// call at 70 % bursty loss waited 7.3 s for it at the starting tier).
TEST(QualityController, BeforeThePeersFirstReportWhatReachesUsOfItsMediaStepsDown) {
  QualityController c({.initial = Tier::kDegraded});
  EXPECT_EQ(c.on_peer_media(seconds(1), kClean).change, Change::kNone);
  Decision d = c.on_peer_media(seconds(2), {.loss = 0.7});
  EXPECT_EQ(d.change, Change::kStepDown);
  EXPECT_EQ(d.tier, Tier::kCatastrophic);
  // It never steps up, and once the peer reported, its word decides.
  QualityController reported({.initial = Tier::kDegraded});
  reported.on_report(seconds(1), kClean);
  for (int i = 2; i <= 6; ++i) {
    EXPECT_EQ(reported.on_peer_media(seconds(i), {.loss = 0.7}).change, Change::kNone);
  }
  EXPECT_EQ(reported.tier(), Tier::kDegraded);
}

// Found by fuzz_call_trace: a tick years after the last report counted each
// second of the silence one by one.
TEST(QualityController, AJumpInTimeCountsItsSilenceAtOnce) {
  QualityController c;
  const auto later = std::chrono::duration_cast<Micros>(std::chrono::hours(24 * 365 * 1000));
  EXPECT_EQ(c.tick(later).tier, Tier::kCatastrophic);
  QualityController stepwise;
  for (int i = 6; i <= 20; ++i) stepwise.tick(seconds(i));
  QualityController jumped;
  jumped.tick(seconds(20));
  EXPECT_EQ(jumped.stats().silent_steps, stepwise.stats().silent_steps);
  EXPECT_EQ(jumped.tier(), stepwise.tier());
}

TEST(QualityController, TakesWireQualityReports) {
  QualityController c;
  wire::QualityReport report;
  report.loss_q8 = 128;  // 50 %
  report.rtt_ms = 300;
  for (int i = 1; i <= 3; ++i) c.on_report(seconds(i), report);
  EXPECT_EQ(c.tier(), Tier::kCatastrophic);
}

TEST(QualityController, ChangesHaveNames) {
  EXPECT_STREQ(to_string(Change::kProbeAbort), "probe-abort");
  EXPECT_STREQ(to_string(Change::kStepDown), "step-down");
}

}  // namespace
}  // namespace wzp::quality
