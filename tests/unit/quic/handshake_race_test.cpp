// A dial races fresh handshakes while none has completed: when the first
// attempt's packets are lost, a later attempt becomes the connection, and
// the connection works as any other (datagrams both ways, a clean close).
#include <gtest/gtest.h>

#include <thread>

#include "libwzp/netsim/udp_proxy.hpp"
#include "tests/support/wait.hpp"
#include "tests/unit/quic/quic_test_util.hpp"

namespace wzp::quic::test {
namespace {

TEST(QuicHandshakeRace, ALaterAttemptTakesOverWhenTheFirstOnesPacketsAreLost) {
  std::string error;
  Recorder server_side;
  std::mutex mutex;
  std::shared_ptr<Connection> accepted;
  size_t accepted_count = 0;
  auto server = Endpoint::create(
      server_config(),
      [&](const std::shared_ptr<Connection> &c) {
        std::lock_guard lock(mutex);
        ++accepted_count;
        auto handlers = server_side.handlers();
        handlers.on_established = [&, weak = std::weak_ptr(c)] {
          std::lock_guard established_lock(mutex);
          accepted = weak.lock();
        };
        return handlers;
      },
      error);
  ASSERT_TRUE(server) << error;

  // Everything the client sends is lost until it has started three attempts.
  netsim::ProxyConfig proxy_config;
  proxy_config.upstream = "127.0.0.1:" + std::to_string(server->local_port());
  proxy_config.up.loss = 1.0;
  netsim::UdpProxy proxy(proxy_config);
  auto config = client_config(server->fingerprint());
  config.handshake_echo_copies = 0;  // the first attempt's own retransmission waits ~1 s
  config.handshake_race_interval = 100ms;
  config.handshake_attempts = 6;
  Recorder client_side;
  auto client = Endpoint::create(config, nullptr, error);
  ASSERT_TRUE(client) << error;
  auto connection =
      client->dial("127.0.0.1", proxy.listen_address().port(), client_side.handlers(), error);
  ASSERT_TRUE(connection) << error;
  ASSERT_TRUE(
      wzp::test::wait_until([&] { return connection->stats().handshake_attempts >= 3; }, 5s));
  EXPECT_EQ(connection->state(), Connection::State::kConnecting);
  EXPECT_EQ(proxy.counters().up.delivered, 0u);
  proxy.set_directions({}, {});

  ASSERT_TRUE(connection->wait_established(5s)) << connection->error();
  EXPECT_GE(connection->stats().handshake_attempts, 3u);
  ASSERT_TRUE(wzp::test::wait_until(
      [&] {
        std::lock_guard lock(mutex);
        return accepted != nullptr;
      },
      5s));
  {
    std::lock_guard lock(mutex);
    EXPECT_GE(accepted_count, 1u);
  }
  const std::string hello = "over the raced connection";
  ASSERT_TRUE(connection->send_datagram(bytes(hello)));
  ASSERT_TRUE(server_side.wait_datagrams(1));
  ASSERT_TRUE(accepted->send_datagram(bytes(hello)));
  ASSERT_TRUE(client_side.wait_datagrams(1));
  connection->close(0, "done");
  EXPECT_TRUE(connection->wait_closed(5s));
  EXPECT_EQ(connection->error(), "");
}

}  // namespace
}  // namespace wzp::quic::test
