#include "libwzp/nat/address.hpp"

#include <gtest/gtest.h>

namespace wzp::nat {
namespace {

AddressScope scope(const char *text) {
  auto ip = IpAddress::parse(text);
  EXPECT_TRUE(ip) << text;
  return ip ? scope_of(*ip) : AddressScope::kReserved;
}

TEST(NatAddress, ScopesFollowTheSpecialPurposeRegistries) {
  EXPECT_EQ(scope("0.0.0.0"), AddressScope::kUnspecified);
  EXPECT_EQ(scope("::"), AddressScope::kUnspecified);
  EXPECT_EQ(scope("127.0.0.1"), AddressScope::kLoopback);
  EXPECT_EQ(scope("127.255.0.9"), AddressScope::kLoopback);
  EXPECT_EQ(scope("::1"), AddressScope::kLoopback);
  EXPECT_EQ(scope("169.254.3.4"), AddressScope::kLinkLocal);
  EXPECT_EQ(scope("fe80::1"), AddressScope::kLinkLocal);
  EXPECT_EQ(scope("febf::1"), AddressScope::kLinkLocal);
  EXPECT_EQ(scope("224.0.0.251"), AddressScope::kMulticast);
  EXPECT_EQ(scope("239.255.255.250"), AddressScope::kMulticast);
  EXPECT_EQ(scope("ff02::1"), AddressScope::kMulticast);
  EXPECT_EQ(scope("255.255.255.255"), AddressScope::kBroadcast);
  EXPECT_EQ(scope("0.1.2.3"), AddressScope::kReserved);
  EXPECT_EQ(scope("240.0.0.1"), AddressScope::kReserved);
  EXPECT_EQ(scope("64:ff9b::1"), AddressScope::kReserved);
  EXPECT_EQ(scope("10.1.2.3"), AddressScope::kPrivate);
  EXPECT_EQ(scope("172.16.0.1"), AddressScope::kPrivate);
  EXPECT_EQ(scope("172.31.255.255"), AddressScope::kPrivate);
  EXPECT_EQ(scope("192.168.1.1"), AddressScope::kPrivate);
  EXPECT_EQ(scope("100.64.0.1"), AddressScope::kPrivate);
  EXPECT_EQ(scope("100.127.255.254"), AddressScope::kPrivate);
  EXPECT_EQ(scope("fd00::1"), AddressScope::kPrivate);
  EXPECT_EQ(scope("fc12::1"), AddressScope::kPrivate);
  // Just outside each private range.
  EXPECT_EQ(scope("172.15.255.255"), AddressScope::kGlobal);
  EXPECT_EQ(scope("172.32.0.1"), AddressScope::kGlobal);
  EXPECT_EQ(scope("100.128.0.1"), AddressScope::kGlobal);
  EXPECT_EQ(scope("11.15.0.1"), AddressScope::kGlobal);
  EXPECT_EQ(scope("203.0.113.7"), AddressScope::kGlobal);
  EXPECT_EQ(scope("2001:db8::7"), AddressScope::kGlobal);
}

TEST(NatAddress, ParsesNumericAddressesOnly) {
  auto a = TransportAddress::parse("203.0.113.7:4433");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->ip.v6);
  EXPECT_EQ(a->port, 4433);
  EXPECT_EQ(a->to_string(), "203.0.113.7:4433");
  auto b = TransportAddress::parse("[2001:db8:0:0::7]:1");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->ip.v6);
  EXPECT_EQ(b->to_string(), "[2001:db8::7]:1");

  for (const char *bad : {"",
                          ":",
                          "203.0.113.7",
                          "203.0.113.7:",
                          "203.0.113.7:0",
                          "203.0.113.7:65536",
                          "203.0.113.7:-1",
                          "203.0.113.7: 5",
                          " 203.0.113.7:5",
                          "example.org:5",
                          "localhost:5",
                          "2001:db8::7:5",
                          "[2001:db8::7]5",
                          "[fe80::1%eth0]:5",
                          "[203.0.113.7]:5",
                          "[::ffff:203.0.113.7]:5",
                          "203.0.113:5",
                          "203.0.113.7.1:5",
                          "0x7f.1:5",
                          "[]:5"}) {
    std::string why;
    EXPECT_FALSE(TransportAddress::parse(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
  EXPECT_FALSE(TransportAddress::parse(std::string_view("1.2.3.4\0:5", 10)));
}

TEST(NatAddress, MappedIpv4IsTheSameHostAsIpv4) {
  auto mapped = IpAddress::parse("::ffff:198.51.100.4");
  auto plain = IpAddress::parse("198.51.100.4");
  ASSERT_TRUE(mapped && plain);
  EXPECT_EQ(*mapped, *plain);
  EXPECT_EQ(IpAddress::v4_from(0xc6336404), *plain);
}

}  // namespace
}  // namespace wzp::nat
