#include "libwzp/netsim/spec.hpp"

#include <gtest/gtest.h>

namespace wzp::netsim {
namespace {

using std::chrono::milliseconds;

DirectionConfig parse_ok(std::string_view spec, const DirectionConfig &base = {}) {
  DirectionConfig out;
  std::string error = parse_spec(spec, base, out);
  EXPECT_EQ(error, "") << spec;
  return out;
}

std::string parse_error(std::string_view spec) {
  DirectionConfig out;
  out.seed = 12345;
  std::string error = parse_spec(spec, {}, out);
  EXPECT_EQ(out.seed, 12345u) << "a failed parse must leave the output alone";
  return error;
}

TEST(ImpairmentSpec, ParsesEveryKey) {
  DirectionConfig c = parse_ok(
      "loss=0.3,burst=3,delay=150ms,jitter=20ms,rate=200kbps,dup=0.01,seed=7,reorder=1,queue=1s");
  EXPECT_DOUBLE_EQ(c.loss, 0.3);
  EXPECT_DOUBLE_EQ(c.mean_burst, 3);
  EXPECT_EQ(c.delay, milliseconds(150));
  EXPECT_EQ(c.jitter, milliseconds(20));
  EXPECT_EQ(c.rate_bps, 200'000u);
  EXPECT_DOUBLE_EQ(c.duplicate, 0.01);
  EXPECT_EQ(c.seed, 7u);
  EXPECT_TRUE(c.reorder);
  EXPECT_EQ(c.queue_limit, milliseconds(1000));
}

TEST(ImpairmentSpec, AcceptsUnitsPercentAndSpaces) {
  DirectionConfig c = parse_ok(" loss = 25% , delay=250us, jitter=1.5ms, rate=2mbps ");
  EXPECT_DOUBLE_EQ(c.loss, 0.25);
  EXPECT_EQ(c.delay, Micros{250});
  EXPECT_EQ(c.jitter, Micros{1500});
  EXPECT_EQ(c.rate_bps, 2'000'000u);
  EXPECT_EQ(parse_ok("delay=2").delay, milliseconds(2));  // bare numbers are milliseconds
  EXPECT_EQ(parse_ok("rate=64000").rate_bps, 64'000u);    // and bits per second
}

TEST(ImpairmentSpec, ProfilesSetValuesAndLaterKeysOverride) {
  DirectionConfig warzone = parse_ok("warzone");
  EXPECT_DOUBLE_EQ(warzone.loss, 0.4);
  EXPECT_GE(warzone.mean_burst, 2);
  EXPECT_EQ(warzone.delay, milliseconds(300));  // 600 ms round trip
  EXPECT_EQ(warzone.rate_bps, 200'000u);

  DirectionConfig tweaked = parse_ok("warzone,loss=0.1,seed=9");
  EXPECT_DOUBLE_EQ(tweaked.loss, 0.1);
  EXPECT_EQ(tweaked.delay, milliseconds(300));
  EXPECT_EQ(tweaked.seed, 9u);
}

TEST(ImpairmentSpec, EveryProfileParsesAndDescribesItself) {
  ASSERT_GE(profiles().size(), 4u);
  for (const auto &profile : profiles()) {
    DirectionConfig c;
    EXPECT_EQ(parse_spec(profile.name, {}, c), "") << profile.name;
    EXPECT_FALSE(profile.description.empty());
  }
  EXPECT_EQ(parse_ok("clean"), DirectionConfig{});
}

TEST(ImpairmentSpec, AProfileKeepsTheSeedOfTheBase) {
  DirectionConfig base;
  base.seed = 42;
  EXPECT_EQ(parse_ok("lossy", base).seed, 42u);
}

TEST(ImpairmentSpec, AppliesOnTopOfTheBase) {
  DirectionConfig base = parse_ok("delay=100ms,loss=0.2");
  DirectionConfig c = parse_ok("jitter=5ms", base);
  EXPECT_EQ(c.delay, milliseconds(100));
  EXPECT_DOUBLE_EQ(c.loss, 0.2);
  EXPECT_EQ(c.jitter, milliseconds(5));
}

TEST(ImpairmentSpec, RejectsBadInputWithAMessage) {
  EXPECT_NE(parse_error("loss=1.5").find("loss"), std::string::npos);
  EXPECT_NE(parse_error("loss=-0.1").find("loss"), std::string::npos);
  EXPECT_NE(parse_error("loss=nan").find("loss"), std::string::npos);
  EXPECT_NE(parse_error("colour=red").find("unknown key 'colour'"), std::string::npos);
  EXPECT_NE(parse_error("delay=5parsecs").find("delay"), std::string::npos);
  EXPECT_NE(parse_error("rate=10furlongs").find("rate"), std::string::npos);
  EXPECT_NE(parse_error("rate=500bps").find("rate"), std::string::npos);
  EXPECT_NE(parse_error("seed=-1").find("seed"), std::string::npos);
  EXPECT_NE(parse_error("reorder=maybe").find("reorder"), std::string::npos);
  EXPECT_NE(parse_error("delay=2h").find("delay"), std::string::npos);
  EXPECT_NE(parse_error("nowhere").find("profile"), std::string::npos);
  EXPECT_NE(parse_error("loss=0.1,warzone").find("profile"), std::string::npos);
  EXPECT_NE(parse_error("loss=0.8,burst=2").find("burst"), std::string::npos);
  EXPECT_NE(parse_error("loss=").find("loss"), std::string::npos);
}

TEST(ImpairmentSpec, EmptyItemsAreIgnored) {
  EXPECT_EQ(parse_ok(""), DirectionConfig{});
  EXPECT_DOUBLE_EQ(parse_ok("loss=0.1,,").loss, 0.1);
}

TEST(ImpairmentSpec, ToSpecRoundTrips) {
  for (std::string_view spec :
       {"warzone,seed=77", "satellite", "congested,dup=0.02", "loss=0.123456789,burst=2.5"}) {
    DirectionConfig c = parse_ok(spec);
    EXPECT_EQ(parse_ok(to_spec(c)), c) << to_spec(c);
  }
}

}  // namespace
}  // namespace wzp::netsim
