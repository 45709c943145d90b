#include "libwzp/wire/trunk.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace wzp::wire {
namespace {

TEST(WireTrunk, PacksAndUnpacksPacketsInOrder) {
  std::array<uint8_t, kMaxPacketSize> buf{};
  TrunkWriter writer(buf);
  std::vector<std::vector<uint8_t>> packets = {
      {0x40, 1}, {0x50, 2, 3}, std::vector<uint8_t>(300, 7)};
  for (const auto &p : packets) ASSERT_TRUE(writer.add(p));
  auto frame = writer.frame();
  EXPECT_EQ(frame.size(), kTrunkHeaderSize + 3 * kTrunkEntryOverhead + 2 + 3 + 300);
  EXPECT_EQ(frame[0], 0x60);
  EXPECT_EQ(peek_kind(frame), PacketKind::kTrunk);

  TrunkReader reader;
  ASSERT_EQ(reader.open(frame), WireError::kOk);
  EXPECT_EQ(reader.count(), 3u);
  for (const auto &p : packets) {
    auto got = reader.next();
    EXPECT_EQ(std::vector<uint8_t>(got.begin(), got.end()), p);
  }
  EXPECT_TRUE(reader.next().empty());
}

TEST(WireTrunk, WriterStopsAtTheBufferAndTheDatagramLimit) {
  std::array<uint8_t, 10> small{};
  TrunkWriter writer(small);
  EXPECT_TRUE(writer.add(std::vector<uint8_t>(6, 1)));
  EXPECT_FALSE(writer.add(std::vector<uint8_t>(1, 1)));
  EXPECT_FALSE(writer.add({}));
  EXPECT_EQ(writer.count(), 1u);

  std::vector<uint8_t> big(4000);
  TrunkWriter limited(big);
  EXPECT_FALSE(limited.add(std::vector<uint8_t>(kMaxPacketSize, 1)));
  EXPECT_TRUE(limited.frame().empty());
}

TEST(WireTrunk, MalformedFramesAreRejected) {
  TrunkReader reader;
  auto open = [&](std::vector<uint8_t> bytes) { return reader.open(bytes); };
  EXPECT_EQ(open({}), WireError::kTruncated);
  EXPECT_EQ(open({0x60}), WireError::kTruncated);
  EXPECT_EQ(open({0x60, 0}), WireError::kInconsistent);              // no entries
  EXPECT_EQ(open({0x60, 1, 0, 0}), WireError::kInconsistent);        // empty entry
  EXPECT_EQ(open({0x60, 1, 0, 3, 1, 2}), WireError::kTruncated);     // entry past the end
  EXPECT_EQ(open({0x60, 2, 0, 1, 9}), WireError::kTruncated);        // missing entry
  EXPECT_EQ(open({0x60, 1, 0, 1, 9, 9}), WireError::kInconsistent);  // trailing bytes
  EXPECT_EQ(open({0x40, 1, 0, 1, 9}), WireError::kInconsistent);     // not a trunk
  EXPECT_EQ(open({0x64, 1, 0, 1, 9}), WireError::kInconsistent);     // media type bits set
  EXPECT_EQ(reader.count(), 0u);
  EXPECT_TRUE(reader.next().empty());
}

}  // namespace
}  // namespace wzp::wire
