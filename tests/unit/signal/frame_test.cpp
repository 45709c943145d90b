#include "libwzp/signal/frame.hpp"

#include <gtest/gtest.h>

#include "libwzp/signal/message.hpp"

namespace wzp::signal {
namespace {

std::span<const uint8_t> bytes_of(const std::string &s) {
  return {reinterpret_cast<const uint8_t *>(s.data()), s.size()};
}

TEST(SignalFrame, ReassemblesAcrossChunkBoundaries) {
  std::string stream = encode_frame("first") + encode_frame("") + encode_frame("third one");
  FrameDecoder decoder;
  std::vector<std::string> got;
  std::string out;
  for (size_t i = 0; i < stream.size(); ++i) {  // one byte at a time
    ASSERT_EQ(decoder.feed(bytes_of(stream).subspan(i, 1)), 1u);
    while (decoder.next(out) == FrameStatus::kFrame) got.push_back(out);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"first", "", "third one"}));
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(SignalFrame, OversizedFramePoisonsTheDecoder) {
  FrameDecoder decoder;
  const std::string header{0, 1, 0, 1};  // announces 65537 bytes
  decoder.feed(bytes_of(header));
  std::string out;
  EXPECT_EQ(decoder.next(out), FrameStatus::kTooLarge);
  EXPECT_EQ(decoder.feed(bytes_of(encode_frame("x"))), 0u);
  EXPECT_EQ(decoder.next(out), FrameStatus::kTooLarge);
}

TEST(SignalFrame, BufferIsBounded) {
  FrameDecoder decoder;
  std::string big = encode_frame(std::string(kMaxMessageBytes, 'x')) + encode_frame("next");
  size_t taken = decoder.feed(bytes_of(big));
  EXPECT_EQ(taken, kFrameHeaderBytes + kMaxMessageBytes);
  std::string out;
  ASSERT_EQ(decoder.next(out), FrameStatus::kFrame);
  EXPECT_EQ(out.size(), kMaxMessageBytes);
  decoder.feed(bytes_of(big).subspan(taken));
  ASSERT_EQ(decoder.next(out), FrameStatus::kFrame);
  EXPECT_EQ(out, "next");
}

}  // namespace
}  // namespace wzp::signal
