// Path MTU discovery can be turned off (EndpointConfig::path_mtu_discovery):
// media links do, because its probes of up to 1452 bytes queue a call's
// first frames on a slow link. Two connections start side by side on
// loopback; once the probing one has raised its packet size, the other has
// had the same time to probe and must still send at most 1200 bytes.
#include <gtest/gtest.h>

#include "tests/support/wait.hpp"
#include "tests/unit/quic/quic_test_util.hpp"

namespace wzp::quic::test {
namespace {

struct LoopbackPair {
  explicit LoopbackPair(bool discovery) {
    std::string error;
    auto server_settings = server_config();
    server_settings.path_mtu_discovery = discovery;
    server = Endpoint::create(
        server_settings, [this](auto &) { return server_side.handlers(); }, error);
    EXPECT_TRUE(server) << error;
    if (!server) return;
    auto client_settings = client_config(server->fingerprint());
    client_settings.path_mtu_discovery = discovery;
    client = Endpoint::create(client_settings, nullptr, error);
    EXPECT_TRUE(client) << error;
    if (!client) return;
    connection = client->dial("127.0.0.1", server->local_port(), client_side.handlers(), error);
    EXPECT_TRUE(connection) << error;
  }
  size_t max_udp_payload() const { return connection->stats().path.max_udp_payload; }

  Recorder server_side, client_side;
  std::unique_ptr<Endpoint> server, client;
  std::shared_ptr<Connection> connection;
};

TEST(QuicPathMtu, WithoutDiscoveryPacketsStayAt1200Bytes) {
  LoopbackPair probing(true), fixed(false);
  ASSERT_TRUE(probing.connection && fixed.connection);
  ASSERT_TRUE(probing.connection->wait_established(5s)) << probing.connection->error();
  ASSERT_TRUE(fixed.connection->wait_established(5s)) << fixed.connection->error();
  // Traffic both ways, so both connections run their timers and write.
  for (auto *pair : {&probing, &fixed}) {
    ASSERT_TRUE(pair->connection->send_datagram(bytes("hello")));
    ASSERT_TRUE(pair->server_side.wait_datagrams(1));
  }
  ASSERT_TRUE(wzp::test::wait_until([&] { return probing.max_udp_payload() > 1200; }, 5s))
      << "discovery never raised the packet size: " << probing.max_udp_payload();
  EXPECT_EQ(fixed.max_udp_payload(), 1200u);
  EXPECT_LT(fixed.connection->stats().path.max_datagram_payload, 1200u);
}

}  // namespace
}  // namespace wzp::quic::test
