#include "libwzp/base/host_port.hpp"

#include <gtest/gtest.h>

namespace wzp::base {
namespace {

TEST(HostPort, NamesAndIPv4) {
  auto a = parse_host_port("example.org:4433");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "example.org");
  EXPECT_EQ(a->port, 4433);
  auto b = parse_host_port("127.0.0.1:0");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "127.0.0.1");
  EXPECT_EQ(b->port, 0);
  auto c = parse_host_port("h:65535");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->port, 65535);
}

TEST(HostPort, IPv6InBracketsLosesThem) {
  auto a = parse_host_port("[::1]:4433");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 4433);
  auto b = parse_host_port("[fe80::1%eth0]:1");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "fe80::1%eth0");
}

TEST(HostPort, EmptyHostIsLeftToTheCaller) {
  auto a = parse_host_port(":4433");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "");
  EXPECT_EQ(a->port, 4433);
}

TEST(HostPort, RefusesWithAReason) {
  for (const char *bad : {"", "host", "host:", ":", "host:65536", "host:-1", "host:+1", "host:12x",
                          "host: 1", "::1:4433", "[::1]", "[::1]4433", "[::1", "[]:4433",
                          "[::1]:", "host:99999999999999999999"}) {
    std::string error;
    EXPECT_FALSE(parse_host_port(bad, &error)) << bad;
    EXPECT_NE(error.find(std::string("'") + bad + "'"), std::string::npos) << error;
  }
}

TEST(HostPort, FormatsWithBracketsForIPv6) {
  EXPECT_EQ(format_host_port("127.0.0.1", 5), "127.0.0.1:5");
  EXPECT_EQ(format_host_port("::1", 4433), "[::1]:4433");
  auto back = parse_host_port(format_host_port("fe80::2", 9));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->host, "fe80::2");
}

}  // namespace
}  // namespace wzp::base
