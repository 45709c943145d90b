#include "libwzp/netsim/address.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>

namespace wzp::netsim {
namespace {

TEST(SocketAddress, ParsesAndPrintsV4V6AndLocalhost) {
  SocketAddress a;
  ASSERT_EQ(parse_address("127.0.0.1:5000", a), "");
  EXPECT_EQ(a.family(), AF_INET);
  EXPECT_EQ(a.port(), 5000);
  EXPECT_EQ(to_string(a), "127.0.0.1:5000");

  ASSERT_EQ(parse_address("[::1]:6000", a), "");
  EXPECT_EQ(a.family(), AF_INET6);
  EXPECT_EQ(to_string(a), "[::1]:6000");

  ASSERT_EQ(parse_address("localhost:7", a), "");
  EXPECT_EQ(to_string(a), "127.0.0.1:7");
}

TEST(SocketAddress, RefusesWhatIsNotANumericAddress) {
  SocketAddress a;
  for (const char *bad : {"", "127.0.0.1", "127.0.0.1:", ":5000", "127.0.0.1:99999", "127.0.0.1:-1",
                          "127.0.0.1:5x", "[::1]5000", "[::1", "example.com:80", "999.0.0.1:1"}) {
    EXPECT_NE(parse_address(bad, a), "") << bad;
  }
}

TEST(SocketAddress, EqualityComparesTheAddress) {
  SocketAddress a, b, c;
  parse_address("127.0.0.1:5000", a);
  parse_address("127.0.0.1:5000", b);
  parse_address("127.0.0.1:5001", c);
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a == c);
}

}  // namespace
}  // namespace wzp::netsim
