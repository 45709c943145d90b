#include "libwzp/audio/opus_dtx.hpp"

#include <gtest/gtest.h>

#include <array>

namespace wzp::audio {
namespace {

TEST(OpusDtx, AOneByteCodeZeroPacketIsDtx) {
  // TOC 0x08: SILK narrowband 20 ms, mono, code 0 — what libopus sends.
  const std::array<uint8_t, 1> dtx{0x08};
  EXPECT_TRUE(is_opus_dtx_packet(dtx));
  // TOC 0x79: hybrid 20 ms, code 1 (two zero-length frames) — libopus's DTX
  // packet at frame-size=40.
  const std::array<uint8_t, 1> two_frames{0x79};
  EXPECT_TRUE(is_opus_dtx_packet(two_frames));
}

TEST(OpusDtx, PacketsWithAudioOrOtherFrameCodesAreNot) {
  const std::array<uint8_t, 3> update{0x08, 0x12, 0x34};  // the periodic noise update
  EXPECT_FALSE(is_opus_dtx_packet(update));
  const std::array<uint8_t, 1> code2{0x0A};  // code 2 needs a length byte: malformed
  EXPECT_FALSE(is_opus_dtx_packet(code2));
  const std::array<uint8_t, 1> code3{0x0B};  // code 3 needs a frame-count byte: malformed
  EXPECT_FALSE(is_opus_dtx_packet(code3));
  EXPECT_FALSE(is_opus_dtx_packet({}));
}

}  // namespace
}  // namespace wzp::audio
