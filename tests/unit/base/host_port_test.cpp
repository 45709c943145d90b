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

// Who may read the daemon's /presence (signald/http_api.cpp).
TEST(HostPort, LoopbackAddresses) {
  EXPECT_TRUE(is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(is_loopback_address("127.0.0.2"));  // all of 127/8
  EXPECT_TRUE(is_loopback_address("127.255.255.254"));
  EXPECT_TRUE(is_loopback_address("::1"));
  EXPECT_TRUE(is_loopback_address("0:0:0:0:0:0:0:1"));
  EXPECT_TRUE(is_loopback_address("::ffff:127.0.0.1"));  // IPv4 on a dual-stack socket
  EXPECT_TRUE(is_loopback_address("::ffff:7f00:2"));

  EXPECT_FALSE(is_loopback_address("10.0.0.1"));
  EXPECT_FALSE(is_loopback_address("128.0.0.1"));
  EXPECT_FALSE(is_loopback_address("126.255.255.255"));
  EXPECT_FALSE(is_loopback_address("0.0.0.0"));
  EXPECT_FALSE(is_loopback_address("::ffff:10.0.0.1"));
  EXPECT_FALSE(is_loopback_address("::"));
  EXPECT_FALSE(is_loopback_address("::2"));
  EXPECT_FALSE(is_loopback_address("::127.0.0.1"));  // IPv4-compatible: deprecated, not mapped
  EXPECT_FALSE(is_loopback_address("64:ff9b::127.0.0.1"));  // NAT64: another host
  EXPECT_FALSE(is_loopback_address("fe80::1"));

  EXPECT_FALSE(is_loopback_address(""));
  EXPECT_FALSE(is_loopback_address("localhost"));  // names are not resolved
  EXPECT_FALSE(is_loopback_address("127.0.0.1garbage"));
  EXPECT_FALSE(is_loopback_address("127.1"));  // inet_aton would take it; inet_pton does not
  EXPECT_FALSE(is_loopback_address(std::string_view("127.0.0.1\0x", 11)));
  EXPECT_FALSE(is_loopback_address("::1%lo"));
  EXPECT_FALSE(is_loopback_address("[::1]"));
}

}  // namespace
}  // namespace wzp::base
