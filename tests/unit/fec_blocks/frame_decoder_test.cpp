// FrameDecoder: immediate forwarding, recovery, interleaving against bursts,
// deadline give-up, and every kind of bad input counted, never crashing.
#include <gtest/gtest.h>

#include <set>

#include "fec_test_util.hpp"
#include "libwzp/base/bytes.hpp"

namespace wzp::fec {
namespace {

using test::FrameLog;
using test::make_frame;
using test::PacketLog;

PacketLog encode(const EncoderConfig &config, uint32_t frames, uint32_t step = 960) {
  FrameEncoder encoder(config);
  PacketLog log;
  for (uint32_t n = 0; n < frames; ++n) {
    auto frame = make_frame(n);
    encoder.push({frame, n * step, false}, log);
  }
  encoder.flush(log);
  return log;
}

EncoderConfig blocks_of(uint16_t K, double ratio, uint8_t depth = 1) {
  EncoderConfig config;
  config.block_frames = K;
  config.repair_ratio = ratio;
  config.interleave_depth = depth;
  config.max_block_time = 0;
  return config;
}

// Every frame 0..count-1 came out exactly once, byte-exact with its timestamp.
void expect_all_frames(const FrameLog &log, uint32_t count, uint32_t step = 960) {
  std::set<uint32_t> seen;
  for (const auto &o : log.outcomes) {
    EXPECT_TRUE(seen.insert(o.frame_number).second) << "frame " << o.frame_number << " twice";
    ASSERT_FALSE(o.lost) << "frame " << o.frame_number;
    EXPECT_EQ(o.data, make_frame(o.frame_number)) << "frame " << o.frame_number;
    EXPECT_EQ(o.timestamp, o.frame_number * step);
  }
  EXPECT_EQ(seen.size(), count);
}

TEST(FrameDecoder, ForwardsEachSourceFrameTheMomentItArrives) {
  PacketLog packets = encode(blocks_of(5, 0.4), 10);
  FrameDecoder decoder;
  FrameLog frames;
  size_t sources = 0;
  for (const auto &p : packets.packets) {
    decoder.push(p.bytes, frames);
    if (!p.header.repair) ++sources;
    ASSERT_EQ(frames.outcomes.size(), sources);
  }
  expect_all_frames(frames, 10);
  EXPECT_EQ(decoder.stats().received, 10u);
  EXPECT_EQ(decoder.stats().recovered, 0u);
  EXPECT_EQ(decoder.stats().blocks_complete, 2u);
  EXPECT_EQ(decoder.stats().unneeded_repair, 2u) << "the block was complete after the first";
}

TEST(FrameDecoder, RecoversLostFramesByteExact) {
  PacketLog packets = encode(blocks_of(5, 0.4), 5);
  FrameDecoder decoder;
  FrameLog frames;
  for (size_t i = 0; i < packets.packets.size(); ++i) {
    if (i == 1 || i == 3) continue;
    decoder.push(packets.packets[i].bytes, frames);
  }
  expect_all_frames(frames, 5);
  EXPECT_TRUE(frames.find(1)->recovered);
  EXPECT_TRUE(frames.find(3)->recovered);
  EXPECT_EQ(decoder.stats().recovered, 2u);
  EXPECT_EQ(decoder.stats().blocks_recovered, 1u);
}

TEST(FrameDecoder, RecoversABlockWhoseSourcePacketsAllWereLost) {
  PacketLog packets = encode(blocks_of(3, 1.0), 3);
  FrameDecoder decoder;
  FrameLog frames;
  for (const auto &p : packets.packets) {
    if (p.header.repair) decoder.push(p.bytes, frames);
  }
  expect_all_frames(frames, 3);
}

TEST(FrameDecoder, RecoversFromABlockClosedEarlyUsingItsPadding) {
  EncoderConfig config = blocks_of(8, 0.5);
  config.max_block_time = 960 * 3;
  PacketLog packets = encode(config, 3);  // flush closes a block of 3 of 8 frames
  ASSERT_EQ(packets.packets.size(), 5u);
  FrameDecoder decoder;
  FrameLog frames;
  // Keep only frame 2 and the two repair symbols: 1 + 2 + 5 padding = K.
  for (size_t i = 2; i < 5; ++i) decoder.push(packets.packets[i].bytes, frames);
  expect_all_frames(frames, 3);
}

TEST(FrameDecoder, InterleavingSpreadsABurstOverBlocks) {
  // 4 blocks of 5 frames, one repair each: a burst of 4 consecutive source
  // packets costs each block one symbol, which its repair replaces.
  PacketLog packets = encode(blocks_of(5, 0.2, 4), 20);
  FrameDecoder decoder;
  FrameLog frames;
  for (size_t i = 0; i < packets.packets.size(); ++i) {
    if (i >= 6 && i < 10) continue;
    decoder.push(packets.packets[i].bytes, frames);
  }
  expect_all_frames(frames, 20);
  EXPECT_EQ(decoder.stats().recovered, 4u);

  // Without interleaving the same burst sinks a block.
  PacketLog plain = encode(blocks_of(5, 0.2, 1), 20);
  FrameDecoder plain_decoder;
  FrameLog plain_frames;
  for (size_t i = 0; i < plain.packets.size(); ++i) {
    if (i >= 6 && i < 10) continue;
    plain_decoder.push(plain.packets[i].bytes, plain_frames);
  }
  plain_decoder.flush(plain_frames);
  EXPECT_GT(plain_decoder.stats().unrecoverable, 0u);
}

TEST(FrameDecoder, GivesUpAtTheDeadlineAndReportsEachLostFrameOnce) {
  PacketLog packets = encode(blocks_of(5, 0.2), 30);
  DecoderConfig config;
  config.deadline = 960 * 10;
  FrameDecoder decoder(config);
  FrameLog frames;
  // Block 0 loses frames 1 and 2 and has one repair: unrecoverable.
  for (size_t i = 0; i < packets.packets.size(); ++i) {
    if (i == 1 || i == 2) continue;
    decoder.push(packets.packets[i].bytes, frames);
    uint32_t now = packets.packets[i].header.timestamp;
    bool past_deadline = now > 4 * 960 + config.deadline;
    EXPECT_EQ(frames.find(1) != nullptr, past_deadline) << "at " << now;
  }
  const auto *lost = frames.find(1);
  ASSERT_TRUE(lost);
  EXPECT_TRUE(lost->lost);
  EXPECT_EQ(lost->timestamp, 960u) << "estimated from its neighbours' spacing";
  ASSERT_TRUE(frames.find(2));
  EXPECT_TRUE(frames.find(2)->lost);
  EXPECT_EQ(decoder.stats().unrecoverable, 2u);
  EXPECT_EQ(decoder.stats().blocks_given_up, 1u);
  std::set<uint32_t> seen;
  for (const auto &o : frames.outcomes) EXPECT_TRUE(seen.insert(o.frame_number).second);
  EXPECT_EQ(seen.size(), 30u);

  // A straggler of the given-up block is late, not forwarded.
  decoder.push(packets.packets[1].bytes, frames);
  EXPECT_EQ(frames.outcomes.size(), 30u);
  EXPECT_EQ(decoder.stats().late, 1u);
}

TEST(FrameDecoder, FlushGivesUpOpenBlocks) {
  PacketLog packets = encode(blocks_of(5, 0.2), 5);
  FrameDecoder decoder;
  FrameLog frames;
  for (size_t i = 2; i < packets.packets.size(); ++i)
    decoder.push(packets.packets[i].bytes, frames);
  EXPECT_EQ(frames.outcomes.size(), 3u);
  decoder.flush(frames);
  ASSERT_EQ(frames.outcomes.size(), 5u);
  EXPECT_TRUE(frames.find(0)->lost);
  EXPECT_TRUE(frames.find(1)->lost);
}

TEST(FrameDecoder, CountsDuplicatesAndLateSources) {
  PacketLog packets = encode(blocks_of(4, 0.5), 4);
  FrameDecoder decoder;
  FrameLog frames;
  decoder.push(packets.packets[0].bytes, frames);
  decoder.push(packets.packets[0].bytes, frames);
  EXPECT_EQ(decoder.stats().duplicates, 1u);
  decoder.push(packets.packets[2].bytes, frames);
  decoder.push(packets.packets[4].bytes, frames);
  decoder.push(packets.packets[5].bytes, frames);  // recovers frames 1 and 3
  EXPECT_EQ(decoder.stats().recovered, 2u);
  decoder.push(packets.packets[1].bytes, frames);
  EXPECT_EQ(decoder.stats().late, 1u);
  decoder.push(packets.packets[5].bytes, frames);
  EXPECT_EQ(frames.outcomes.size(), 4u);
  expect_all_frames(frames, 4);
}

TEST(FrameDecoder, UnprotectedPacketsPassThrough) {
  wire::MediaHeader h;
  h.sequence = 9;
  h.timestamp = 1234;
  std::vector<uint8_t> packet(wire::kFullHeaderSize + 5);
  ASSERT_EQ(wire::write_full(h, nullptr, packet), wire::kFullHeaderSize);
  base::put_u16(packet.data() + wire::kFullHeaderSize, 42);
  FrameDecoder decoder;
  FrameLog frames;
  decoder.push(packet, frames);
  ASSERT_EQ(frames.outcomes.size(), 1u);
  EXPECT_EQ(frames.outcomes[0].frame_number, 42u);
  EXPECT_EQ(frames.outcomes[0].data.size(), 3u);
  EXPECT_EQ(decoder.stats().unprotected, 1u);
}

// Rewrites a packet's header, keeping its payload.
std::vector<uint8_t> with_header(const test::Packet &p, const wire::MediaHeader &h) {
  std::vector<uint8_t> out = p.bytes;
  EXPECT_EQ(wire::write_full(h, nullptr, out), wire::kFullHeaderSize);
  return out;
}

TEST(FrameDecoder, DropsAndCountsBadInput) {
  PacketLog packets = encode(blocks_of(4, 0.5), 4);
  FrameDecoder decoder;
  FrameLog frames;
  decoder.push(packets.packets[0].bytes, frames);

  std::vector<uint8_t> garbage{0xff, 0x00, 0x12};
  decoder.push(garbage, frames);
  EXPECT_EQ(decoder.stats().malformed, 1u);

  wire::MediaHeader h = packets.packets[1].header;
  h.source_symbols = 5;
  decoder.push(with_header(packets.packets[1], h), frames);
  EXPECT_EQ(decoder.stats().inconsistent, 1u) << "K differs from the block's first packet";

  h = packets.packets[1].header;
  h.block_id = 9;
  h.source_symbols = 1000;
  decoder.push(with_header(packets.packets[1], h), frames);
  EXPECT_EQ(decoder.stats().out_of_range, 1u) << "absurd K";

  h = packets.packets[1].header;
  h.stream_id = 5;
  decoder.push(with_header(packets.packets[1], h), frames);
  EXPECT_EQ(decoder.stats().foreign_stream, 1u);

  // A repair packet claiming more frames than K.
  test::Packet repair = packets.packets[4];
  ASSERT_TRUE(repair.header.repair);
  base::put_u16(repair.bytes.data() + wire::kFullHeaderSize + 2, 9);
  decoder.push(repair.bytes, frames);
  EXPECT_EQ(decoder.stats().inconsistent, 2u);

  // A repair packet whose symbol size disagrees with the block's.
  decoder.push(packets.packets[4].bytes, frames);
  test::Packet shorter = packets.packets[5];
  shorter.bytes.pop_back();
  decoder.push(shorter.bytes, frames);
  EXPECT_EQ(decoder.stats().inconsistent, 3u);

  // A source packet with no frame after its frame number.
  std::vector<uint8_t> empty(packets.packets[1].bytes.begin(),
                             packets.packets[1].bytes.begin() + wire::kFullHeaderSize + 2);
  decoder.push(empty, frames);
  EXPECT_EQ(decoder.stats().malformed, 2u);
  EXPECT_EQ(frames.outcomes.size(), 1u);
}

TEST(FrameDecoder, MemoryStaysBoundedUnderAFloodOfBlocks) {
  DecoderConfig config;
  config.max_open_blocks = 4;
  FrameDecoder decoder(config);
  FrameLog frames;
  // One source packet each from 1000 blocks of K = 5, none ever complete.
  for (uint32_t b = 0; b < 1000; ++b) {
    wire::MediaHeader h;
    h.block_id = static_cast<uint16_t>(b);
    h.sequence = b;
    h.timestamp = b;  // all within the deadline: only the table size forces give-up
    h.source_symbols = 5;
    h.repair_symbols = 1;
    std::vector<uint8_t> packet(wire::kFullHeaderSize + 10, 1);
    ASSERT_EQ(wire::write_full(h, nullptr, packet), wire::kFullHeaderSize);
    base::put_u16(packet.data() + wire::kFullHeaderSize, static_cast<uint16_t>(b * 5));
    decoder.push(packet, frames);
  }
  EXPECT_EQ(decoder.stats().received, 1000u);
  EXPECT_EQ(decoder.stats().blocks_given_up, 996u);
  // A packet for a block evicted long ago is late, not a new block.
  wire::MediaHeader h;
  h.block_id = 3;
  h.source_symbols = 5;
  h.repair_symbols = 1;
  std::vector<uint8_t> packet(wire::kFullHeaderSize + 10, 1);
  ASSERT_EQ(wire::write_full(h, nullptr, packet), wire::kFullHeaderSize);
  decoder.push(packet, frames);
  EXPECT_EQ(decoder.stats().late, 1u);
  EXPECT_EQ(decoder.stats().received, 1000u);
}

}  // namespace
}  // namespace wzp::fec
