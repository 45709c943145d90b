#include "libwzp/nat/pcp.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace wzp::nat::pcp {
namespace {

MapRequest request() {
  MapRequest r;
  r.client = *IpAddress::parse("10.15.1.10");
  r.internal_port = 40000;
  r.lifetime = 3600;
  for (size_t i = 0; i < r.nonce.size(); ++i) r.nonce[i] = static_cast<uint8_t>(0xa0 + i);
  return r;
}

// What a gateway answers to request(): external 11.15.0.11:40000.
std::vector<uint8_t> success() {
  auto bytes = encode_map_request(request());
  std::vector<uint8_t> answer(bytes.begin(), bytes.end());
  answer[1] = 0x81;
  answer[3] = 0;                                                       // SUCCESS
  answer[8] = 0, answer[9] = 0, answer[10] = 0x12, answer[11] = 0x34;  // epoch
  for (size_t i = 12; i < 24; ++i) answer[i] = 0;
  const uint8_t external[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 11, 15, 0, 11};
  std::copy(std::begin(external), std::end(external), answer.begin() + 44);
  return answer;
}

TEST(NatPcp, EncodesAMapRequestByRfc6887) {
  auto bytes = encode_map_request(request());
  EXPECT_EQ(bytes[0], 2);     // version
  EXPECT_EQ(bytes[1], 1);     // request, MAP
  EXPECT_EQ(bytes[7], 0x10);  // lifetime 3600 = 0x00000e10
  EXPECT_EQ(bytes[6], 0x0e);
  // Client address IPv4-mapped.
  EXPECT_EQ(bytes[18], 0xff);
  EXPECT_EQ(bytes[19], 0xff);
  EXPECT_EQ(bytes[20], 10);
  EXPECT_EQ(bytes[23], 10);
  EXPECT_EQ(bytes[24], 0xa0);  // nonce
  EXPECT_EQ(bytes[36], 17);    // UDP
  EXPECT_EQ(bytes[40] << 8 | bytes[41], 40000);
  EXPECT_EQ(bytes[42] << 8 | bytes[43], 40000);  // the same port suggested outside
  EXPECT_EQ(bytes[54], 0xff);                    // ::ffff:0.0.0.0, no address preferred
  EXPECT_EQ(bytes[58], 0);
}

TEST(NatPcp, ParsesTheGatewaysGrant) {
  std::string error;
  auto response = parse_map_response(success(), request(), error);
  ASSERT_TRUE(response) << error;
  EXPECT_EQ(response->external.to_string(), "11.15.0.11:40000");
  EXPECT_EQ(response->lifetime, 3600u);
  EXPECT_EQ(response->epoch, 0x1234u);
}

TEST(NatPcp, RefusesWhatIsNotItsAnswer) {
  auto check = [](std::vector<uint8_t> bytes, const std::string &expected) {
    std::string error;
    EXPECT_FALSE(parse_map_response(bytes, request(), error));
    EXPECT_NE(error.find(expected), std::string::npos) << error;
  };
  auto refused = success();
  refused[3] = 2;
  check(refused, "NOT_AUTHORIZED");
  refused[3] = 200;
  check(refused, "unknown result code");
  auto other_nonce = success();
  other_nonce[30] ^= 1;
  check(other_nonce, "nonce");
  auto other_port = success();
  other_port[41] ^= 1;
  check(other_port, "another protocol or port");
  auto request_echo = success();
  request_echo[1] = 0x01;
  check(request_echo, "not a MAP response");
  check({0, 128, 0, 1, 0, 0, 0, 0}, "NAT-PMP only");
  check({2, 0x81}, "no MAP response");
  auto odd = success();
  odd.push_back(0);
  check(odd, "no MAP response");
  auto too_long = success();
  too_long.resize(1104);
  check(too_long, "no MAP response");
  auto port_zero = success();
  port_zero[42] = port_zero[43] = 0;
  check(port_zero, "port 0");
}

}  // namespace
}  // namespace wzp::nat::pcp
