#include "libwzp/signal/printable.hpp"

#include <gtest/gtest.h>

namespace wzp::signal {
namespace {

TEST(Printable, PlainTextAndUtf8PassUnchanged) {
  EXPECT_EQ(printable("the call ended: busy"), "the call ended: busy");
  EXPECT_EQ(printable("Grüße, 日本, 🎧"), "Grüße, 日本, 🎧");
  EXPECT_EQ(printable(""), "");
}

TEST(Printable, TerminalEscapesAreDefused) {
  // Clear screen, then retitle the window (OSC ... BEL).
  EXPECT_EQ(printable("\x1b[2J\x1b]0;pwned\x07ok"), "\\x1b[2J\\x1b]0;pwned\\x07ok");
  EXPECT_EQ(printable("line\r\nfake prompt$ "), "line\\x0d\\x0afake prompt$ ");
  EXPECT_EQ(printable(std::string("a\0b\x7f", 4)), "a\\x00b\\x7f");
  // The 8-bit CSI (U+009B) and a right-to-left override.
  EXPECT_EQ(printable("\xc2\x9b"
                      "2J"),
            "\\u{009b}2J");
  EXPECT_EQ(printable("abc\xe2\x80\xae"
                      "def"),
            "abc\\u{202e}def");
}

TEST(Printable, BytesThatAreNotUtf8AreEscaped) {
  EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(printable("ok\xe2\x82"), "ok\\xe2\\x82");       // cut short
}

}  // namespace
}  // namespace wzp::signal
