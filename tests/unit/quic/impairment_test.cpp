// The connection through libwzp/netsim's impairment proxy: a lossy, slow
// path keeps the connection up, and a path that goes dead ends it by idle
// timeout.
#include <gtest/gtest.h>

#include "libwzp/netsim/udp_proxy.hpp"
#include "tests/unit/quic/quic_test_util.hpp"

namespace wzp::quic::test {
namespace {

netsim::ProxyConfig proxy_to(uint16_t port, double loss, std::chrono::milliseconds delay) {
  netsim::ProxyConfig config;
  config.upstream = "127.0.0.1:" + std::to_string(port);
  for (auto *direction : {&config.up, &config.down}) {
    direction->loss = loss;
    direction->delay = delay;
  }
  config.up.seed = 1234;
  config.down.seed = 5678;
  return config;
}

// A server and a client connected through a proxy that loses 30 % each way.
class ThirtyPercentLoss : public ::testing::Test {
 protected:
  ~ThirtyPercentLoss() override { connection.reset(); }  // before its endpoint
  void connect(std::chrono::milliseconds one_way_delay) {
    std::string error;
    server_ = Endpoint::create(
        server_config(),
        [this](const std::shared_ptr<Connection> &) { return server_side.handlers(); }, error);
    ASSERT_TRUE(server_) << error;
    relay_ =
        std::make_unique<netsim::UdpProxy>(proxy_to(server_->local_port(), 0.30, one_way_delay));
    auto config = client_config(server_->fingerprint());
    config.handshake_timeout = 20s;
    config.max_queue_time = 1000ms;
    client_ = Endpoint::create(config, nullptr, error);
    ASSERT_TRUE(client_) << error;
    connection = client_->dial("127.0.0.1", relay_->listen_address().port(), {}, error);
    ASSERT_TRUE(connection) << error;
    ASSERT_TRUE(connection->wait_established(20s)) << connection->error();
  }

  Recorder server_side;
  std::shared_ptr<Connection> connection;
  netsim::UdpProxy &relay() { return *relay_; }

 private:
  std::unique_ptr<Endpoint> server_;
  std::unique_ptr<netsim::UdpProxy> relay_;
  std::unique_ptr<Endpoint> client_;
};

TEST_F(ThirtyPercentLoss, DatagramsKeepFlowingAt300msRtt) {
  ASSERT_NO_FATAL_FAILURE(connect(150ms));

  // Three seconds of 20 ms audio frames.
  constexpr int kFrames = 150;
  std::string frame(120, 'a');
  for (int i = 0; i < kFrames; ++i) {
    connection->send_datagram(bytes(frame));
    std::this_thread::sleep_for(20ms);
  }
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(connection->state(), Connection::State::kEstablished);
  size_t received = server_side.datagrams().size();
  // About 70 % should arrive; a generous floor still proves flow.
  EXPECT_GT(received, kFrames * 4 / 10) << received;
  EXPECT_LT(received, static_cast<size_t>(kFrames));
  auto stats = connection->stats();
  EXPECT_GT(stats.datagrams_lost, 0u);
  EXPECT_GT(stats.datagram_loss(), 0.1);
  EXPECT_GT(stats.path.smoothed_rtt_ms, 200.0);
  auto counters = relay().counters();
  EXPECT_GT(counters.up.lost + counters.down.lost, 0u);
}

// Signaling under loss: retransmitted stream data must be the bytes first
// sent, while later messages keep being queued and earlier ones acked.
TEST_F(ThirtyPercentLoss, MessagesArriveIntactAndInOrder) {
  ASSERT_NO_FATAL_FAILURE(connect(40ms));

  constexpr int kMessages = 200;
  std::vector<std::string> sent;
  for (int i = 0; i < kMessages; ++i) {
    // Sizes from a few bytes to several packets, each with its own bytes.
    std::string message(static_cast<size_t>(7 + (i * 97) % 3000), static_cast<char>('a' + i % 26));
    message.replace(0, std::to_string(i).size(), std::to_string(i));
    sent.push_back(message);
    ASSERT_TRUE(connection->send_message(bytes(message)));
    if (i % 10 == 0) std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(server_side.wait_messages(kMessages, 30s)) << server_side.messages().size();
  EXPECT_EQ(server_side.messages(), sent);
  EXPECT_EQ(connection->state(), Connection::State::kEstablished) << connection->error();
}

TEST(QuicImpaired, VanishedPeerEndsByIdleTimeout) {
  std::string error;
  auto server = Endpoint::create(server_config(), nullptr, error);
  ASSERT_TRUE(server) << error;
  netsim::UdpProxy relay(proxy_to(server->local_port(), 0.0, 0ms));
  auto config = client_config(server->fingerprint());
  config.idle_timeout = 600ms;
  auto client = Endpoint::create(config, nullptr, error);
  ASSERT_TRUE(client) << error;
  Recorder client_side;
  auto connection =
      client->dial("127.0.0.1", relay.listen_address().port(), client_side.handlers(), error);
  ASSERT_TRUE(connection) << error;
  ASSERT_TRUE(connection->wait_established(5s)) << connection->error();
  relay.stop();  // the path dies: nothing gets through either way
  ASSERT_TRUE(connection->wait_closed(5s));
  EXPECT_NE(connection->error().find("idle timeout"), std::string::npos) << connection->error();
  ASSERT_TRUE(client_side.wait_closed());
}

}  // namespace
}  // namespace wzp::quic::test
