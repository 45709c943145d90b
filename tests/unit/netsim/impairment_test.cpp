// Statistics of the impairment model with fixed seeds: what it measures must
// match what it was configured with.
#include "libwzp/netsim/impairment.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace wzp::netsim {
namespace {

using std::chrono::milliseconds;

constexpr int kPackets = 200'000;

// Feeds `count` packets 1 ms apart and returns every verdict.
std::vector<Verdict> run(ImpairmentModel &model, int count, size_t bytes = 100) {
  std::vector<Verdict> verdicts;
  verdicts.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) verdicts.push_back(model.submit(milliseconds(i), bytes));
  return verdicts;
}

TEST(ImpairmentModel, CleanPathDeliversEverythingAtOnce) {
  ImpairmentModel model(DirectionConfig{});
  for (int i = 0; i < 1000; ++i) {
    Verdict v = model.submit(milliseconds(i), 50);
    ASSERT_EQ(v.copies, 1);
    EXPECT_EQ(v.deliver_at[0], milliseconds(i));
  }
  EXPECT_EQ(model.counters().delivered, 1000u);
  EXPECT_EQ(model.counters().bytes_out, 50'000u);
  EXPECT_EQ(model.counters().lost, 0u);
}

TEST(ImpairmentModel, RandomLossMatchesConfiguredRate) {
  ImpairmentModel model(DirectionConfig{.loss = 0.3, .seed = 7});
  run(model, kPackets);
  const auto &c = model.counters();
  EXPECT_NEAR(static_cast<double>(c.lost) / kPackets, 0.3, 0.01);
  // Independent loss has geometric bursts of mean 1 / (1 - p).
  EXPECT_NEAR(static_cast<double>(c.lost) / static_cast<double>(c.loss_bursts), 1 / 0.7, 0.05);
  EXPECT_EQ(c.lost + c.delivered, static_cast<uint64_t>(kPackets));
}

TEST(ImpairmentModel, GilbertElliottGivesConfiguredLossAndBurstLength) {
  for (double burst : {2.0, 3.0, 6.0}) {
    ImpairmentModel model(DirectionConfig{.loss = 0.4, .mean_burst = burst, .seed = 11});
    run(model, kPackets);
    const auto &c = model.counters();
    EXPECT_NEAR(static_cast<double>(c.lost) / kPackets, 0.4, 0.02) << "burst " << burst;
    EXPECT_NEAR(static_cast<double>(c.lost) / static_cast<double>(c.loss_bursts), burst,
                burst * 0.06)
        << "burst " << burst;
  }
}

TEST(ImpairmentModel, SameSeedSameFateDifferentSeedDifferentFate) {
  const DirectionConfig config{.loss = 0.25,
                               .mean_burst = 2,
                               .jitter = milliseconds(20),
                               .reorder = true,
                               .duplicate = 0.05,
                               .seed = 99};
  ImpairmentModel a(config), b(config);
  DirectionConfig other_seed = config;
  other_seed.seed = 100;
  ImpairmentModel c(other_seed);
  int differences = 0;
  for (int i = 0; i < 5000; ++i) {
    Verdict va = a.submit(milliseconds(i), 80), vb = b.submit(milliseconds(i), 80),
            vc = c.submit(milliseconds(i), 80);
    ASSERT_EQ(va.copies, vb.copies);
    ASSERT_EQ(va.deliver_at, vb.deliver_at);
    differences += va.copies != vc.copies || va.deliver_at != vc.deliver_at;
  }
  EXPECT_GT(differences, 1000);
}

TEST(ImpairmentModel, TotalLossDropsEverything) {
  ImpairmentModel model(DirectionConfig{.loss = 1.0});
  run(model, 1000);
  EXPECT_EQ(model.counters().lost, 1000u);
  EXPECT_EQ(model.counters().delivered, 0u);
  EXPECT_EQ(model.counters().loss_bursts, 1u);
}

TEST(ImpairmentModel, JitterStaysWithinBoundsAndCentresOnTheDelay) {
  ImpairmentModel model(DirectionConfig{
      .delay = milliseconds(150), .jitter = milliseconds(20), .reorder = true, .seed = 3});
  double sum_ms = 0;
  int64_t lowest = INT64_MAX, highest = 0;
  // 100 ms apart: jitter alone never overlaps two packets.
  for (int i = 0; i < 20'000; ++i) {
    Verdict v = model.submit(milliseconds(100 * i), 100);
    ASSERT_EQ(v.copies, 1);
    const int64_t delay = (v.deliver_at[0] - milliseconds(100 * i)).count();
    lowest = std::min(lowest, delay);
    highest = std::max(highest, delay);
    sum_ms += static_cast<double>(delay) / 1000.0;
  }
  EXPECT_GE(lowest, 130'000);
  EXPECT_LE(highest, 170'000);
  EXPECT_LT(lowest, 131'000);  // the whole range is used
  EXPECT_GT(highest, 169'000);
  EXPECT_NEAR(sum_ms / 20'000, 150.0, 0.5);
  EXPECT_EQ(model.counters().reordered, 0u);
}

TEST(ImpairmentModel, JitterReordersOnlyWhenAllowed) {
  for (bool reorder : {false, true}) {
    ImpairmentModel model(DirectionConfig{
        .delay = milliseconds(50), .jitter = milliseconds(30), .reorder = reorder, .seed = 5});
    Micros previous{0};
    bool monotonic = true;
    for (int i = 0; i < 10'000; ++i) {
      Verdict v = model.submit(milliseconds(5 * i), 100);
      monotonic = monotonic && v.deliver_at[0] >= previous;
      previous = v.deliver_at[0];
    }
    EXPECT_EQ(monotonic, !reorder);
    if (reorder) {
      EXPECT_GT(model.counters().reordered, 1000u);
    } else {
      EXPECT_EQ(model.counters().reordered, 0u);
    }
  }
}

TEST(ImpairmentModel, DuplicationMatchesConfiguredRate) {
  ImpairmentModel model(DirectionConfig{.duplicate = 0.05, .seed = 8});
  auto verdicts = run(model, kPackets);
  EXPECT_NEAR(static_cast<double>(model.counters().duplicated) / kPackets, 0.05, 0.003);
  EXPECT_EQ(model.counters().delivered, kPackets + model.counters().duplicated);
  for (const auto &v : verdicts) {
    if (v.copies == 2) {
      EXPECT_GE(v.deliver_at[1], v.deliver_at[0]);
    }
  }
}

TEST(ImpairmentModel, RateCapSerialisesAndTailDropsBeyondTheQueue) {
  // 1250 bytes at 100 kbit/s take 100 ms on the wire.
  ImpairmentModel model(
      DirectionConfig{.rate_bps = 100'000, .queue_limit = milliseconds(300), .seed = 1});
  std::vector<Verdict> burst;
  for (int i = 0; i < 10; ++i) burst.push_back(model.submit(Micros{0}, 1250));
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(burst[i].copies, 1) << i;
    EXPECT_EQ(burst[i].deliver_at[0], milliseconds(100 * (i + 1)));
  }
  for (int i = 4; i < 10; ++i) EXPECT_EQ(burst[i].drop, Verdict::Drop::kQueueFull) << i;
  EXPECT_EQ(model.counters().queue_dropped, 6u);
}

TEST(ImpairmentModel, RateCapLimitsLongRunThroughput) {
  // Offer 400 kbit/s to a 200 kbit/s link for 20 s.
  ImpairmentModel model(DirectionConfig{.rate_bps = 200'000, .seed = 1});
  for (int i = 0; i < 20'000; ++i) model.submit(milliseconds(i), 50);
  const double delivered_bits = static_cast<double>(model.counters().bytes_out) * 8;
  EXPECT_NEAR(delivered_bits / 20.0, 200'000, 200'000 * 0.02);
  EXPECT_NEAR(static_cast<double>(model.counters().queue_dropped) / 20'000, 0.5, 0.02);
}

TEST(ImpairmentModel, LossAppliesAfterTheQueueSoLostPacketsStillUseTheLink) {
  ImpairmentModel model(DirectionConfig{
      .loss = 1.0, .rate_bps = 100'000, .queue_limit = milliseconds(150), .seed = 1});
  model.submit(Micros{0}, 1250);
  model.submit(Micros{0}, 1250);
  EXPECT_EQ(model.submit(Micros{0}, 1250).drop, Verdict::Drop::kQueueFull);
  EXPECT_EQ(model.counters().lost, 2u);
}

TEST(ImpairmentModel, ReconfigureChangesLossFromTheNextPacketAndKeepsCounting) {
  ImpairmentModel model(DirectionConfig{.seed = 5});
  run(model, 1000);
  EXPECT_EQ(model.counters().lost, 0u);
  model.reconfigure(DirectionConfig{.loss = 0.6, .mean_burst = 3, .seed = 99});
  EXPECT_EQ(model.config().seed, 5u);  // the random sequence carries on
  for (int i = 0; i < kPackets; ++i) model.submit(milliseconds(1000 + i), 100);
  const auto &bad = model.counters();
  EXPECT_EQ(bad.packets_in, static_cast<uint64_t>(kPackets + 1000));
  EXPECT_NEAR(static_cast<double>(bad.lost) / kPackets, 0.6, 0.02);
  EXPECT_NEAR(static_cast<double>(bad.lost) / static_cast<double>(bad.loss_bursts), 3.0, 0.2);
  const uint64_t lost_before = bad.lost;
  model.reconfigure(DirectionConfig{});
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(model.submit(milliseconds(1000 + kPackets + i), 100).copies, 1);
  }
  EXPECT_EQ(model.counters().lost, lost_before);
}

TEST(ImpairmentModel, ReconfigureKeepsDeliveryOrderWhenTheDelayShrinks) {
  ImpairmentModel model(DirectionConfig{.delay = milliseconds(300)});
  Verdict before = model.submit(milliseconds(0), 100);
  model.reconfigure(DirectionConfig{.delay = milliseconds(10)});
  Verdict after = model.submit(milliseconds(1), 100);
  // FIFO is kept: the packet sent later does not overtake the delayed one.
  EXPECT_GE(after.deliver_at[0], before.deliver_at[0]);
}

}  // namespace
}  // namespace wzp::netsim
