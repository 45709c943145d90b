#include "libwzp/nat/stun.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace wzp::nat::stun {
namespace {

TransactionId id() {
  TransactionId t;
  for (size_t i = 0; i < t.size(); ++i) t[i] = static_cast<uint8_t>(0xb0 + i);
  return t;
}

TEST(NatStun, ABindingRequestIsAHeaderWithTheCookieAndOurId) {
  auto bytes = encode_binding_request(id());
  EXPECT_EQ(bytes[0], 0x00);
  EXPECT_EQ(bytes[1], 0x01);
  EXPECT_EQ(bytes[2], 0x00);
  EXPECT_EQ(bytes[3], 0x00);
  EXPECT_EQ(bytes[4], 0x21);
  EXPECT_EQ(bytes[7], 0x42);
  EXPECT_EQ(bytes[8], 0xb0);
  auto parsed = parse_binding_request(bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, id());
}

TEST(NatStun, AServerRefusesWhatIsNotABindingRequest) {
  auto bytes = encode_binding_request(id());
  std::vector<uint8_t> v(bytes.begin(), bytes.end());
  v[4] = 0;  // no cookie: RFC 3489's classic STUN, or not STUN at all
  EXPECT_FALSE(parse_binding_request(v));
  v = {bytes.begin(), bytes.end()};
  v[3] = 4;  // says 4 bytes of attributes, has none
  EXPECT_FALSE(parse_binding_request(v));
  v = {bytes.begin(), bytes.end()};
  v[1] = 0x11;  // an indication
  EXPECT_FALSE(parse_binding_request(v));
  EXPECT_FALSE(parse_binding_request(std::vector<uint8_t>(4, 0)));  // a wzp punch
}

TEST(NatStun, AResponseCarriesTheAddressXoredBothWays) {
  for (const char *text : {"11.15.0.12:40001", "[2001:db8::7]:5000"}) {
    auto seen = *TransportAddress::parse(text);
    auto response = encode_binding_response(id(), seen);
    std::string error;
    auto parsed = parse_binding_response(response, id(), error);
    ASSERT_TRUE(parsed) << text << ": " << error;
    EXPECT_EQ(parsed->to_string(), text);
  }
  // XORed on the wire (RFC 8489 14.2): the port 40001 = 0x9c41 is 0xbd53.
  auto response = encode_binding_response(id(), *TransportAddress::parse("11.15.0.12:40001"));
  EXPECT_EQ(response[26], 0xbd);
  EXPECT_EQ(response[27], 0x53);
}

TEST(NatStun, AClientRefusesAnotherTransactionAnErrorOrATruncatedAnswer) {
  auto response = encode_binding_response(id(), *TransportAddress::parse("11.15.0.12:40001"));
  std::string error;
  TransactionId other = id();
  other[11] ^= 1;
  EXPECT_FALSE(parse_binding_response(response, other, error));
  EXPECT_EQ(error, "STUN: the answer is to another request");
  auto error_response = response;
  error_response[1] = 0x11;
  EXPECT_FALSE(parse_binding_response(error_response, id(), error));
  EXPECT_EQ(error, "STUN: the server answered with an error");
  auto truncated = response;
  truncated.resize(truncated.size() - 4);
  EXPECT_FALSE(parse_binding_response(truncated, id(), error));
  auto overlong = response;
  overlong[23] = 0x40;  // the attribute claims 64 bytes
  EXPECT_FALSE(parse_binding_response(overlong, id(), error));
  EXPECT_EQ(error, "STUN: an attribute runs past the message");
}

TEST(NatStun, AnRfc3489ServersMappedAddressIsReadToo) {
  auto request = encode_binding_request(id());
  std::vector<uint8_t> v(request.begin(), request.end());
  v[0] = 0x01;  // success response
  v[3] = 12;
  const uint8_t attribute[] = {0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x9c, 0x41, 11, 15, 0, 12};
  v.insert(v.end(), std::begin(attribute), std::end(attribute));
  std::string error;
  auto parsed = parse_binding_response(v, id(), error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(parsed->to_string(), "11.15.0.12:40001");
}

TEST(NatStun, AnIpv4MappedAnswerReadsAsTheIpv4AddressItIs) {
  // A server on a dual-stack socket may report ::ffff:11.15.0.12: one host,
  // which must not print or compare as a second, IPv6, candidate.
  auto request = encode_binding_request(id());
  std::vector<uint8_t> v(request.begin(), request.end());
  v[0] = 0x01;  // success response
  v[3] = 24;
  const uint8_t attribute[] = {0x00, 0x01, 0x00, 0x14, 0x00, 0x02, 0x9c, 0x41, 0,  0,  0, 0,
                               0,    0,    0,    0,    0,    0,    0xff, 0xff, 11, 15, 0, 12};
  v.insert(v.end(), std::begin(attribute), std::end(attribute));
  std::string error;
  auto parsed = parse_binding_response(v, id(), error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_FALSE(parsed->ip.v6);
  EXPECT_EQ(*parsed, *TransportAddress::parse("11.15.0.12:40001"));
}

TEST(NatStun, AnExchangeSendsAgainUntilItsAnswerComes) {
  BindingExchange exchange;
  const auto seen = *TransportAddress::parse("11.15.0.12:40001");
  int sent = 0;
  std::string error;
  // The first request is lost; the second is answered, and the answer to a
  // stranger's transaction is left alone.
  auto address = exchange.run(
      [&](std::span<const uint8_t> request) {
        if (++sent == 1) return true;
        auto id = parse_binding_request(request);
        EXPECT_TRUE(id);
        if (!id) return false;
        EXPECT_FALSE(exchange.deliver(encode_binding_response(TransactionId{}, seen)));
        EXPECT_TRUE(exchange.deliver(encode_binding_response(*id, seen)));
        return true;
      },
      std::chrono::seconds(5), error);
  ASSERT_TRUE(address) << error;
  EXPECT_EQ(*address, seen);
  EXPECT_EQ(sent, 2);
}

TEST(NatStun, AnUnansweredExchangeGivesUpAtItsTimeout) {
  BindingExchange exchange;
  int sent = 0;
  std::string error;
  auto address = exchange.run([&](std::span<const uint8_t>) { return ++sent > 0; },
                              std::chrono::milliseconds(300), error);
  EXPECT_FALSE(address);
  EXPECT_EQ(error, "STUN: no answer in 300 ms");
  EXPECT_EQ(sent, 2);  // at 0 and 200 ms
}

}  // namespace
}  // namespace wzp::nat::stun
