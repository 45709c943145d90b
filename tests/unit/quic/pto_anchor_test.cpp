// Each datagram packet carries an empty STREAM frame so ngtcp2 arms its
// probe timeout (see Connection::write_pto_anchor): the connection counts
// the anchors it wrote, one per datagram packet. The datagram size limit
// leaves room for it: a datagram of the advertised size still arrives, in
// the same packet as its anchor, after signaling has pushed the stream
// offset to a 4-byte varint. Prints the UDP bytes each small datagram costs.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/support/wait.hpp"
#include "tests/unit/quic/proxied_pair.hpp"

namespace wzp::quic::test {
namespace {

TEST(QuicPtoAnchor, FullSizeDatagramFitsBesideTheAnchorAfterSignaling) {
  ProxiedPair pair;
  auto &connection = pair.connection;
  auto &server_side = pair.server_side;
  auto &proxy = *pair.proxy;
  ASSERT_TRUE(connection) << "no connection";
  ASSERT_TRUE(connection->wait_established(5s)) << connection->error();

  // 20 KiB of signaling: stream offsets from here on need 4 bytes.
  ASSERT_TRUE(connection->send_message(bytes(std::string(20000, 's'))));
  ASSERT_TRUE(server_side.wait_messages(1));

  constexpr size_t kSmall = 100;
  constexpr size_t kSmallSize = 160;
  const auto stats_before = connection->stats();
  auto before = proxy.counters().up;
  for (size_t i = 0; i < kSmall; ++i) {
    ASSERT_TRUE(connection->send_datagram(bytes(std::string(kSmallSize, 'd'))));
    std::this_thread::sleep_for(2ms);  // spacing, like media; no event is awaited
  }
  ASSERT_TRUE(server_side.wait_datagrams(kSmall));
  auto after = proxy.counters().up;
  std::fprintf(stderr, "%zu datagrams of %zu bytes: %llu UDP packets, %.1f bytes each\n", kSmall,
               kSmallSize, static_cast<unsigned long long>(after.packets_in - before.packets_in),
               static_cast<double>(after.bytes_in - before.bytes_in) /
                   static_cast<double>(after.packets_in - before.packets_in));

  size_t limit = connection->stats().path.max_datagram_payload;
  std::fprintf(stderr, "datagram limit %zu bytes\n", limit);
  ASSERT_GT(limit, 1000u);
  constexpr size_t kFull = 5;
  for (size_t i = 0; i < kFull; ++i)
    ASSERT_TRUE(connection->send_datagram(std::vector<uint8_t>(limit, 7)));
  ASSERT_TRUE(server_side.wait_datagrams(kSmall + kFull));
  EXPECT_EQ(server_side.datagrams().back().size(), limit);

  // The I/O thread publishes its counters after each write; the write that
  // sends this message starts after the datagrams' writes have published.
  ASSERT_TRUE(connection->send_message(bytes("fence")));
  ASSERT_TRUE(server_side.wait_messages(2));
  const auto stats_after = connection->stats();
  const uint64_t datagrams = stats_after.datagrams_sent - stats_before.datagrams_sent;
  const uint64_t anchors = stats_after.pto_anchors - stats_before.pto_anchors;
  const uint64_t probes = stats_after.signaling_probes_sent - stats_before.signaling_probes_sent;
  const uint64_t unanchored = stats_after.unanchored_datagrams - stats_before.unanchored_datagrams;
  std::fprintf(stderr,
               "%llu datagrams sent, %llu anchors, %llu signaling probes, %llu datagrams without "
               "room for an anchor\n",
               static_cast<unsigned long long>(datagrams), static_cast<unsigned long long>(anchors),
               static_cast<unsigned long long>(probes),
               static_cast<unsigned long long>(unanchored));
  EXPECT_EQ(datagrams, kSmall + kFull);
  EXPECT_EQ(stats_after.datagrams_dropped_oversized, 0u);
  // Packing is off, so each datagram has a packet and each packet an anchor;
  // a signaling probe carries one too.
  EXPECT_GE(anchors, datagrams);
  EXPECT_LE(anchors, datagrams + probes);
  // A full-size datagram that did not fit beside its anchor would leave in
  // a packet of its own, after an anchor-only one (checked: with no room
  // reserved for the anchor all five did).
  EXPECT_EQ(unanchored, 0u);
}

// A connection that has sent nothing on its stream, whose first datagrams
// (a receiver's keyframe requests, say) go into a blackout. Before the fix
// each of their anchors was an empty STREAM frame at offset 0, which ngtcp2
// 0.12.1 retransmits when lost. Once the path is back, the receiver
// acknowledges the peer's media, every fourth acknowledgement with a PING
// in it, and the peer's acknowledgement of such a packet (no STREAM frame
// in it) declared the blackout's packets lost at once: the second anchor
// landed in the stream's retransmission queue under the offset of the first
// and an assertion in conn_recv_ack aborted the process (docs/quic.md,
// "Lost anchors at offset 0").
TEST(QuicPtoAnchor, FirstAnchorsLostInABlackoutDoNotAbort) {
  ProxiedPair pair;
  auto &connection = pair.connection;
  auto &proxy = *pair.proxy;
  ASSERT_TRUE(connection) << "no connection";
  ASSERT_TRUE(connection->wait_established(5s)) << connection->error();
  auto server = pair.server_connection();
  ASSERT_TRUE(server) << "the server did not establish";

  const netsim::DirectionConfig blackout{.loss = 1.0};
  proxy.set_directions(blackout, blackout);
  const uint64_t lost_before = proxy.counters().up.lost;
  constexpr size_t kIntoBlackout = 10;
  for (size_t i = 0; i < kIntoBlackout; ++i)
    ASSERT_TRUE(connection->send_datagram(bytes("keyframe request")));
  ASSERT_TRUE(wzp::test::wait_until(
      [&] { return proxy.counters().up.lost - lost_before >= kIntoBlackout; }, 5s));

  // The path is back and the peer's media arrives, one datagram at a time.
  proxy.set_directions({}, {});
  // Enough acknowledgements for ngtcp2's PING in every fourth one even when
  // a loaded receiver acknowledges two datagrams in one packet.
  constexpr size_t kMedia = 40;
  for (size_t i = 0; i < kMedia; ++i) {
    ASSERT_TRUE(server->send_datagram(bytes("media")));
    ASSERT_TRUE(pair.client_side.wait_datagrams(i + 1));
  }
  ASSERT_TRUE(wzp::test::wait_until(
      [&] { return connection->stats().datagrams_lost >= kIntoBlackout; }, 20s))
      << connection->stats().datagrams_lost << " datagrams found lost";
  EXPECT_EQ(connection->state(), Connection::State::kEstablished) << connection->error();
  ASSERT_TRUE(connection->send_message(bytes("still here")));
  ASSERT_TRUE(pair.server_side.wait_messages(1));
  EXPECT_EQ(pair.server_side.messages(), std::vector<std::string>{"still here"});
}

}  // namespace
}  // namespace wzp::quic::test
