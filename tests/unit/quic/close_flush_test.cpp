// A close right after a message still delivers the message, then the close:
// the daemon refuses a client with an error followed at once by a close.
#include <gtest/gtest.h>

#include "tests/unit/quic/proxied_pair.hpp"

namespace wzp::quic::test {
namespace {

// `loss` and `delay` each way, seeded apart.
ProxiedPair lossy_pair(double loss, std::chrono::milliseconds delay) {
  netsim::DirectionConfig up{.loss = loss, .delay = delay, .seed = 11};
  netsim::DirectionConfig down = up;
  down.seed = 12;
  return ProxiedPair(up, down);
}

TEST(QuicCloseFlush, MessagesSentJustBeforeACloseArriveBeforeIt) {
  ProxiedPair pair;
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
  ProxiedPair pair(lossy_pair(0.3, 50ms));
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
