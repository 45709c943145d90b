// Probes for unacknowledged signaling: decided from explicit times, without
// a clock or a socket.
#include "libwzp/quic/tail_probe.hpp"

#include <gtest/gtest.h>

#include "tests/unit/quic/units.hpp"

namespace wzp::quic {
namespace {

TEST(TailProbe, DueOneIntervalAfterTheLastAckElicitingPacket) {
  TailProbe probe(200 * kMs);
  probe.sent(1000 * kMs);
  EXPECT_EQ(probe.due_ns(true), 1200 * kMs);
  // A probe is itself ack-eliciting: the next one follows an interval later,
  // not an interval that grows.
  probe.sent(1200 * kMs);
  EXPECT_EQ(probe.due_ns(true), 1400 * kMs);
  probe.sent(1400 * kMs);
  EXPECT_EQ(probe.due_ns(true), 1600 * kMs);
}

TEST(TailProbe, NothingUnacknowledgedNeedsNoProbe) {
  TailProbe probe(200 * kMs);
  probe.sent(1000 * kMs);
  EXPECT_EQ(probe.due_ns(false), UINT64_MAX);
}

TEST(TailProbe, OtherTrafficPutsTheProbeOff) {
  TailProbe probe(200 * kMs);
  probe.sent(1000 * kMs);
  probe.sent(1150 * kMs);  // media or new signaling: acknowledged like a probe
  EXPECT_EQ(probe.due_ns(true), 1350 * kMs);
}

TEST(TailProbe, ZeroIntervalNeverProbes) {
  TailProbe probe(0);
  probe.sent(1000 * kMs);
  EXPECT_EQ(probe.due_ns(true), UINT64_MAX);
}

}  // namespace
}  // namespace wzp::quic
