// A close right after a message still delivers the message, then the close:
// the daemon refuses a client with an error followed at once by a close.
#include <gtest/gtest.h>

#include "libwzp/netsim/udp_proxy.hpp"
#include "tests/unit/quic/quic_test_util.hpp"

namespace wzp::quic::test {
namespace {

struct Pair {
  explicit Pair(double loss = 0, std::chrono::milliseconds delay = 0ms) {
    std::string error;
    server = Endpoint::create(
        server_config(),
        [this](const std::shared_ptr<Connection> &c) {
          // The client races handshakes on a lossy path: the server side is
          // the attempt that got established, not the ones closed unfinished.
          auto handlers = server_side.handlers();
          auto established = std::make_shared<bool>(false);
          handlers.on_established = [this, established, weak = std::weak_ptr(c)] {
            *established = true;
            std::lock_guard lock(mutex);
            accepted = weak.lock();
            accepted_changed.notify_all();
          };
          handlers.on_closed = [established, record = handlers.on_closed](const std::string &e) {
            if (*established) record(e);
          };
          return handlers;
        },
        error);
    EXPECT_TRUE(server) << error;
    uint16_t port = server->local_port();
    if (loss > 0 || delay > 0ms) {
      netsim::ProxyConfig config;
      config.upstream = "127.0.0.1:" + std::to_string(port);
      for (auto *direction : {&config.up, &config.down}) {
        direction->loss = loss;
        direction->delay = delay;
      }
      config.up.seed = 11;
      config.down.seed = 12;
      proxy = std::make_unique<netsim::UdpProxy>(config);
      port = proxy->listen_address().port();
    }
    auto config = client_config(server->fingerprint());
    config.handshake_timeout = 20s;
    client = Endpoint::create(config, nullptr, error);
    EXPECT_TRUE(client) << error;
    connection = client->dial("127.0.0.1", port, client_side.handlers(), error);
    EXPECT_TRUE(connection) << error;
  }
  // The server's side once established (a client is established as its
  // handshake completes, a moment before the server's completes).
  std::shared_ptr<Connection> server_connection() {
    std::unique_lock lock(mutex);
    accepted_changed.wait_for(lock, 5s, [this] { return accepted != nullptr; });
    return accepted;
  }

  Recorder server_side, client_side;
  std::mutex mutex;
  std::condition_variable accepted_changed;
  std::shared_ptr<Connection> accepted;
  std::unique_ptr<Endpoint> server, client;
  std::unique_ptr<netsim::UdpProxy> proxy;
  std::shared_ptr<Connection> connection;
};

TEST(QuicCloseFlush, MessagesSentJustBeforeACloseArriveBeforeIt) {
  Pair pair;
  ASSERT_TRUE(pair.connection->wait_established(5s));
  auto accepted = pair.server_connection();
  ASSERT_TRUE(accepted);
  ASSERT_TRUE(accepted->wait_established(5s));
  // More than one stream window, so the close must also wait for credit.
  std::vector<std::string> sent{"error: refused"};
  for (char c = 'a'; c < 'g'; ++c) sent.emplace_back(60000, c);
  for (const auto &message : sent) ASSERT_TRUE(accepted->send_message(bytes(message)));
  accepted->close(1, "refused");
  EXPECT_FALSE(accepted->send_message(bytes("after the close")));

  ASSERT_TRUE(pair.client_side.wait_closed(5s));
  EXPECT_EQ(pair.client_side.messages(), sent);
  EXPECT_NE(pair.client_side.close_error().find("application error 1: refused"), std::string::npos)
      << pair.client_side.close_error();
}

TEST(QuicCloseFlush, LostMessagesAreRetransmittedBeforeTheClose) {
  Pair pair(0.3, 50ms);
  ASSERT_TRUE(pair.connection->wait_established(20s)) << pair.connection->error();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(pair.connection->send_message(bytes(std::to_string(i))));
  pair.connection->close(0, "bye");
  ASSERT_TRUE(pair.server_side.wait_closed(10s));
  auto received = pair.server_side.messages();
  ASSERT_EQ(received.size(), 20u);
  EXPECT_EQ(received.back(), "19");
  EXPECT_GT(pair.proxy->counters().up.lost, 0u);
}

}  // namespace
}  // namespace wzp::quic::test
