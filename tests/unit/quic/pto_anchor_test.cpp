// Each datagram packet carries an empty STREAM frame so ngtcp2 arms its
// probe timeout (see Connection::write_pto_anchor). The datagram size limit
// leaves room for it: a datagram of the advertised size still arrives after
// signaling has pushed the stream offset to a 4-byte varint. Prints the UDP
// bytes each small datagram costs.
#include <gtest/gtest.h>

#include <cstdio>

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
  auto before = proxy.counters().up;
  for (size_t i = 0; i < kSmall; ++i) {
    ASSERT_TRUE(connection->send_datagram(bytes(std::string(kSmallSize, 'd'))));
    std::this_thread::sleep_for(2ms);
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
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(connection->send_datagram(std::vector<uint8_t>(limit, 7)));
  ASSERT_TRUE(server_side.wait_datagrams(kSmall + 5));
  EXPECT_EQ(server_side.datagrams().back().size(), limit);
  EXPECT_EQ(connection->stats().datagrams_dropped_oversized, 0u);
}

}  // namespace
}  // namespace wzp::quic::test
