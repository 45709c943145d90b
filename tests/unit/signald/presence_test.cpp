#include "signald/core/presence.hpp"

#include <gtest/gtest.h>

namespace wzp::signald::testing {
namespace {

using std::chrono::milliseconds;

const SteadyTime kStart = SteadyTime{} + std::chrono::hours(1);
const milliseconds kInterval(1000);

TEST(PresenceCoalescer, FirstChangeGoesAtOnceLaterOnesWaitForTheInterval) {
  PresenceCoalescer coalescer(kInterval);
  EXPECT_TRUE(coalescer.changed("bob", kStart));
  EXPECT_TRUE(coalescer.changed("carol", kStart)) << "per user";
  EXPECT_FALSE(coalescer.changed("bob", kStart + milliseconds(10)));
  EXPECT_FALSE(coalescer.changed("bob", kStart + milliseconds(500)));
  EXPECT_TRUE(coalescer.due(kStart + milliseconds(999)).empty());
  // One update for both held changes, sent with the state at that time.
  EXPECT_EQ(coalescer.due(kStart + kInterval), std::vector<std::string>{"bob"});
  EXPECT_TRUE(coalescer.due(kStart + kInterval).empty());
  // That update counts as sent: the next change waits an interval after it.
  EXPECT_FALSE(coalescer.changed("bob", kStart + kInterval + milliseconds(1)));
  EXPECT_TRUE(coalescer.due(kStart + 2 * kInterval - milliseconds(1)).empty());
  EXPECT_EQ(coalescer.due(kStart + 2 * kInterval), std::vector<std::string>{"bob"});
}

TEST(PresenceCoalescer, ChangeAfterAQuietIntervalGoesAtOnce) {
  PresenceCoalescer coalescer(kInterval);
  EXPECT_TRUE(coalescer.changed("bob", kStart));
  EXPECT_TRUE(coalescer.changed("bob", kStart + kInterval));
  EXPECT_TRUE(coalescer.due(kStart + 2 * kInterval).empty()) << "nothing held";
}

// A held change taken out of turn (a call offer must not overtake it)
// counts as sent: due() has nothing left of it.
TEST(PresenceCoalescer, AHeldChangeTakenOutOfTurnIsNotSentAgain) {
  PresenceCoalescer coalescer(kInterval);
  EXPECT_TRUE(coalescer.changed("bob", kStart));
  EXPECT_FALSE(coalescer.take("bob", kStart + milliseconds(10))) << "nothing held";
  EXPECT_FALSE(coalescer.changed("bob", kStart + milliseconds(20)));
  EXPECT_TRUE(coalescer.take("bob", kStart + milliseconds(30)));
  EXPECT_FALSE(coalescer.take("bob", kStart + milliseconds(40))) << "taken once";
  EXPECT_TRUE(coalescer.due(kStart + kInterval).empty()) << "nothing left held";
  EXPECT_FALSE(coalescer.changed("bob", kStart + kInterval)) << "the take counts as sent";
}

// A user changing as fast as it can costs one update per interval.
TEST(PresenceCoalescer, ChangesEveryMillisecondMakeOneUpdatePerInterval) {
  PresenceCoalescer coalescer(kInterval);
  int updates = 0;
  for (int ms = 0; ms < 10'000; ++ms) {
    const SteadyTime now = kStart + milliseconds(ms);
    updates += static_cast<int>(coalescer.due(now).size());
    if (coalescer.changed("bob", now)) ++updates;
  }
  EXPECT_EQ(updates, 10);
}

// Users quiet for an interval are forgotten: the coalescer holds only the
// recently changed.
TEST(PresenceCoalescer, ForgetsQuietUsers) {
  PresenceCoalescer coalescer(kInterval);
  for (int i = 0; i < 100; ++i) coalescer.changed("user" + std::to_string(i), kStart);
  EXPECT_EQ(coalescer.tracked(), 100u);
  EXPECT_TRUE(coalescer.due(kStart + kInterval).empty());
  EXPECT_EQ(coalescer.tracked(), 0u);
}

}  // namespace
}  // namespace wzp::signald::testing
