// A dial races fresh handshakes until one is confirmed: when the first
// attempt's packets are lost, a later attempt becomes the connection, and
// the connection works as any other (datagrams both ways, a clean close);
// when the first attempt completes but the server never gets its Finished,
// the race goes on and a later attempt still connects.
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
        handlers.on_active = [&, weak = std::weak_ptr(c)] {
          std::lock_guard active_lock(mutex);
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
  const std::string hello = "over the raced connection";
  ASSERT_TRUE(connection->send_datagram(bytes(hello)));
  ASSERT_TRUE(server_side.wait_datagrams(1));
  // The server side the client kept is the one its datagram came on.
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
  ASSERT_TRUE(accepted->send_datagram(bytes(hello)));
  ASSERT_TRUE(client_side.wait_datagrams(1));
  connection->close(0, "done");
  EXPECT_TRUE(connection->wait_closed(5s));
  EXPECT_EQ(connection->error(), "");
}

TEST(QuicHandshakeRace, ADialCompleteButNeverConfirmedRacesOn) {
  // The server gives up a handshake it has not finished within 500 ms.
  std::string error;
  Recorder server_side;
  std::mutex mutex;
  std::shared_ptr<Connection> kept;
  size_t server_closes = 0;
  auto config = server_config();
  config.handshake_timeout = 500ms;
  auto server = Endpoint::create(
      config,
      [&](const std::shared_ptr<Connection> &c) {
        auto handlers = server_side.handlers();
        handlers.on_active = [&, weak = std::weak_ptr(c)] {
          std::lock_guard lock(mutex);
          kept = weak.lock();
        };
        handlers.on_closed = [&](const std::string &) {
          std::lock_guard lock(mutex);
          ++server_closes;
        };
        return handlers;
      },
      error);
  ASSERT_TRUE(server) << error;

  // The first Initial gets through; everything after it is lost until the
  // server has dropped that attempt, whose Finished it thus never got.
  netsim::ProxyConfig proxy_config;
  proxy_config.upstream = "127.0.0.1:" + std::to_string(server->local_port());
  netsim::DirectionConfig slow_down;
  slow_down.delay = 300ms;
  proxy_config.down = slow_down;
  netsim::UdpProxy proxy(proxy_config);
  auto client_settings = client_config(server->fingerprint());
  client_settings.handshake_race_interval = 100ms;
  client_settings.handshake_timeout = 10s;
  Recorder client_side;
  auto client = Endpoint::create(client_settings, nullptr, error);
  ASSERT_TRUE(client) << error;
  auto connection =
      client->dial("127.0.0.1", proxy.listen_address().port(), client_side.handlers(), error);
  ASSERT_TRUE(connection) << error;
  ASSERT_TRUE(wzp::test::wait_until([&] { return proxy.counters().up.delivered >= 1; }, 5s));
  netsim::DirectionConfig blocked;
  blocked.loss = 1.0;
  proxy.set_directions(blocked, slow_down);
  ASSERT_TRUE(wzp::test::wait_until(
      [&] {
        std::lock_guard lock(mutex);
        return server_closes >= 1;
      },
      5s));
  EXPECT_EQ(connection->state(), Connection::State::kConnecting);
  proxy.set_directions({}, slow_down);

  ASSERT_TRUE(connection->wait_established(8s)) << connection->error();
  EXPECT_GE(connection->stats().handshake_attempts, 2u);
  const std::string hello = "after the first attempt was lost";
  ASSERT_TRUE(connection->send_datagram(bytes(hello)));
  ASSERT_TRUE(server_side.wait_datagrams(1));
  ASSERT_TRUE(wzp::test::wait_until(
      [&] {
        std::lock_guard lock(mutex);
        return kept != nullptr;
      },
      5s));
  ASSERT_TRUE(kept->send_datagram(bytes(hello)));
  ASSERT_TRUE(client_side.wait_datagrams(1));
}

}  // namespace
}  // namespace wzp::quic::test
