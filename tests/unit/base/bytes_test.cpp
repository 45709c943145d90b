#include "libwzp/base/bytes.hpp"

#include <gtest/gtest.h>

#include <array>

namespace wzp::base {
namespace {

TEST(Bytes, MostSignificantByteFirst) {
  std::array<uint8_t, 8> b{};
  put_u16(b.data(), 0x1234);
  EXPECT_EQ(b[0], 0x12);
  EXPECT_EQ(b[1], 0x34);
  put_u32(b.data(), 0xdeadbeef);
  EXPECT_EQ(b, (std::array<uint8_t, 8>{0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0}));
  put_u64(b.data(), 0x0102030405060708);
  EXPECT_EQ(b, (std::array<uint8_t, 8>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(Bytes, ReadsBackWhatWasWritten) {
  std::array<uint8_t, 8> b{};
  put_u16(b.data(), 0xfffe);
  EXPECT_EQ(get_u16(b.data()), 0xfffe);
  put_u32(b.data(), 0x80000001);
  EXPECT_EQ(get_u32(b.data()), 0x80000001u);
  put_u64(b.data(), 0xfedcba9876543210);
  EXPECT_EQ(get_u64(b.data()), 0xfedcba9876543210u);
  put_be(b.data(), 0xabcdef, 3);
  EXPECT_EQ(get_be(b.data(), 3), 0xabcdefu);
}

}  // namespace
}  // namespace wzp::base
