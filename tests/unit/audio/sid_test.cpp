#include "libwzp/audio/sid.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace wzp::audio {
namespace {

TEST(Sid, EncodesTheDocumentedBytes) {
  SidFrame sid;
  sid.level_dbfs = -42.5;
  sid.reflection = {-0.5, 0.25, 31.0 / 32, -1.0};
  // k: -16, 8, 31, -31 as 6-bit fields: 110000 001000 011111 100001
  const std::array<uint8_t, kSidBytes> expected{0xA1, 85, 0xC0, 0x87, 0xE1};
  EXPECT_EQ(encode_sid(sid), expected);
}

TEST(Sid, RoundTripsWithinOneQuantisationStep) {
  SidFrame sid;
  sid.level_dbfs = -63.3;
  sid.reflection = {-0.91, 0.4, -0.1, 0.02};
  auto bytes = encode_sid(sid);
  auto parsed = parse_sid(bytes);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_NEAR(parsed->level_dbfs, -63.3, 0.25);
  for (size_t i = 0; i < sid.reflection.size(); ++i) {
    EXPECT_NEAR(parsed->reflection[i], sid.reflection[i], 1.0 / 64 + 1e-9);
  }
}

TEST(Sid, ClampsWhatItCannotCarry) {
  SidFrame sid;
  sid.level_dbfs = 6.0;  // louder than full scale
  sid.reflection = {0.9999, -2.0, std::nan(""), 0};
  auto parsed = parse_sid(encode_sid(sid));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->level_dbfs, 0.0);
  EXPECT_EQ(parsed->reflection[0], 31.0 / 32);
  EXPECT_EQ(parsed->reflection[1], -31.0 / 32);
  EXPECT_EQ(parsed->reflection[2], 0.0);
  sid.level_dbfs = -300;
  EXPECT_EQ(parse_sid(encode_sid(sid))->level_dbfs, -127.5);
}

TEST(Sid, RejectsWrongSizeAndMarker) {
  SidError error{};
  const std::array<uint8_t, 4> short_frame{0xA1, 1, 2, 3};
  EXPECT_FALSE(parse_sid(short_frame, &error).has_value());
  EXPECT_EQ(error, SidError::kWrongSize);
  const std::array<uint8_t, 5> other{0xA2, 1, 2, 3, 4};
  EXPECT_FALSE(parse_sid(other, &error).has_value());
  EXPECT_EQ(error, SidError::kWrongMarker);
  EXPECT_FALSE(parse_sid({}, &error).has_value());
}

TEST(Sid, NeverLooksLikeWholeCodec2Frames) {
  for (size_t frame_bytes : {4u, 6u, 7u, 8u}) EXPECT_TRUE(may_be_sid(kSidBytes, frame_bytes));
  EXPECT_FALSE(may_be_sid(kSidBytes, 5));
  EXPECT_FALSE(may_be_sid(6, 6));
}

}  // namespace
}  // namespace wzp::audio
