#include "libwzp/wire/keyframe_request.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "libwzp/wire/header.hpp"

namespace wzp::wire {
namespace {

constexpr int64_t kMs = 1'000'000;

TEST(KeyframeRequest, SevenBytesThatNoMediaParserTakes) {
  std::array<uint8_t, 16> out{};
  ASSERT_EQ(write_keyframe_request({0x01020304, 0x0506}, out), kKeyframeRequestSize);
  std::vector<uint8_t> bytes(out.begin(), out.begin() + kKeyframeRequestSize);
  EXPECT_EQ(bytes, (std::vector<uint8_t>{0x02, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06}));
  auto parsed = parse_keyframe_request(bytes);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, (KeyframeRequest{0x01020304, 0x0506}));
  PacketView view;
  EXPECT_NE(parse_full(bytes, view), WireError::kOk);  // shorter than any header
  bytes.resize(kFullHeaderSize, 0);                    // and version 0 if it were not
  EXPECT_EQ(parse_full(bytes, view), WireError::kUnsupportedVersion);
}

TEST(KeyframeRequest, AnythingElseIsNotARequest) {
  std::array<uint8_t, 7> bytes{0x02, 0, 0, 0, 1, 0, 1};
  EXPECT_TRUE(parse_keyframe_request(bytes));
  EXPECT_FALSE(parse_keyframe_request(std::span(bytes).first(6)));
  std::array<uint8_t, 8> longer{0x02, 0, 0, 0, 1, 0, 1, 0};
  EXPECT_FALSE(parse_keyframe_request(longer));
  bytes[0] = 0x01;  // the QUIC layer's restart request
  EXPECT_FALSE(parse_keyframe_request(bytes));
  EXPECT_FALSE(parse_keyframe_request({}));
  std::array<uint8_t, 4> small{};
  EXPECT_EQ(write_keyframe_request({1, 1}, small), 0u);
}

TEST(KeyframeRequester, NumbersRequestsAndSpacesThem) {
  KeyframeRequester requester(200 * kMs);
  auto first = requester.request(7, 1000 * kMs);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, (KeyframeRequest{7, 0}));
  EXPECT_FALSE(requester.request(7, 1100 * kMs));
  EXPECT_FALSE(requester.request(7, 1199 * kMs));
  auto second = requester.request(7, 1200 * kMs);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->number, 1);
  EXPECT_EQ(requester.suppressed(), 2u);
}

TEST(KeyframeRequestFilter, ActsOncePerRequestAndAtMostOncePerInterval) {
  KeyframeRequestFilter filter(300 * kMs);
  EXPECT_TRUE(filter.accept({7, 0}, 7, 0));
  // Its copies.
  EXPECT_FALSE(filter.accept({7, 0}, 7, 1 * kMs));
  EXPECT_FALSE(filter.accept({7, 0}, 7, 2 * kMs));
  // A new request too soon after: the keyframe is on its way already.
  EXPECT_FALSE(filter.accept({7, 1}, 7, 100 * kMs));
  EXPECT_TRUE(filter.accept({7, 2}, 7, 300 * kMs));
  // Another stream's request is not ours; 0 means whichever we send.
  EXPECT_FALSE(filter.accept({8, 3}, 7, 900 * kMs));
  EXPECT_TRUE(filter.accept({0, 4}, 7, 900 * kMs));
  EXPECT_EQ(filter.ignored(), 2u);
}

}  // namespace
}  // namespace wzp::wire
