#include "web/browser_message.hpp"

#include <gtest/gtest.h>

namespace wzp::web {
namespace {

TEST(BrowserMessage, JoinOpenRoomAndByInvite) {
  auto open = parse_browser_message(R"({"type":"join","room":"standup","invite":null})");
  ASSERT_TRUE(open.message) << open.error;
  auto &join = std::get<Join>(*open.message);
  EXPECT_EQ(join.room, "standup");
  EXPECT_FALSE(join.invite);
  auto invited = parse_browser_message(R"({"type":"join","room":"ops","invite":"wzp-room:ops#x"})");
  ASSERT_TRUE(invited.message);
  EXPECT_EQ(std::get<Join>(*invited.message).invite, "wzp-room:ops#x");
}

TEST(BrowserMessage, CallAndAnswerWithWhoTheBrowserIs) {
  auto call =
      parse_browser_message(R"({"type":"call","callee":"@bob","alias":"carol","identity":")" +
                            std::string(62, 'a') + R"(0F"})");
  ASSERT_TRUE(call.message) << call.error;
  const auto &c = std::get<Call>(*call.message);
  EXPECT_EQ(c.callee, "@bob");
  EXPECT_EQ(c.as.alias, "carol");
  ASSERT_TRUE(c.as.seed);
  EXPECT_EQ((*c.as.seed)[0], 0xaa);
  EXPECT_EQ((*c.as.seed)[31], 0x0f);
  auto answer = parse_browser_message(R"({"type":"answer","alias":null})");
  ASSERT_TRUE(answer.message) << answer.error;
  EXPECT_FALSE(std::get<Answer>(*answer.message).as.alias);
  EXPECT_FALSE(std::get<Answer>(*answer.message).as.seed);
  auto join = parse_browser_message(R"({"type":"join","room":"standup","alias":"dave"})");
  ASSERT_TRUE(join.message) << join.error;
  EXPECT_EQ(std::get<Join>(*join.message).as.alias, "dave");
  EXPECT_FALSE(std::get<Join>(*join.message).as.token);
}

TEST(BrowserMessage, ATokenIsHandedOnAsItIs) {
  auto join = parse_browser_message(R"({"type":"join","room":"standup","token":"ey.J x"})");
  ASSERT_TRUE(join.message) << join.error;
  EXPECT_EQ(std::get<Join>(*join.message).as.token, "ey.J x");
  auto answer = parse_browser_message(R"({"type":"answer","token":null})");
  ASSERT_TRUE(answer.message) << answer.error;
  EXPECT_FALSE(std::get<Answer>(*answer.message).as.token);
  // No longer than the daemon's hello takes.
  std::string longest(signal::kMaxTokenBytes, 't');
  auto call = parse_browser_message(R"({"type":"call","callee":"@b","token":")" + longest + "\"}");
  ASSERT_TRUE(call.message) << call.error;
  for (const std::string &bad : {std::string(R"({"type":"answer","token":""})"),
                                 std::string(R"({"type":"answer","token":7})"),
                                 R"({"type":"answer","token":")" + longest + "t\"}"}) {
    auto parsed = parse_browser_message(bad);
    EXPECT_FALSE(parsed.message) << bad;
    EXPECT_NE(parsed.error.find("token"), std::string::npos) << parsed.error;
  }
}

TEST(BrowserMessage, RefusesWhatIsNotAMessage) {
  for (const char *bad :
       {"", "[]", "{}", R"({"type":7})", R"({"type":"dance"})", R"({"type":"join"})",
        R"({"type":"join","room":""})", R"({"type":"join","room":"a","invite":3})",
        R"({"type":"offer"})", R"({"type":"ice","candidate":"c"})",
        R"({"type":"ice","candidate":"c","sdpMLineIndex":-1})",
        R"({"type":"ice","candidate":"c","sdpMLineIndex":100000})", R"({"type":"call"})",
        R"({"type":"call","callee":""})", R"({"type":"call","callee":"@b","alias":7})",
        R"({"type":"answer","alias":""})", R"({"type":"answer","identity":"abcd"})",
        R"({"type":"answer","identity":7})"}) {
    auto parsed = parse_browser_message(bad);
    EXPECT_FALSE(parsed.message) << bad;
    EXPECT_FALSE(parsed.error.empty()) << bad;
  }
}

TEST(BrowserMessage, IceAndLeave) {
  auto ice = parse_browser_message(R"({"type":"ice","candidate":"candidate:1","sdpMLineIndex":0})");
  ASSERT_TRUE(ice.message);
  EXPECT_EQ(std::get<Candidate>(*ice.message).candidate, "candidate:1");
  auto leave = parse_browser_message(R"({"type":"leave"})");
  ASSERT_TRUE(leave.message);
  EXPECT_TRUE(std::holds_alternative<Leave>(*leave.message));
}

constexpr const char *kChromeOffer =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9\r\nc=IN IP4 0.0.0.0\r\n"
    "a=rtpmap:63 red/48000/2\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:9 G722/8000\r\n";

TEST(OpusPayloadType, FindsOpusInTheAudioSection) {
  std::string error;
  EXPECT_EQ(opus_payload_type(kChromeOffer, error), 111);
  EXPECT_EQ(opus_payload_type("v=0\nm=audio 9 RTP/AVP 109\na=rtpmap:109 OPUS/48000/2\n", error),
            109);
}

TEST(OpusPayloadType, SaysWhatIsMissing) {
  std::string error;
  EXPECT_FALSE(opus_payload_type("hello", error));
  EXPECT_EQ(error, "not an SDP (no v=0)");
  EXPECT_FALSE(
      opus_payload_type("v=0\r\nm=video 9 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2\r\n", error));
  EXPECT_EQ(error, "no audio section");
  EXPECT_FALSE(opus_payload_type("v=0\r\nm=audio 9 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", error));
  EXPECT_EQ(error, "the audio section offers no opus/48000/2");
  // Opus on a static payload type, or only in a second audio section, is not taken.
  EXPECT_FALSE(opus_payload_type("v=0\nm=audio 9 RTP/AVP 8\na=rtpmap:8 opus/48000/2\n", error));
  EXPECT_FALSE(opus_payload_type(
      "v=0\nm=audio 9 RTP/AVP 0\nm=audio 9 RTP/AVP 111\na=rtpmap:111 opus/48000/2\n", error));
}

}  // namespace
}  // namespace wzp::web
