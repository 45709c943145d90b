// FrameEncoder: grouping by count and time, repair ratios, keyframes,
// interleaving order and the packets' header fields.
#include <gtest/gtest.h>

#include "fec_test_util.hpp"
#include "libwzp/base/bytes.hpp"

namespace wzp::fec {
namespace {

using test::make_frame;
using test::PacketLog;

struct Pushed {
  std::vector<std::vector<uint8_t>> frames;
};

void push_frames(FrameEncoder &encoder, PacketLog &log, uint32_t first, uint32_t count,
                 uint32_t step = 960, bool keyframe_first = false) {
  for (uint32_t n = first; n < first + count; ++n) {
    auto frame = make_frame(n);
    Frame f{frame, n * step, keyframe_first && n == first};
    ASSERT_EQ(encoder.push(f, log), FrameEncoder::Result::kSent);
  }
}

std::vector<bool> repair_flags(const PacketLog &log) {
  std::vector<bool> flags;
  for (const auto &p : log.packets) flags.push_back(p.header.repair);
  return flags;
}

TEST(FrameEncoder, ClosesBlocksByCountAndSendsRepairAfterThem) {
  EncoderConfig config;
  config.block_frames = 5;
  config.repair_ratio = 0.4;
  config.stream_id = 77;
  config.codec = wire::codec::kOpus;
  FrameEncoder encoder(config);
  PacketLog log;
  push_frames(encoder, log, 0, 10);

  std::vector<bool> expected{false, false, false, false, false, true, true,
                             false, false, false, false, false, true, true};
  EXPECT_EQ(repair_flags(log), expected);
  for (size_t i = 0; i < log.packets.size(); ++i) {
    const auto &h = log.packets[i].header;
    wire::PacketView view;
    ASSERT_EQ(wire::parse_full(log.packets[i].bytes, view), wire::WireError::kOk);
    EXPECT_EQ(view.header, h);
    EXPECT_EQ(h.sequence, i) << "every packet, repair included, takes a sequence number";
    EXPECT_EQ(h.block_id, i / 7);
    EXPECT_EQ(h.source_symbols, 5);
    EXPECT_EQ(h.repair_symbols, 2);
    EXPECT_EQ(h.stream_id, 77u);
    EXPECT_EQ(h.codec, wire::codec::kOpus);
    EXPECT_EQ(h.symbol_index, i % 7);
  }
  // Source payload: frame number, then the frame exactly.
  const auto &p = log.packets[8];  // frame 6
  auto frame = make_frame(6);
  wire::PacketView view;
  ASSERT_EQ(wire::parse_full(p.bytes, view), wire::WireError::kOk);
  EXPECT_EQ(base::get_u16(view.payload.data()), 6);
  EXPECT_EQ(std::vector<uint8_t>(view.payload.begin() + 2, view.payload.end()), frame);
  EXPECT_EQ(view.header.timestamp, 6u * 960);
  EXPECT_EQ(encoder.stats().blocks, 2u);
  EXPECT_EQ(encoder.stats().repair_packets, 4u);
  EXPECT_FALSE(encoder.group_open());
}

TEST(FrameEncoder, RepairPayloadCarriesBlockShapeAndAlignedSymbol) {
  EncoderConfig config;
  config.block_frames = 3;
  config.repair_ratio = 1.0;
  config.symbol_alignment = 16;
  FrameEncoder encoder(config);
  PacketLog log;
  push_frames(encoder, log, 10, 3);
  size_t longest = 0;
  for (uint32_t n = 10; n < 13; ++n) longest = std::max(longest, make_frame(n).size());
  size_t T = (kSymbolPrefixSize + longest + 15) / 16 * 16;
  ASSERT_EQ(log.packets.size(), 6u);
  for (size_t i = 3; i < 6; ++i) {
    wire::PacketView view;
    ASSERT_EQ(wire::parse_full(log.packets[i].bytes, view), wire::WireError::kOk);
    ASSERT_EQ(view.payload.size(), kRepairPrefixSize + T);
    auto prefix = read_repair_prefix(view.payload);
    ASSERT_TRUE(prefix);
    EXPECT_EQ(prefix->base_frame, 0) << "frame numbers count the encoder's frames";
    EXPECT_EQ(prefix->frames, 3);
    EXPECT_EQ(prefix->interleave_depth, 1);
    EXPECT_EQ(view.header.symbol_index, 3 + (i - 3));
    EXPECT_EQ(view.header.timestamp, 12u * 960) << "repair carries the block's last timestamp";
  }
}

TEST(FrameEncoder, ClosesGroupWhenMaxBlockTimeIsReached) {
  EncoderConfig config;
  config.block_frames = 10;
  config.repair_ratio = 0.5;
  config.max_block_time = 1920;
  FrameEncoder encoder(config);
  PacketLog log;
  push_frames(encoder, log, 0, 3, 960);  // the frame at 1920 opens a new group
  std::vector<bool> expected{false, false, true, false};
  EXPECT_EQ(repair_flags(log), expected);
  auto prefix = read_repair_prefix(std::span(log.packets[2].bytes).subspan(wire::kFullHeaderSize));
  ASSERT_TRUE(prefix);
  EXPECT_EQ(prefix->frames, 2);
  EXPECT_EQ(log.packets[2].header.repair_symbols, 1) << "R follows the frames actually sent";
  EXPECT_EQ(log.packets[0].header.repair_symbols, 5) << "source packets carry the plan";
  EXPECT_EQ(log.packets[3].header.block_id, 1);

  encoder.poll(2 * 960 + 1919, log);
  EXPECT_EQ(log.packets.size(), 4u) << "not yet past the limit";
  encoder.poll(2 * 960 + 1920, log);
  EXPECT_EQ(log.packets.size(), 5u);
  EXPECT_TRUE(log.packets.back().header.repair);
}

TEST(FrameEncoder, KeyframeOpensGroupWithItsOwnRatio) {
  EncoderConfig config;
  // A codec reset of a data stream (video frames are blocks of their own).
  config.media_type = wire::MediaType::kData;
  config.block_frames = 4;
  config.repair_ratio = 0.25;
  config.keyframe_repair_ratio = 1.0;
  FrameEncoder encoder(config);
  PacketLog log;
  push_frames(encoder, log, 0, 2);
  push_frames(encoder, log, 2, 4, 960, true);
  // 2 delta frames, their repair (ceil(0.25 * 2) = 1), then 4 frames of a
  // keyframe block and its 4 repair symbols.
  std::vector<bool> expected{false, false, true, false, false, false,
                             false, true,  true, true,  true};
  ASSERT_EQ(repair_flags(log), expected);
  EXPECT_FALSE(log.packets[0].header.keyframe);
  for (size_t i = 3; i < log.packets.size(); ++i) {
    EXPECT_TRUE(log.packets[i].header.keyframe);
    EXPECT_EQ(log.packets[i].header.repair_symbols, 4);
  }
  EXPECT_EQ(encoder.stats().keyframe_blocks, 1u);
}

TEST(FrameEncoder, RatioChangeAppliesFromNextGroup) {
  EncoderConfig config;
  config.block_frames = 4;
  config.repair_ratio = 0.25;
  FrameEncoder encoder(config);
  PacketLog log;
  push_frames(encoder, log, 0, 2);
  config.repair_ratio = 1.0;
  ASSERT_TRUE(encoder.set_config(config));
  push_frames(encoder, log, 2, 6);
  size_t first_block_repair = 0, second_block_repair = 0;
  for (const auto &p : log.packets) {
    if (p.header.repair) ++(p.header.block_id == 0 ? first_block_repair : second_block_repair);
  }
  EXPECT_EQ(first_block_repair, 1u);
  EXPECT_EQ(second_block_repair, 4u);
  config.block_frames = 0;
  EXPECT_FALSE(encoder.set_config(config));
  config.block_frames = 4;
  config.repair_ratio = kMaxRepairRatio + 0.5;
  EXPECT_FALSE(encoder.set_config(config));
}

TEST(FrameEncoder, InterleavesFramesRoundRobinOverDepthBlocks) {
  EncoderConfig config;
  config.block_frames = 2;
  config.repair_ratio = 1.0;
  config.interleave_depth = 3;
  config.max_block_time = 0;
  FrameEncoder encoder(config);
  PacketLog log;
  push_frames(encoder, log, 0, 6);
  ASSERT_EQ(log.packets.size(), 12u);
  // Source: frame f goes to block f % 3 as ESI f / 3, sent at once.
  for (uint16_t f = 0; f < 6; ++f) {
    EXPECT_FALSE(log.packets[f].header.repair);
    EXPECT_EQ(log.packets[f].header.block_id, f % 3);
    EXPECT_EQ(log.packets[f].header.symbol_index, f / 3);
  }
  // Repair: j-th symbol of every block before the (j+1)-th of any.
  std::vector<std::pair<uint16_t, uint16_t>> order;
  for (size_t i = 6; i < 12; ++i) {
    order.emplace_back(log.packets[i].header.block_id, log.packets[i].header.symbol_index);
    auto prefix =
        read_repair_prefix(std::span(log.packets[i].bytes).subspan(wire::kFullHeaderSize));
    ASSERT_TRUE(prefix);
    EXPECT_EQ(prefix->interleave_depth, 3);
    EXPECT_EQ(prefix->base_frame, log.packets[i].header.block_id);
  }
  std::vector<std::pair<uint16_t, uint16_t>> expected{{0, 2}, {1, 2}, {2, 2},
                                                      {0, 3}, {1, 3}, {2, 3}};
  EXPECT_EQ(order, expected);
}

TEST(FrameEncoder, RejectsEmptyAndOversizedFrames) {
  FrameEncoder encoder;
  PacketLog log;
  std::vector<uint8_t> big(kMaxFrameSize + 1, 1);
  EXPECT_EQ(encoder.push({{}, 0, false}, log), FrameEncoder::Result::kEmpty);
  EXPECT_EQ(encoder.push({big, 0, false}, log), FrameEncoder::Result::kOversize);
  big.pop_back();
  EXPECT_EQ(encoder.push({big, 0, false}, log), FrameEncoder::Result::kSent);
  encoder.flush(log);
  EXPECT_EQ(encoder.stats().rejected_empty, 1u);
  EXPECT_EQ(encoder.stats().rejected_oversize, 1u);
  for (const auto &p : log.packets) EXPECT_LE(p.bytes.size(), wire::kMaxPacketSize);
  EXPECT_EQ(log.packets.size(), 2u);
}

TEST(FrameEncoder, RepairCountRoundsUp) {
  EXPECT_EQ(repair_count(0.2, 5), 1);
  EXPECT_EQ(repair_count(0.21, 5), 2);
  EXPECT_EQ(repair_count(0.0, 5), 0);
  EXPECT_EQ(repair_count(4.0, 255), 1020);
}

}  // namespace
}  // namespace wzp::fec

