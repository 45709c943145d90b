#include "libwzp/quic/message_framing.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wzp::quic {
namespace {

TEST(MessageFraming, ReassemblesMessagesFromSingleBytes) {
  std::vector<uint8_t> stream;
  std::vector<std::string> sent = {"hello", "", std::string(3000, 'x')};
  for (const auto &message : sent) {
    ASSERT_TRUE(append_framed_message(
        {reinterpret_cast<const uint8_t *>(message.data()), message.size()}, stream));
  }
  std::vector<std::string> received;
  MessageReader reader;
  for (uint8_t byte : stream) {
    ASSERT_TRUE(reader.feed({&byte, 1}, [&](std::span<const uint8_t> m) {
      received.emplace_back(m.begin(), m.end());
    }));
  }
  EXPECT_EQ(received, sent);
}

TEST(MessageFraming, PaddingIsSkipped) {
  std::vector<uint8_t> stream;
  append_padding(stream);
  ASSERT_EQ(stream.size(), kMessageLengthSize);
  const std::string hello = "hello";
  ASSERT_TRUE(append_framed_message({reinterpret_cast<const uint8_t *>(hello.data()), hello.size()},
                                    stream));
  append_padding(stream);
  ASSERT_TRUE(append_framed_message({}, stream));
  std::vector<std::string> received;
  MessageReader reader;
  for (uint8_t byte : stream) {
    ASSERT_TRUE(reader.feed({&byte, 1}, [&](std::span<const uint8_t> m) {
      received.emplace_back(m.begin(), m.end());
    }));
  }
  EXPECT_EQ(received, (std::vector<std::string>{"hello", ""}));
}

TEST(MessageFraming, RefusesLengthAboveTheLimit) {
  MessageReader reader(100);
  const uint8_t prefix[] = {0, 0, 0, 101, 1, 2, 3};
  int calls = 0;
  EXPECT_FALSE(reader.feed(prefix, [&](std::span<const uint8_t>) { ++calls; }));
  EXPECT_TRUE(reader.failed());
  EXPECT_EQ(calls, 0);
  std::vector<uint8_t> too_big(kMaxMessageSize + 1);
  std::vector<uint8_t> out;
  EXPECT_FALSE(append_framed_message(too_big, out));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace wzp::quic
