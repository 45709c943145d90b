// A Link over a connection someone else owns: sends go out on that
// connection, the owner's deliveries come out of receive(), the owner's
// close ends it, and dropping the link leaves the connection open.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "libwzp/quic/link.hpp"
#include "tests/support/wait.hpp"
#include "tests/unit/quic/quic_test_util.hpp"

namespace wzp::quic::test {
namespace {

// A loopback server that records what its first peer sends, and a client
// endpoint whose one connection feeds a Link through its handlers, as the
// signaling session does.
struct Pair {
  Pair() {
    std::string error;
    server = Endpoint::create(
        server_config(),
        [this](const std::shared_ptr<Connection> &c) {
          std::lock_guard lock(mutex);
          accepted = c;
          return server_side.handlers();
        },
        error);
    EXPECT_TRUE(server) << error;
    client = Endpoint::create(client_config(server->fingerprint()), nullptr, error);
    EXPECT_TRUE(client) << error;
    ConnectionHandlers handlers;
    handlers.on_datagram = [this](std::span<const uint8_t> d) {
      if (auto l = std::atomic_load(&link)) l->deliver(d);
    };
    handlers.on_closed = [this](const std::string &why) {
      if (auto l = std::atomic_load(&link)) l->closed(why);
    };
    connection = client->dial("127.0.0.1", server->local_port(), handlers, error);
    EXPECT_TRUE(connection) << error;
    std::atomic_store(&link, Link::over(connection));
  }
  // The endpoints' I/O threads call into `link`: stop them first.
  ~Pair() {
    client.reset();
    server.reset();
  }
  std::shared_ptr<Connection> peer() {
    std::lock_guard lock(mutex);
    return accepted;
  }

  Recorder server_side;
  std::mutex mutex;
  std::shared_ptr<Connection> accepted;
  std::unique_ptr<Endpoint> server, client;
  std::shared_ptr<Connection> connection;
  std::shared_ptr<Link> link;
};

TEST(QuicLinkOver, SendsAndReceivesOnTheOwnersConnection) {
  Pair pair;
  ASSERT_TRUE(pair.connection->wait_established(5s));
  EXPECT_TRUE(pair.link->borrowed());
  EXPECT_TRUE(pair.link->established());
  EXPECT_EQ(pair.link->local_port(), 0);
  EXPECT_EQ(pair.link->fingerprint(), "");

  const std::string hello = "media one way";
  ASSERT_TRUE(pair.link->send({reinterpret_cast<const uint8_t *>(hello.data()), hello.size()}));
  // Drain settles on our datagrams alone: the owner's traffic goes on.
  pair.link->drain(5s);
  EXPECT_EQ(pair.link->connection_stats().datagrams_sent, 1u);
  ASSERT_TRUE(pair.server_side.wait_datagrams(1));
  EXPECT_EQ(pair.server_side.datagrams()[0], hello);

  auto peer = pair.peer();
  ASSERT_TRUE(peer);
  const std::string back = "and the other";
  ASSERT_TRUE(peer->send_datagram({reinterpret_cast<const uint8_t *>(back.data()), back.size()}));
  std::vector<uint8_t> out(1500);
  size_t size = 0;
  ASSERT_EQ(pair.link->receive(out, size, 5s), Link::Receive::kData);
  EXPECT_EQ(std::string(out.begin(), out.begin() + static_cast<long>(size)), back);
  EXPECT_EQ(pair.link->connection_stats().datagrams_sent, 1u);
}

TEST(QuicLinkOver, ABatchGoesOutInOrderAndCountsWhatCannotGo) {
  Pair pair;
  ASSERT_TRUE(pair.connection->wait_established(5s));
  const std::string frame = "frame", repair1 = "repair 1", repair2 = "repair 2";
  const std::vector<uint8_t> too_big(4000, 0x55);
  auto span = [](const std::string &s) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t *>(s.data()), s.size());
  };
  const std::span<const uint8_t> batch[] = {span(frame), too_big, span(repair1), span(repair2)};
  EXPECT_EQ(pair.link->send(std::span<const std::span<const uint8_t>>(batch)), 3u);
  EXPECT_EQ(pair.link->dropped_unsent(), 1u);
  ASSERT_TRUE(pair.server_side.wait_datagrams(3));
  const auto received = pair.server_side.datagrams();
  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[0], frame);
  EXPECT_EQ(received[1], repair1);
  EXPECT_EQ(received[2], repair2);
  EXPECT_EQ(pair.link->connection_stats().datagrams_queued, 3u);
}

TEST(QuicLinkOver, DroppingTheLinkLeavesTheConnectionOpen) {
  Pair pair;
  ASSERT_TRUE(pair.connection->wait_established(5s));
  std::atomic_store(&pair.link, std::shared_ptr<Link>());
  EXPECT_EQ(pair.connection->state(), Connection::State::kEstablished);
  const std::string still = "still here";
  ASSERT_TRUE(pair.connection->send_datagram(
      {reinterpret_cast<const uint8_t *>(still.data()), still.size()}));
  ASSERT_TRUE(pair.server_side.wait_datagrams(1));
}

