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

#include "libwzp/netsim/udp_proxy.hpp"
#include "tests/unit/quic/quic_test_util.hpp"

namespace wzp::quic::test {
namespace {

using Clock = std::chrono::steady_clock;

TEST(QuicSignalingProbe, AMessageLostInABlackoutArrivesSoonAfterThePathClears) {
  Recorder server_side;
  std::string error;
  auto server = Endpoint::create(
      server_config(), [&](const std::shared_ptr<Connection> &) { return server_side.handlers(); },
      error);
  ASSERT_TRUE(server) << error;
  const netsim::DirectionConfig clean{.delay = netsim::Micros(20'000)};
  netsim::DirectionConfig blackout = clean;
  blackout.loss = 1.0;
  netsim::ProxyConfig proxy_config;
  proxy_config.upstream = "127.0.0.1:" + std::to_string(server->local_port());
  proxy_config.up = proxy_config.down = clean;
  netsim::UdpProxy proxy(proxy_config);
  auto client = Endpoint::create(client_config(server->fingerprint()), nullptr, error);
  ASSERT_TRUE(client) << error;
  auto connection = client->dial("127.0.0.1", proxy.listen_address().port(), {}, error);
  ASSERT_TRUE(connection) << error;
  ASSERT_TRUE(connection->wait_established(5s)) << connection->error();
  ASSERT_TRUE(connection->send_message(bytes("before")));
  ASSERT_TRUE(server_side.wait_messages(1));

  proxy.set_directions(blackout, clean);
  auto probes_before = connection->stats().signaling_probes_sent;
  ASSERT_TRUE(connection->send_message(bytes("into the blackout")));
  std::this_thread::sleep_for(3s);  // the impairment's length, not a wait for an event
  auto probes_during = connection->stats().signaling_probes_sent - probes_before;
  proxy.set_directions(clean, clean);
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
