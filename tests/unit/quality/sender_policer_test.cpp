#include "libwzp/quality/sender_policer.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "libwzp/wire/header.hpp"

namespace wzp::quality {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr size_t kAeadTagBytes = 16;  // crypto::kTagSize, on every sealed packet

// One tier's sender as the relay sees it, at its worst for a policer: every
// packet carries a quality report; speech alternates between seconds at
// 1.5x and 0.5x the codec's average rate (VBR); a group's repair arrives
// all at once after its last frame; and every 10 s the path holds 500 ms of
// packets and delivers them together. Returns the datagrams dropped.
int honest_sender_drops(Tier tier, seconds length) {
  const TierProfile &p = profile(tier);
  SenderPolicer policer(tier, Micros{0});
  const double average_payload = p.bitrate_bps / 8.0 * p.frame_ms / 1000.0;
  const size_t overhead = wire::full_header_size(true) + kAeadTagBytes;
  const size_t repair_per_block = static_cast<size_t>(std::ceil(p.block_frames * p.repair_ratio));
  int drops = 0;
  const Micros frame = milliseconds(p.frame_ms);
  size_t repair_bytes = 0;
  for (int64_t i = 0; frame * i < length; ++i) {
    const Micros sent = frame * i;
    const bool loud = (sent / seconds(1)) % 2 == 0;
    const size_t bytes =
        overhead + static_cast<size_t>(std::ceil(average_payload * (loud ? 1.5 : 0.5)));
    // Held 500 ms at the start of every 10 s, then delivered at once.
    const Micros in_period = sent % seconds(10);
    const Micros arrived =
        in_period < milliseconds(500) ? sent - in_period + milliseconds(500) : sent;
    repair_bytes = std::max(repair_bytes, bytes);  // a repair symbol is the block's largest frame
    if (!policer.admit(bytes, tier, arrived)) ++drops;
    if ((i + 1) % p.block_frames == 0) {
      for (size_t r = 0; r < repair_per_block; ++r) {
        if (!policer.admit(repair_bytes, tier, arrived)) ++drops;
      }
      repair_bytes = 0;
    }
  }
  return drops;
}

TEST(SenderPolicer, HonestSenderAtEveryTierIsNeverDropped) {
  for (const TierProfile &p : ladder()) {
    EXPECT_EQ(honest_sender_drops(p.tier, seconds(120)), 0) << p.name;
  }
}

// A member flooding at 310 kbit/s (the audit's finding) gets through the
// budget of the room's tier and the bucket's depth, no more.
TEST(SenderPolicer, FloodIsHeldToTheTiersBudget) {
  for (const TierProfile &p : ladder()) {
    SenderPolicer policer(p.tier, Micros{0});
    const double rate = policer.rate_bytes_per_second();
    EXPECT_DOUBLE_EQ(rate, p.datagram_bitrate_bps() / 8.0 * PolicerConfig{}.rate_headroom);
    constexpr size_t kBytes = 1200;
    const Micros gap{static_cast<int64_t>(kBytes * 8 * 1e6 / 310'000)};
    double admitted = 0;
    const seconds length(30);
    for (Micros t{0}; t < length; t += gap) {
      if (policer.admit(kBytes, p.tier, t)) admitted += kBytes;
    }
    const double depth = rate * std::chrono::duration<double>(PolicerConfig{}.burst).count();
    EXPECT_LE(admitted, rate * length.count() + depth) << p.name;
    EXPECT_GE(admitted, rate * length.count() - kBytes) << p.name << ": the budget is usable";
  }
}

// Video has its own bucket: a sender spending all of it keeps its audio
// budget whole, and the video bucket holds a flood to its rate.
TEST(SenderPolicer, VideoSpendsABucketOfItsOwn) {
  const Tier tier = ladder().front().tier;
  SenderPolicer policer(tier, Micros{0});
  const double video_rate = PolicerConfig{}.video_bytes_per_second;
  const double depth = video_rate * std::chrono::duration<double>(PolicerConfig{}.burst).count();
  double admitted = 0;
  for (int i = 0; i < 100'000 && policer.admit_video(1000, Micros{0}); ++i) admitted += 1000;
  EXPECT_LE(admitted, depth);
  EXPECT_GE(admitted, depth - 1000);
  EXPECT_TRUE(
      policer.admit(static_cast<size_t>(policer.rate_bytes_per_second() / 2), tier, Micros{0}))
      << "audio's bucket is untouched";
  EXPECT_FALSE(policer.admit_video(1000, Micros{0}));
  EXPECT_TRUE(policer.admit_video(1000, Micros{std::chrono::milliseconds(10)}))
      << "refilled at " << video_rate << " bytes/s";
}

// The members of a room that steps down go on at the tier it left until
// the directive reaches them: for step_down_grace they keep its budget.
TEST(SenderPolicer, StepDownKeepsTheBudgetItLeftForTheGrace) {
  const PolicerConfig config;
  SenderPolicer policer(Tier::kStudio64k, Micros{0}, config);
  const double high = policer.rate_bytes_per_second();
  EXPECT_TRUE(policer.admit(100, Tier::kCatastrophic, seconds(1)));
  EXPECT_EQ(policer.budget_tier(), Tier::kStudio64k);
  EXPECT_TRUE(policer.admit(100, Tier::kCatastrophic,
                            seconds(1) + config.step_down_grace - milliseconds(1)));
  EXPECT_EQ(policer.budget_tier(), Tier::kStudio64k);
  EXPECT_TRUE(policer.admit(100, Tier::kCatastrophic, seconds(1) + config.step_down_grace));
  EXPECT_EQ(policer.budget_tier(), Tier::kCatastrophic);
  EXPECT_LT(policer.rate_bytes_per_second(), high);
}

// A step up is the room's directive to send more: its budget applies at once.
TEST(SenderPolicer, StepUpRaisesTheBudgetAtOnce) {
  SenderPolicer policer(Tier::kCatastrophic, Micros{0});
  EXPECT_TRUE(policer.admit(100, Tier::kStudio64k, seconds(1)));
  EXPECT_EQ(policer.budget_tier(), Tier::kStudio64k);
}

// A step down that the room undoes within the grace never lowers the budget.
TEST(SenderPolicer, StepDownUndoneWithinTheGraceKeepsTheBudget) {
  const PolicerConfig config;
  SenderPolicer policer(Tier::kGood, Micros{0}, config);
  EXPECT_TRUE(policer.admit(100, Tier::kDegraded, seconds(1)));
  EXPECT_TRUE(policer.admit(100, Tier::kGood, seconds(2)));
  EXPECT_TRUE(policer.admit(100, Tier::kDegraded, seconds(3)));
  EXPECT_TRUE(policer.admit(100, Tier::kDegraded, seconds(3) + config.step_down_grace / 2));
  EXPECT_EQ(policer.budget_tier(), Tier::kGood) << "the grace restarts with each step down";
}

// An empty bucket refills with time, not with times that go backwards.
TEST(SenderPolicer, RefillsWithTimeOnly) {
  SenderPolicer policer(Tier::kGood, Micros{0});
  const auto depth =
      static_cast<size_t>(policer.rate_bytes_per_second() *
                          std::chrono::duration<double>(PolicerConfig{}.burst).count());
  EXPECT_TRUE(policer.admit(depth, Tier::kGood, seconds(10)));
  EXPECT_FALSE(policer.admit(1, Tier::kGood, seconds(10)));
  EXPECT_FALSE(policer.admit(1, Tier::kGood, seconds(5))) << "earlier counts as the last time";
  const auto second_worth = static_cast<size_t>(policer.rate_bytes_per_second());
  EXPECT_FALSE(policer.admit(second_worth + 1, Tier::kGood, seconds(11)));
  EXPECT_TRUE(policer.admit(second_worth, Tier::kGood, seconds(11)));
}

}  // namespace
}  // namespace wzp::quality
