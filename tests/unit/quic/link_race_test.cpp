// A server Link and a racing client: the server may adopt an attempt the
// client then closes, unused, for the one it kept. The call goes on with
// the kept one instead of ending.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "libwzp/quic/link.hpp"
#include "tests/unit/quic/quic_test_util.hpp"

namespace wzp::quic::test {
namespace {

TEST(QuicLinkRace, AnAdoptedAttemptTheClientDropsUnusedGivesWayToTheOneItKept) {
  std::string error;
  LinkConfig config;
  config.server = true;
  config.bind_address = "127.0.0.1";
  auto link = Link::create(config, error);
  ASSERT_TRUE(link) << error;
  auto client = Endpoint::create(client_config(link->fingerprint()), nullptr, error);
  ASSERT_TRUE(client) << error;
  // Two handshakes, as a racing dial makes them: the first one completed
  // is the server's while nothing was sent on either.
  Recorder dropped_side, kept_side;
  auto dropped = client->dial("127.0.0.1", link->local_port(), dropped_side.handlers(), error);
  ASSERT_TRUE(dropped && dropped->wait_established(5s)) << error;
  auto kept = client->dial("127.0.0.1", link->local_port(), kept_side.handlers(), error);
  ASSERT_TRUE(kept && kept->wait_established(5s)) << error;
  ASSERT_TRUE(link->established());

  dropped->close(0, "handshake raced");
  ASSERT_TRUE(dropped->wait_closed(5s));
  // Its close reaches the server well within the second; the link waits on.
  std::array<uint8_t, 2048> out{};
  size_t size = 0;
  EXPECT_EQ(link->receive(out, size, 1s), Link::Receive::kTimeout);
  const std::string hello = "on the kept attempt";
  ASSERT_TRUE(kept->send_datagram(bytes(hello)));
  ASSERT_EQ(link->receive(out, size, 5s), Link::Receive::kData);
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(out.data()), size), hello);
  // The kept one is the call's now: a clean close of it ends the link.
  kept->close(0, "done");
  ASSERT_TRUE(kept->wait_closed(5s));
  Link::Receive end = Link::Receive::kTimeout;
  for (int i = 0; i < 50 && end == Link::Receive::kTimeout; ++i) {
    end = link->receive(out, size, 100ms);
  }
  EXPECT_EQ(end, Link::Receive::kEnded);
}

}  // namespace
}  // namespace wzp::quic::test
