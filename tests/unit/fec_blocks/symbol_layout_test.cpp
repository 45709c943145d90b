#include "libwzp/fec/symbol_layout.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace wzp::fec {
namespace {

TEST(SymbolLayout, SourceSymbolRoundTripsWithPadding) {
  std::vector<uint8_t> frame{1, 2, 3};
  std::vector<uint8_t> symbol(16, 0xee);
  write_source_symbol(frame, 0xa1b2c3d4, symbol);
  std::vector<uint8_t> expected{0, 3, 0xa1, 0xb2, 0xc3, 0xd4, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(symbol, expected);
  auto read = read_source_symbol(symbol);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->timestamp, 0xa1b2c3d4u);
  EXPECT_EQ(std::vector<uint8_t>(read->frame.begin(), read->frame.end()), frame);
}

TEST(SymbolLayout, RejectsPaddingAndOverlongLength) {
  std::vector<uint8_t> zeros(16, 0);
  EXPECT_FALSE(read_source_symbol(zeros));
  std::vector<uint8_t> overlong{0, 11, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_FALSE(read_source_symbol(overlong));
  overlong[1] = 10;
  EXPECT_TRUE(read_source_symbol(overlong));
  EXPECT_FALSE(read_source_symbol(std::span(overlong).first(5)));
}

TEST(SymbolLayout, RepairPrefixRoundTripsAndRejectsNonsense) {
  std::array<uint8_t, kRepairPrefixSize> bytes{};
  write_repair_prefix({0xfffe, 5, 3}, bytes);
  auto prefix = read_repair_prefix(bytes);
  ASSERT_TRUE(prefix);
  EXPECT_EQ(prefix->base_frame, 0xfffe);
  EXPECT_EQ(prefix->frames, 5);
  EXPECT_EQ(prefix->interleave_depth, 3);
  auto bad = bytes;
  bad[5] = 1;
  EXPECT_FALSE(read_repair_prefix(bad));
  bad = bytes;
  bad[4] = 0;
  EXPECT_FALSE(read_repair_prefix(bad));
  bad = bytes;
  bad[3] = 0;
  EXPECT_FALSE(read_repair_prefix(bad)) << "a block of zero frames";
  EXPECT_FALSE(read_repair_prefix(std::span(bytes).first(5)));
}

TEST(SymbolLayout, FrameNumbersExtendAcrossWrap) {
  EXPECT_EQ(extend_frame_number(0x0002, 0x0001fff0), 0x00020002u);
  EXPECT_EQ(extend_frame_number(0xfff0, 0x00020002), 0x0001fff0u);
  EXPECT_EQ(extend_frame_number(5, 0), 5u);
  EXPECT_EQ(extend_frame_number(0xffff, 0), 0xffffffffu);
}

TEST(SymbolLayout, LargestSymbolFitsOnePacket) {
  EXPECT_LE(wire::kFullHeaderSize + wire::kQualityReportSize + kRepairPrefixSize + kMaxSymbolSize,
            wire::kMaxPacketSize);
  EXPECT_EQ(kMaxSymbolSize % 8, 0u);
}

}  // namespace
}  // namespace wzp::fec
