#include "libwzp/nat/mapping_renewal.hpp"

#include <gtest/gtest.h>

namespace wzp::nat {
namespace {

using namespace std::chrono_literals;

const MappingRenewal::Time granted_at = MappingRenewal::Time{} + 1000s;

TEST(MappingRenewal, AsksAtHalfTheLeaseAndAgainAtHalfTheNewOne) {
  MappingRenewal r(granted_at, 3600s);
  EXPECT_EQ(r.next(), granted_at + 1800s);
  EXPECT_FALSE(r.due(granted_at + 1799s));
  EXPECT_TRUE(r.due(granted_at + 1800s));
  // The gateway may grant less than asked: the next renewal follows its lease.
  r.renewed(granted_at + 1800s, 120s);
  EXPECT_EQ(r.expires(), granted_at + 1920s);
  EXPECT_EQ(r.next(), granted_at + 1860s);
  EXPECT_FALSE(r.lapsed(granted_at + 1919s));
}

TEST(MappingRenewal, AFailureIsRetriedWithinTheLeaseThenTheMappingLapses) {
  MappingRenewal r(granted_at, 4s);
  EXPECT_EQ(r.next(), granted_at + 2s);
  r.failed(granted_at + 2s);  // half of the 2 s left
  EXPECT_EQ(r.next(), granted_at + 3s);
  r.failed(granted_at + 3s);  // half of 1 s is sooner than the minimum retry, which is the expiry
  EXPECT_EQ(r.next(), MappingRenewal::Time::max());
  EXPECT_FALSE(r.lapsed(granted_at + 3999ms));
  EXPECT_TRUE(r.lapsed(granted_at + 4s));
  // A renewal that comes back after all revives it.
  r.renewed(granted_at + 3500ms, 4s);
  EXPECT_EQ(r.next(), granted_at + 5500ms);
  EXPECT_FALSE(r.lapsed(granted_at + 4s));
}

TEST(MappingRenewal, ALongLeaseRetriesAtHalfOfWhatIsLeftNotInABurst) {
  MappingRenewal r(granted_at, 3600s);
  r.failed(granted_at + 1800s);
  EXPECT_EQ(r.next(), granted_at + 2700s);
  r.failed(granted_at + 3598s);  // 2 s left: retried once, 1 s later
  EXPECT_EQ(r.next(), granted_at + 3599s);
}

TEST(MappingRenewal, AnExpiredOrEmptyLeaseIsNeverAsked) {
  MappingRenewal zero(granted_at, 0s);
  EXPECT_EQ(zero.next(), MappingRenewal::Time::max());
  EXPECT_TRUE(zero.lapsed(granted_at));
  MappingRenewal r(granted_at, 10s);
  r.renewed(granted_at + 5s, 0s);  // granted nothing: lapsed at once
  EXPECT_EQ(r.next(), MappingRenewal::Time::max());
  EXPECT_TRUE(r.lapsed(granted_at + 5s));
}

}  // namespace
}  // namespace wzp::nat
