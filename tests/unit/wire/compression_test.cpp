#include "libwzp/wire/compression.hpp"

#include <gtest/gtest.h>

#include <array>

namespace wzp::wire {
namespace {

MediaHeader audio(uint32_t seq, uint16_t block, uint16_t esi) {
  MediaHeader h;
  h.codec = codec::kOpus;
  h.stream_id = 77;
  h.key_epoch = 1;
  h.sequence = seq;
  h.timestamp = seq * 960;
  h.block_id = block;
  h.symbol_index = esi;
  h.source_symbols = 5;
  h.repair_symbols = 3;
  h.repair = esi >= 5;
  return h;
}

TEST(WireCompression, SteadyStateUsesMiniHeadersThatDecodeExactly) {
  HeaderCompressor tx;
  HeaderDecompressor rx;
  std::array<uint8_t, 64> buf{};
  size_t full = 0, mini = 0;
  for (uint32_t i = 0; i < 64; ++i) {
    MediaHeader h = audio(1000 + i, static_cast<uint16_t>(i / 8), static_cast<uint16_t>(i % 8));
    QualityReport report = QualityReport::from(0.1, 300, 20, 200);
    bool with_report = i % 10 == 0;
    size_t n = tx.write(h, with_report ? &report : nullptr, buf);
    ASSERT_GT(n, 0u);
    (n - (with_report ? kQualityReportSize : 0) == kFullHeaderSize ? full : mini)++;
    buf[n] = 0xab;
    PacketView view;
    ASSERT_EQ(rx.parse(std::span(buf).first(n + 1), view), WireError::kOk) << i;
    EXPECT_EQ(view.header, h) << i;
    EXPECT_EQ(view.report.has_value(), with_report);
    ASSERT_EQ(view.payload.size(), 1u);
    EXPECT_EQ(view.payload[0], 0xab);
  }
  EXPECT_EQ(full, 64u / HeaderCompressor::kDefaultFullInterval);
  EXPECT_EQ(mini, 64u - full);
}

TEST(WireCompression, ContextChangesAndLargeDeltasForceFullHeaders) {
  HeaderCompressor tx;
  std::array<uint8_t, 64> buf{};
  MediaHeader h = audio(10, 0, 0);
  EXPECT_EQ(tx.write(h, nullptr, buf), kFullHeaderSize);
  h = audio(11, 0, 1);
  EXPECT_EQ(tx.write(h, nullptr, buf), kMiniHeaderSize);
  h = audio(12, 0, 2);
  h.key_epoch = 2;
  EXPECT_EQ(tx.write(h, nullptr, buf), kFullHeaderSize);
  h = audio(12 + 256, 0, 3);
  h.key_epoch = 2;
  EXPECT_EQ(tx.write(h, nullptr, buf), kFullHeaderSize);  // sequence delta > 255
  h.sequence += 1;
  h.timestamp += 70000;  // timestamp delta > 65535
  EXPECT_EQ(tx.write(h, nullptr, buf), kFullHeaderSize);
  tx.set_full_interval(1);
  h.sequence += 1;
  EXPECT_EQ(tx.write(h, nullptr, buf), kFullHeaderSize);
}

TEST(WireCompression, MiniHeaderWithoutItsFullHeaderIsRefused) {
  HeaderCompressor tx;
  std::array<uint8_t, 64> full{}, mini{};
  ASSERT_EQ(tx.write(audio(500, 0, 0), nullptr, full), kFullHeaderSize);
  ASSERT_EQ(tx.write(audio(501, 0, 1), nullptr, mini), kMiniHeaderSize);
  HeaderDecompressor rx;
  PacketView view;
  EXPECT_EQ(rx.parse(std::span(mini).first(kMiniHeaderSize), view), WireError::kNoContext);
  ASSERT_EQ(rx.parse(std::span(full).first(kFullHeaderSize), view), WireError::kOk);
  EXPECT_EQ(rx.parse(std::span(mini).first(kMiniHeaderSize), view), WireError::kOk);
  EXPECT_EQ(view.header, audio(501, 0, 1));
}

TEST(WireCompression, AMiniHeaderCarriesItsOwnPaddedFlag) {
  HeaderCompressor tx;
  HeaderDecompressor rx;
  std::array<uint8_t, 64> full{}, mini{};
  ASSERT_EQ(tx.write(audio(7, 0, 0), nullptr, full), kFullHeaderSize);
  PacketView view;
  ASSERT_EQ(rx.parse(std::span(full).first(kFullHeaderSize), view), WireError::kOk);
  EXPECT_FALSE(view.header.padded);
  ASSERT_EQ(tx.write(audio(8, 0, 1), nullptr, mini), kMiniHeaderSize);
  ASSERT_TRUE(set_padded(std::span(mini).first(kMiniHeaderSize), true));
  EXPECT_EQ(mini[1] & 0x08, 0x08);
  ASSERT_EQ(rx.parse(std::span(mini).first(kMiniHeaderSize), view), WireError::kOk);
  EXPECT_TRUE(view.header.padded);
  MediaHeader expected = audio(8, 0, 1);
  expected.padded = true;
  EXPECT_EQ(view.header, expected);
}

TEST(WireCompression, BadMiniHeadersAreRejected) {
  HeaderCompressor tx;
  HeaderDecompressor rx;
  std::array<uint8_t, 64> full{}, mini{};
  ASSERT_EQ(tx.write(audio(7, 0, 0), nullptr, full), kFullHeaderSize);
  PacketView view;
  ASSERT_EQ(rx.parse(std::span(full).first(kFullHeaderSize), view), WireError::kOk);
  ASSERT_EQ(tx.write(audio(8, 0, 1), nullptr, mini), kMiniHeaderSize);
  for (size_t n = 0; n < kMiniHeaderSize; ++n) {
    EXPECT_NE(rx.parse(std::span(mini).first(n), view), WireError::kOk) << n;
  }
  auto with_byte = [&](size_t index, uint8_t value) {
    auto copy = mini;
    copy[index] = value;
    return rx.parse(std::span(copy).first(kMiniHeaderSize), view);
  };
  EXPECT_EQ(with_byte(3, 0), WireError::kInconsistent);        // zero sequence delta
  EXPECT_EQ(with_byte(8, 9), WireError::kInconsistent);        // ESI outside the block
  EXPECT_EQ(with_byte(0, 0x54), WireError::kNoContext);        // video mini, audio base
  EXPECT_EQ(with_byte(1, 0x01), WireError::kReservedBitsSet);  // reserved flag
  EXPECT_EQ(with_byte(2, 99), WireError::kNoContext);          // unknown base tag
}

}  // namespace
}  // namespace wzp::wire
