#include "libwzp/base/hex.hpp"

#include <gtest/gtest.h>

#include <array>

namespace wzp::base {
namespace {

TEST(Hex, EncodesLowercase) {
  const std::array<uint8_t, 4> bytes{0x00, 0x9f, 0xab, 0xff};
  EXPECT_EQ(to_hex(bytes), "009fabff");
  EXPECT_EQ(to_hex(std::span<const uint8_t>()), "");
}

TEST(Hex, GroupsWithSeparator) {
  const std::array<uint8_t, 4> bytes{0x01, 0x23, 0x45, 0x67};
  EXPECT_EQ(to_hex(bytes, 2), "01:23:45:67");
  EXPECT_EQ(to_hex(bytes, 4), "0123:4567");
  EXPECT_EQ(to_hex(bytes, 4, '-'), "0123-4567");
}

TEST(Hex, EncodesIntoABufferWithoutAllocating) {
  const std::array<uint8_t, 2> bytes{0xbe, 0xef};
  char buffer[5];
  EXPECT_EQ(to_hex(bytes, buffer), "beef");
  char small[4];
  EXPECT_EQ(to_hex(bytes, small), "");
}

TEST(Hex, DecodesEitherCase) {
  std::array<uint8_t, 3> out{};
  ASSERT_TRUE(from_hex("aBcD09", out));
  EXPECT_EQ(out, (std::array<uint8_t, 3>{0xab, 0xcd, 0x09}));
}

// An empty span's data() may be null, which sodium_hex2bin must not get
// (UBSan reported it under WZP_SANITIZE for the RFC 5869 vectors' empty salt).
TEST(Hex, EmptyTextDecodesToNothing) {
  EXPECT_TRUE(from_hex("", std::span<uint8_t>{}));
  EXPECT_FALSE(from_hex("ab", std::span<uint8_t>{}));
}

TEST(Hex, RefusesWrongLengthOrCharacters) {
  std::array<uint8_t, 2> out{};
  EXPECT_FALSE(from_hex("abc", out));
  EXPECT_FALSE(from_hex("abcdef", out));
  EXPECT_FALSE(from_hex("ab:d", out));
  EXPECT_FALSE(from_hex("abcg", out));
  EXPECT_FALSE(from_hex(" abc", out));
  EXPECT_FALSE(from_hex("", out));
}

TEST(Hex, LowerHexIsTheCanonicalForm) {
  EXPECT_TRUE(is_lower_hex("0123456789abcdef"));
  EXPECT_FALSE(is_lower_hex("ABCDEF"));
  EXPECT_FALSE(is_lower_hex(""));
  EXPECT_FALSE(is_lower_hex("12g4"));
  EXPECT_TRUE(is_hex_digit('F'));
  EXPECT_FALSE(is_hex_digit('g'));
}

}  // namespace
}  // namespace wzp::base
