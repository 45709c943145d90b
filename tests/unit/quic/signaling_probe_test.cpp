// A message sent into a blackout: every packet from the client is lost for
// 3 s, then the path is clean. The client probes at a fixed interval while
// the message is unacknowledged (EndpointConfig::signaling_probe_interval),
// so the first probe through brings an acknowledgement that shows the
// message missing, and it is retransmitted at once. Without probes the next
// try waits for ngtcp2's probe timeout, doubled with each loss: where that
// falls decides, anywhere from at once to seconds after the path clears, so
// the probe count is what tells the two apart.
#include <gtest/gtest.h>

#include <cstdio>
#include <thread>

#include "tests/unit/quic/proxied_pair.hpp"

namespace wzp::quic::test {
namespace {

using Clock = std::chrono::steady_clock;

TEST(QuicSignalingProbe, AMessageLostInABlackoutArrivesSoonAfterThePathClears) {
  const netsim::DirectionConfig clean{.delay = netsim::Micros(20'000)};
  netsim::DirectionConfig blackout = clean;
  blackout.loss = 1.0;
  ProxiedPair pair(clean, clean);
  auto &connection = pair.connection;
  auto &server_side = pair.server_side;
  ASSERT_TRUE(connection) << "no connection";
  ASSERT_TRUE(connection->wait_established(5s)) << connection->error();
  ASSERT_TRUE(connection->send_message(bytes("before")));
  ASSERT_TRUE(server_side.wait_messages(1));

  pair.proxy->set_directions(blackout, clean);
  auto probes_before = connection->stats().signaling_probes_sent;
  ASSERT_TRUE(connection->send_message(bytes("into the blackout")));
  std::this_thread::sleep_for(3s);  // the impairment's length, not a wait for an event
  auto probes_during = connection->stats().signaling_probes_sent - probes_before;
  pair.proxy->set_directions(clean, clean);
  auto cleared = Clock::now();
  ASSERT_TRUE(server_side.wait_messages(2, 10s));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - cleared);
  std::fprintf(stderr, "%llu probes in the 3 s blackout; the message arrived %lld ms after it\n",
               static_cast<unsigned long long>(probes_during),
               static_cast<long long>(took.count()));
  EXPECT_EQ(server_side.messages().back(), "into the blackout");
  // One probe per 100 ms interval, not one per doubled probe timeout.
  EXPECT_GE(probes_during, 20u);
  // A probe interval, a round trip and a retransmission's trip, with room
  // for a loaded machine.
  EXPECT_LT(took, 1500ms);
}

}  // namespace
}  // namespace wzp::quic::test
