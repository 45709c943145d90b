#include "libwzp/wire/header.hpp"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace wzp::wire {
namespace {

MediaHeader sample_header() {
  MediaHeader h;
  h.media_type = MediaType::kVideo;
  h.codec = codec::kAv1;
  h.repair = true;
  h.keyframe = true;
  h.key_epoch = 0xfe;
  h.stream_id = 0xdeadbeef;
  h.sequence = 0xfffffffe;
  h.timestamp = 0x80000001;
  h.block_id = 0xffff;
  h.source_symbols = kMaxSourceSymbols;
  h.repair_symbols = 0x10000 - kMaxSourceSymbols;
  h.symbol_index = 0xffff;
  return h;
}

std::vector<uint8_t> packet_with(const MediaHeader &h, const QualityReport *report,
                                 std::vector<uint8_t> payload) {
  std::vector<uint8_t> bytes(full_header_size(report != nullptr));
  EXPECT_EQ(write_full(h, report, bytes), bytes.size());
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  return bytes;
}

TEST(WireHeader, FullHeaderRoundTripsEveryFieldAtItsLimits) {
  MediaHeader h = sample_header();
  auto bytes = packet_with(h, nullptr, {1, 2, 3});
  ASSERT_EQ(bytes.size(), kFullHeaderSize + 3);
  PacketView view;
  ASSERT_EQ(parse_full(bytes, view), WireError::kOk);
  EXPECT_EQ(view.header, h);
  EXPECT_EQ(view.kind, PacketKind::kFull);
  EXPECT_FALSE(view.report.has_value());
  EXPECT_EQ(view.header_bytes.size(), kFullHeaderSize);
  EXPECT_EQ(std::vector<uint8_t>(view.payload.begin(), view.payload.end()),
            (std::vector<uint8_t>{1, 2, 3}));
}

TEST(WireHeader, FullHeaderBytesMatchTheDocumentedLayout) {
  MediaHeader h;
  h.media_type = MediaType::kAudio;
  h.codec = codec::kOpus;
  h.key_epoch = 3;
  h.stream_id = 0x01020304;
  h.sequence = 0x0a0b0c0d;
  h.timestamp = 0x11223344;
  h.block_id = 0x0506;
  h.symbol_index = 2;
  h.source_symbols = 5;
  h.repair_symbols = 3;
  std::array<uint8_t, kFullHeaderSize> out{};
  ASSERT_EQ(write_full(h, nullptr, out), kFullHeaderSize);
  const std::array<uint8_t, kFullHeaderSize> expected = {
      0x40, 0x01, 0x00, 0x03, 0x01, 0x02, 0x03, 0x04, 0x0a, 0x0b, 0x0c, 0x0d,
      0x11, 0x22, 0x33, 0x44, 0x05, 0x06, 0x00, 0x02, 0x00, 0x05, 0x00, 0x03};
  EXPECT_EQ(out, expected);
}

TEST(WireHeader, QualityReportRoundTripsAndSaturates) {
  QualityReport r = QualityReport::from(0.5, 70000, 12, 350);
  EXPECT_EQ(r.loss_q8, 128);
  EXPECT_EQ(r.rtt_ms, 0xffff);
  EXPECT_EQ(QualityReport::from(1.0, 0, 0, 0).loss_q8, 255);
  EXPECT_EQ(QualityReport::from(-3.0, 0, 0, 0).loss_q8, 0);
  auto bytes = packet_with(sample_header(), &r, {9});
  PacketView view;
  ASSERT_EQ(parse_full(bytes, view), WireError::kOk);
  ASSERT_TRUE(view.report.has_value());
  EXPECT_EQ(*view.report, r);
  EXPECT_DOUBLE_EQ(view.report->loss_fraction(), 0.5);
  EXPECT_EQ(view.header_bytes.size(), kFullHeaderSize + kQualityReportSize);
  EXPECT_EQ(view.payload.size(), 1u);
}

TEST(WireHeader, EveryTruncationIsRejected) {
  QualityReport r;
  auto bytes = packet_with(sample_header(), &r, {});
  for (size_t n = 0; n < bytes.size(); ++n) {
    PacketView view;
    EXPECT_EQ(parse_full(std::span(bytes).first(n), view), WireError::kTruncated) << n;
  }
}

TEST(WireHeader, OversizedPacketIsRejected) {
  std::vector<uint8_t> payload(kMaxPacketSize - kFullHeaderSize + 1);
  auto bytes = packet_with(sample_header(), nullptr, payload);
  PacketView view;
  EXPECT_EQ(parse_full(bytes, view), WireError::kOversized);
  bytes.pop_back();
  EXPECT_EQ(parse_full(bytes, view), WireError::kOk);
}

TEST(WireHeader, BadFirstByteAndFlagsAreRejected) {
  auto bytes = packet_with(sample_header(), nullptr, {});
  PacketView view;
  auto with_byte = [&](size_t index, uint8_t value) {
    auto copy = bytes;
    copy[index] = value;
    return parse_full(copy, view);
  };
  EXPECT_EQ(with_byte(0, 0x84), WireError::kUnsupportedVersion);
  EXPECT_EQ(with_byte(0, 0x00), WireError::kUnsupportedVersion);
  EXPECT_EQ(with_byte(0, 0x74), WireError::kUnknownKind);
  EXPECT_EQ(with_byte(0, 0x4c), WireError::kReservedBitsSet);  // media type 3
  EXPECT_EQ(with_byte(0, 0x45), WireError::kReservedBitsSet);
  EXPECT_EQ(with_byte(0, 0x54), WireError::kInconsistent);  // a mini header
  EXPECT_EQ(with_byte(2, 0xc1), WireError::kReservedBitsSet);
}

TEST(WireHeader, ThePaddedFlagIsBitThreeOfTheFlagsAndRoundTrips) {
  MediaHeader h = sample_header();
  h.padded = true;
  auto bytes = packet_with(h, nullptr, {1});
  EXPECT_EQ(bytes[2] & 0x08, 0x08);
  PacketView view;
  ASSERT_EQ(parse_full(bytes, view), WireError::kOk);
  EXPECT_TRUE(view.header.padded);

  auto plain = packet_with(sample_header(), nullptr, {1});
  ASSERT_TRUE(set_padded(plain, true));
  EXPECT_EQ(plain, bytes);
  ASSERT_TRUE(set_padded(plain, false));
  EXPECT_EQ(plain, packet_with(sample_header(), nullptr, {1}));
  std::vector<uint8_t> trunk{0x60, 1, 0, 1, 0};
  EXPECT_FALSE(set_padded(trunk, true));
}

TEST(WireHeader, InconsistentFecFieldsAreRejected) {
  auto check = [](auto mutate) {
    MediaHeader h;
    h.source_symbols = 4;
    h.repair_symbols = 2;
    mutate(h);
    return validate(h);
  };
  EXPECT_EQ(check([](MediaHeader &) {}), WireError::kOk);
  EXPECT_EQ(check([](MediaHeader &h) { h.symbol_index = 4; }), WireError::kInconsistent);
  EXPECT_EQ(check([](MediaHeader &h) { h.repair = true; }), WireError::kInconsistent);
  EXPECT_EQ(check([](MediaHeader &h) { h.repair = true, h.symbol_index = 5; }), WireError::kOk);
  EXPECT_EQ(check([](MediaHeader &h) { h.repair = true, h.symbol_index = 6; }),
            WireError::kInconsistent);
  EXPECT_EQ(check([](MediaHeader &h) { h.source_symbols = kMaxSourceSymbols + 1; }),
            WireError::kInconsistent);
  EXPECT_EQ(check([](MediaHeader &h) { h.source_symbols = 0, h.repair_symbols = 0; }),
            WireError::kOk);
  EXPECT_EQ(
      check([](MediaHeader &h) { h.source_symbols = 0, h.block_id = 1, h.repair_symbols = 0; }),
      WireError::kInconsistent);
  EXPECT_EQ(check([](MediaHeader &h) { h.source_symbols = 60000, h.repair_symbols = 6000; }),
            WireError::kInconsistent);
}

TEST(WireHeader, WriterRefusesInvalidHeaderOrSmallBuffer) {
  MediaHeader h;
  h.source_symbols = 1;
  h.symbol_index = 1;
  std::array<uint8_t, 64> out{};
  EXPECT_EQ(write_full(h, nullptr, out), 0u);
  h.symbol_index = 0;
  EXPECT_EQ(write_full(h, nullptr, std::span(out).first(kFullHeaderSize - 1)), 0u);
  QualityReport r;
  EXPECT_EQ(write_full(h, &r, std::span(out).first(kFullHeaderSize)), 0u);
}

TEST(WireHeader, ErrorsHaveReadableNames) {
  EXPECT_STREQ(to_string(WireError::kTruncated), "truncated packet");
  EXPECT_STREQ(to_string(WireError::kNoContext), "mini header without a known full header");
}

}  // namespace
}  // namespace wzp::wire
