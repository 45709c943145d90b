// Video through FEC: a frame is one block of T-byte symbols, keyframes get
// their own repair ratio, and the decoder passes on whole frames only
// (rebuilt if K symbols of the block arrived) or reports the frame lost.
#include <gtest/gtest.h>

#include <random>

#include "fec_test_util.hpp"
#include "libwzp/fec/video_decoder.hpp"

namespace wzp::fec {
namespace {

using test::FrameLog;
using test::PacketLog;

std::vector<uint8_t> video_frame(uint32_t n, size_t size) {
  std::vector<uint8_t> frame(size);
  for (size_t i = 0; i < size; ++i) frame[i] = static_cast<uint8_t>(n * 29 + i * 13 + (i >> 8));
  return frame;
}

EncoderConfig video_config() {
  EncoderConfig config;
  config.media_type = wire::MediaType::kVideo;
  config.codec = wire::codec::kAv1;
  config.repair_ratio = 0.5;
  config.keyframe_repair_ratio = 1.0;
  config.stream_id = 7;
  return config;
}

constexpr uint32_t kFrameTicks = 6000;  // 15 frames/s at 90 kHz

TEST(VideoBlockShape, FewestSymbolsThenSmallestAlignedSize) {
  // 4 + 3000 bytes in symbols of at most 1024: 3 symbols of 1002 -> 1008.
  VideoBlockShape shape = video_block_shape(3000, 1024, 8);
  EXPECT_EQ(shape.K, 3);
  EXPECT_EQ(shape.T, 1008);
  shape = video_block_shape(10, 1024, 8);
  EXPECT_EQ(shape.K, 1);
  EXPECT_EQ(shape.T, 16);
  // Exactly full symbols.
  shape = video_block_shape(2 * 1024 - 4, 1024, 8);
  EXPECT_EQ(shape.K, 2);
  EXPECT_EQ(shape.T, 1024);
  // More than kMaxBlockFrames symbols: refused.
  EXPECT_EQ(video_block_shape(255 * 1024, 1024, 8).K, 0);
  EXPECT_EQ(video_block_shape(0, 1024, 8).K, 0);
}

TEST(VideoBlockShape, AtLeastTheMinimumSymbolsWhileTheyStay64Bytes) {
  // 3004 bytes in at least 8 symbols: 376 each (aligned to 8).
  VideoBlockShape shape = video_block_shape(3000, 1024, 8, 8);
  EXPECT_EQ(shape.K, 8);
  EXPECT_EQ(shape.T, 376);
  // A large frame needs more than the minimum anyway.
  shape = video_block_shape(20000, 1024, 8, 8);
  EXPECT_EQ(shape.K, 20);
  // A small frame: no symbol below 64 bytes (4 + 196 = 200 bytes: 3 of 72).
  shape = video_block_shape(196, 1024, 8, 8);
  EXPECT_EQ(shape.K, 3);
  EXPECT_EQ(shape.T, 72);
  shape = video_block_shape(10, 1024, 8, 8);
  EXPECT_EQ(shape.K, 1);
  EXPECT_EQ(shape.T, 16);
}

TEST(VideoBlocks, AFrameIsOneBlockOfSymbolsFollowedByItsRepair) {
  FrameEncoder encoder(video_config());
  PacketLog log;
  auto key = video_frame(0, 5000);
  auto delta = video_frame(1, 1500);
  ASSERT_EQ(encoder.push({key, 0, true}, log), FrameEncoder::Result::kSent);
  ASSERT_EQ(encoder.push({delta, kFrameTicks, false}, log), FrameEncoder::Result::kSent);
  // Keyframe: 5 source symbols (5004 bytes / 1024) and ratio 1.0 -> 5 repair;
  // delta: 2 source, ceil(0.5 * 2) = 1 repair, all in one go.
  ASSERT_EQ(log.packets.size(), 13u);
  for (size_t i = 0; i < 10; ++i) {
    const auto &h = log.packets[i].header;
    EXPECT_EQ(h.media_type, wire::MediaType::kVideo);
    EXPECT_TRUE(h.keyframe);
    EXPECT_EQ(h.block_id, 0);
    EXPECT_EQ(h.source_symbols, 5);
    EXPECT_EQ(h.repair_symbols, 5);
    EXPECT_EQ(h.symbol_index, i);
    EXPECT_EQ(h.repair, i >= 5);
    EXPECT_EQ(h.timestamp, 0u);
    EXPECT_EQ(h.sequence, i);
    EXPECT_LE(log.packets[i].bytes.size(), 24u + 6 + 1024);
  }
  for (size_t i = 10; i < 13; ++i) {
    const auto &h = log.packets[i].header;
    EXPECT_FALSE(h.keyframe);
    EXPECT_EQ(h.block_id, 1);
    EXPECT_EQ(h.source_symbols, 2);
    EXPECT_EQ(h.repair_symbols, 1);
    EXPECT_EQ(h.timestamp, kFrameTicks);
  }
  EXPECT_EQ(encoder.stats().frames, 2u);
  EXPECT_EQ(encoder.stats().keyframe_blocks, 1u);
  EXPECT_FALSE(encoder.group_open());  // nothing waits for a deadline

  FrameDecoder decoder;
  FrameLog frames;
  for (const auto &p : log.packets) decoder.push(p.bytes, frames);
  ASSERT_EQ(frames.outcomes.size(), 2u);
  EXPECT_EQ(frames.outcomes[0].data, key);
  EXPECT_EQ(frames.outcomes[0].frame_number, 0u);
  EXPECT_FALSE(frames.outcomes[0].recovered);
  EXPECT_EQ(frames.outcomes[1].data, delta);
  EXPECT_EQ(frames.outcomes[1].timestamp, kFrameTicks);
  EXPECT_EQ(decoder.stats().unneeded_repair, 6u);  // repair after the frames were whole
}

TEST(VideoBlocks, AnyKSymbolsRebuildTheFrame) {
  FrameEncoder encoder(video_config());
  PacketLog log;
  auto key = video_frame(0, 5000);
  encoder.push({key, 0, true}, log);
  ASSERT_EQ(log.packets.size(), 10u);
  // Every source symbol but the first lost: 1 source + 4 repair.
  FrameDecoder decoder;
  FrameLog frames;
  for (size_t i : {0, 5, 6, 7}) decoder.push(log.packets[i].bytes, frames);
  EXPECT_TRUE(frames.outcomes.empty());  // 4 of 5: nothing half-made goes out
  decoder.push(log.packets[8].bytes, frames);
  ASSERT_EQ(frames.outcomes.size(), 1u);
  EXPECT_EQ(frames.outcomes[0].data, key);
  EXPECT_TRUE(frames.outcomes[0].recovered);
  EXPECT_EQ(decoder.stats().recovered, 1u);
  EXPECT_EQ(decoder.stats().blocks_recovered, 1u);
  decoder.push(log.packets[9].bytes, frames);
  decoder.push(log.packets[1].bytes, frames);
  EXPECT_EQ(frames.outcomes.size(), 1u);  // exactly one outcome
}

TEST(VideoBlocks, AFrameShortOfKSymbolsIsReportedLostAtTheDeadline) {
  FrameEncoder encoder(video_config());
  PacketLog log;
  for (uint32_t n = 0; n < 12; ++n) {
    encoder.push({video_frame(n, 2000), n * kFrameTicks, n == 0}, log);
  }
  // Frame 2: 2 source + 1 repair; keep only its first source symbol.
  FrameDecoder decoder(DecoderConfig{.video_deadline = 3 * kFrameTicks});
  FrameLog frames;
  size_t frame2_packets = 0;
  for (const auto &p : log.packets) {
    if (p.header.block_id == 2 && p.header.symbol_index != 0) {
      ++frame2_packets;
      continue;
    }
    decoder.push(p.bytes, frames);
  }
  ASSERT_EQ(frame2_packets, 2u);
  const auto *lost = frames.find(2);
  ASSERT_NE(lost, nullptr);
  EXPECT_TRUE(lost->lost);
  EXPECT_EQ(lost->timestamp, 2 * kFrameTicks);  // the frame's own, from its packet
  EXPECT_EQ(decoder.stats().unrecoverable, 1u);
  EXPECT_EQ(decoder.stats().blocks_given_up, 1u);
  // Given up once frame 6 (more than 3 frames later) came in, not before.
  size_t position = static_cast<size_t>(lost - frames.outcomes.data());
  EXPECT_EQ(frames.outcomes[position - 1].frame_number, 5u);
  EXPECT_EQ(frames.outcomes.size(), 12u);
  // Its straggling packets are late, not a second outcome.
  uint64_t late_before = decoder.stats().late + decoder.stats().unneeded_repair;
  for (const auto &p : log.packets) {
    if (p.header.block_id == 2 && p.header.symbol_index != 0) decoder.push(p.bytes, frames);
  }
  EXPECT_EQ(frames.outcomes.size(), 12u);
  EXPECT_EQ(decoder.stats().late + decoder.stats().unneeded_repair - late_before, 2u);
}

TEST(VideoBlocks, AtTenPercentLossEveryFrameIsWholeOrReportedLost) {
  EncoderConfig config = video_config();
  config.repair_ratio = 1.0;
  FrameEncoder encoder(config);
  FrameDecoder decoder(DecoderConfig{.video_deadline = 5 * kFrameTicks});
  FrameLog frames;
  std::mt19937 rng(18);
  std::bernoulli_distribution lose(0.1);
  std::vector<std::vector<uint8_t>> sent;
  struct Forward : PacketSink {
    FrameDecoder *decoder;
    FrameLog *frames;
    std::mt19937 *rng;
    std::bernoulli_distribution *lose;
    void on_packet(std::span<const uint8_t> packet, const wire::MediaHeader &) override {
      if (!(*lose)(*rng)) decoder->push(packet, *frames);
    }
  } forward;
  forward.decoder = &decoder;
  forward.frames = &frames;
  forward.rng = &rng;
  forward.lose = &lose;
  for (uint32_t n = 0; n < 300; ++n) {
    sent.push_back(video_frame(n, n % 30 == 0 ? 9000 : 1200 + (n * 97) % 2500));
    encoder.push({sent.back(), n * kFrameTicks, n % 30 == 0}, forward);
  }
  decoder.flush(frames);
  size_t whole = 0, lost = 0;
  std::vector<int> outcomes(sent.size(), 0);
  for (const auto &o : frames.outcomes) {
    ASSERT_LT(o.frame_number, sent.size());
    ++outcomes[o.frame_number];
    if (o.lost) {
      ++lost;
    } else {
      ASSERT_EQ(o.data, sent[o.frame_number]) << "frame " << o.frame_number;
      ++whole;
    }
  }
  for (int count : outcomes) EXPECT_LE(count, 1);
  // At 10 % loss and ratio 1, nearly every frame comes back (K = 2..4 plus
  // as many repair: a block needs more than half its packets lost).
  EXPECT_GE(whole, 294u);
  EXPECT_EQ(whole + lost + std::count(outcomes.begin(), outcomes.end(), 0), sent.size());
}

TEST(VideoBlocks, TooLargeAFrameIsRefusedAndCounted) {
  FrameEncoder encoder(video_config());
  PacketLog log;
  auto huge = video_frame(0, 255 * 1024);
  EXPECT_EQ(encoder.push({huge, 0, true}, log), FrameEncoder::Result::kOversize);
  EXPECT_EQ(encoder.stats().rejected_oversize, 1u);
  EXPECT_TRUE(log.packets.empty());
}

TEST(VideoBlocks, ContradictoryPacketsAreCountedNotTrusted) {
  FrameEncoder encoder(video_config());
  PacketLog log;
  encoder.push({video_frame(0, 3000), 0, true}, log);
  FrameDecoder decoder;
  FrameLog frames;
  decoder.push(log.packets[0].bytes, frames);
  // The same block with another symbol size: inconsistent.
  auto changed = log.packets[1].bytes;
  changed.resize(changed.size() - 8);
  decoder.push(changed, frames);
  EXPECT_EQ(decoder.stats().inconsistent, 1u);
  // A repair prefix claiming several frames in a video block.
  auto repair = log.packets[3].bytes;
  ASSERT_TRUE(log.packets[3].header.repair);
  repair[wire::kFullHeaderSize + 3] = 2;  // n = 2
  decoder.push(repair, frames);
  EXPECT_EQ(decoder.stats().inconsistent, 2u);
  for (size_t i = 1; i < log.packets.size(); ++i) decoder.push(log.packets[i].bytes, frames);
  ASSERT_EQ(frames.outcomes.size(), 1u);
  EXPECT_EQ(frames.outcomes[0].data, video_frame(0, 3000));
}

}  // namespace
}  // namespace wzp::fec