namespace wzp::fec {
namespace {

// Paced repair: a group's repair leaves spread over the next group's frames
// (a share as it closes, the rest with each following frame), all of it
// before the next group's own; a quiet sender's held repair goes out on
// poll() once max_block_time has passed, and on flush().
TEST(FrameEncoderPacing, SpreadsRepairOverTheFirstHalfOfTheNextGroupsFrames) {
  EncoderConfig config;
  config.block_frames = 4;
  config.repair_ratio = 2.0;  // 8 repair packets a block
  config.max_block_time = 4 * 960;
  config.pace_repair = true;
  FrameEncoder encoder(config);
  test::PacketLog log;
  push_frames(encoder, log, 0, 12);

  // Over the first half of the next group (2 frames): shares after n of
  // them 8 * (n + 1) / 3 = 2, 5, 8. Each closing group sends its first
  // share; the next group's first two frames are each followed by the
  // repair that brings its group's total to its share (3, 3); the last
  // frame closes its own group, whose first share follows.
  const std::vector<bool> following{false, true, true,  true,  false, true,
                                    true,  true, false, false, true,  true};
  std::vector<bool> expected{false, false, false, false, true, true};
  for (int group = 0; group < 2; ++group) {
    expected.insert(expected.end(), following.begin(), following.end());
  }
  EXPECT_EQ(repair_flags(log), expected);
  size_t repair_of_block0 = 0;
  for (const auto &p : log.packets) {
    if (p.header.repair && p.header.block_id == 0) ++repair_of_block0;
  }
  EXPECT_EQ(repair_of_block0, 8u);
  // Numbered as they leave: the sequence (the AEAD nonce) only grows.
  for (size_t i = 0; i < log.packets.size(); ++i) EXPECT_EQ(log.packets[i].header.sequence, i);
  // Block 2's repair is held: one share went out as it closed.
  EXPECT_EQ(encoder.paced_repair(), 6u);
  EXPECT_EQ(encoder.stats().repair_packets, 24u) << "counted as built";

  size_t before = log.packets.size();
  encoder.poll(12 * 960, log);  // one frame's time after block 2: not yet
  EXPECT_EQ(log.packets.size(), before);
  encoder.poll(11 * 960 + 4 * 960, log);  // max_block_time past its last frame
  EXPECT_EQ(log.packets.size(), before + 6);
  EXPECT_EQ(encoder.paced_repair(), 0u);
  for (size_t i = before; i < log.packets.size(); ++i) {
    EXPECT_TRUE(log.packets[i].header.repair);
    EXPECT_EQ(log.packets[i].header.block_id, 2);
  }
}

TEST(FrameEncoderPacing, FlushSendsHeldRepairAndTheDecoderRecoversFromIt) {
  EncoderConfig config;
  config.block_frames = 4;
  config.repair_ratio = 1.0;
  config.pace_repair = true;
  FrameEncoder encoder(config);
  test::PacketLog log;
  push_frames(encoder, log, 0, 4);
  EXPECT_GT(encoder.paced_repair(), 0u);
  encoder.flush(log);
  EXPECT_EQ(encoder.paced_repair(), 0u);
  size_t repair = 0;
  for (const auto &p : log.packets) repair += p.header.repair ? 1 : 0;
  EXPECT_EQ(repair, 4u);
  EXPECT_EQ(encoder.stats().bytes_sent, [&] {
    uint64_t total = 0;
    for (const auto &p : log.packets) total += p.bytes.size();
    return total;
  }());
}

}  // namespace
}  // namespace wzp::fec