TEST(QuicLinkOver, ThePeersCloseEndsReceiving) {
  Pair pair;
  ASSERT_TRUE(pair.connection->wait_established(5s));
  auto peer = pair.peer();
  ASSERT_TRUE(peer);
  peer->close(0, "bye");
  std::vector<uint8_t> out(1500);
  size_t size = 0;
  Link::Receive result = Link::Receive::kTimeout;
  for (int i = 0; i < 50 && result == Link::Receive::kTimeout; ++i) {
    result = pair.link->receive(out, size, 100ms);
  }
  EXPECT_EQ(result, Link::Receive::kEnded);
  EXPECT_EQ(pair.link->error(), "");
}

TEST(QuicLinkOver, OwnerDeliveriesBeyondTheRingDropTheOldest) {
  auto link = Link::over(nullptr);
  uint8_t byte = 0;
  for (int i = 0; i < 600; ++i, ++byte) link->deliver({&byte, 1});
  EXPECT_EQ(link->dropped_received(), 600u - 512u);
  std::vector<uint8_t> out(1500);
  size_t size = 0;
  ASSERT_EQ(link->receive(out, size, 0ms), Link::Receive::kData);
  EXPECT_EQ(out[0], static_cast<uint8_t>(600 - 512));
  EXPECT_FALSE(link->send({&byte, 1}));  // no connection: counted, not crashed
  EXPECT_EQ(link->dropped_unsent(), 1u);
}

// Room key datagrams reach only a link a room member accepts them on; a
// call's link counts them and keeps nothing (anyone in a resumed call's
// meeting room can send them).
TEST(QuicLinkOver, KeyDatagramsAreKeptOnlyWhereAccepted) {
  std::vector<uint8_t> message(wire::kKeyMessageSize, 0);
  std::copy_n("WZR\x01", 4, message.begin());
  std::vector<uint8_t> datagram(wire::kKeyDatagramSize);
  ASSERT_EQ(wire::write_key_datagram(message, datagram), wire::kKeyDatagramSize);
  auto link = Link::over(nullptr);
  for (int i = 0; i < 100; ++i) link->deliver(datagram);
  EXPECT_EQ(link->key_datagrams_ignored(), 100u);
  EXPECT_TRUE(link->take_key_datagrams().empty());
  EXPECT_EQ(link->dropped_received(), 0u);
  link->accept_key_datagrams();
  link->deliver(datagram);
  auto taken = link->take_key_datagrams();
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0], message);
  EXPECT_EQ(link->key_datagrams_ignored(), 100u);
}

// A second connection beside the borrowed one (a direct path beside the
// relay): both carry each datagram, then the second alone; a second that
// is not established leaves the first to carry them.
TEST(QuicLinkOver, ASecondConnectionCarriesCopiesThenEverything) {
  Pair pair;
  ASSERT_TRUE(pair.connection->wait_established(5s));
  std::string error;
  auto second = pair.client->dial("127.0.0.1", pair.server->local_port(), {}, error,
                                  "00" + std::string(62, 'f'));
  ASSERT_TRUE(second) << error;
  // A pin of its own that the server does not match: the dial fails, and
  // the link keeps sending on the first connection alone.
  ASSERT_TRUE(second->wait_closed(5s));
  EXPECT_NE(second->error().find("does not match the pinned fingerprint"), std::string::npos)
      << second->error();
  pair.link->set_second(second, true);
  ASSERT_TRUE(pair.link->send(bytes("first alone")));
  ASSERT_TRUE(pair.server_side.wait_datagrams(1));

  second = pair.client->dial("127.0.0.1", pair.server->local_port(), {}, error,
                             pair.server->fingerprint());
  ASSERT_TRUE(second) << error;
  ASSERT_TRUE(second->wait_established(5s));
  pair.link->set_second(second, false);
  ASSERT_TRUE(pair.link->send(bytes("both")));
  ASSERT_TRUE(pair.server_side.wait_datagrams(3));
  pair.link->set_second(second, true);
  ASSERT_TRUE(pair.link->send(bytes("second alone")));
  ASSERT_TRUE(pair.server_side.wait_datagrams(4));
  EXPECT_EQ(pair.connection->stats().datagrams_queued, 2u);
  EXPECT_EQ(second->stats().datagrams_queued, 2u);
  pair.link->set_second(nullptr, false);
  ASSERT_TRUE(pair.link->send(bytes("first again")));
  ASSERT_TRUE(pair.server_side.wait_datagrams(5));
  EXPECT_EQ(pair.connection->stats().datagrams_queued, 3u);
}

// A punch is not QUIC: the receiving endpoint counts it as garbage.
TEST(QuicLinkOver, APunchIsCountedAsGarbage) {
  Pair pair;
  ASSERT_TRUE(pair.connection->wait_established(5s));
  EXPECT_TRUE(pair.client->send_punch("127.0.0.1", pair.server->local_port()));
  EXPECT_FALSE(pair.client->send_punch("::1", pair.server->local_port()));        // another family
  EXPECT_FALSE(pair.client->send_punch("localhost", pair.server->local_port()));  // a name
  EXPECT_TRUE(wzp::test::wait_until([&] { return pair.server->stats().dropped_garbage == 1; }, 5s));
  EXPECT_TRUE(pair.connection->state() == Connection::State::kEstablished);
}

}  // namespace
}  // namespace wzp::quic::test
