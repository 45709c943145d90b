#include "libwzp/signal/printable.hpp"

#include <cstdint>
#include <cstdio>

namespace wzp::signal {
namespace {

void escape_byte(std::string &out, uint8_t byte) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "\\x%02x", byte);
  out += buffer;
}

// Code points a terminal acts on although they are not C0: C1 controls
// (ESC's 8-bit forms) and the marks that reorder the text around them.
bool is_hidden_control(uint32_t code_point) {
  return (code_point >= 0x80 && code_point <= 0x9f) || code_point == 0x200e ||
         code_point == 0x200f || (code_point >= 0x202a && code_point <= 0x202e) ||
         (code_point >= 0x2066 && code_point <= 0x2069);
}

// The length of the well-formed UTF-8 sequence at `text[i]` (RFC 3629: no
// overlong forms, no surrogates, nothing past U+10FFFF), 0 if there is none.
size_t utf8_sequence(std::string_view text, size_t i, uint32_t &code_point) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  uint8_t lead = byte(i);
  size_t length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 ? 2 : 0;
  if (length == 0 || lead > 0xf4 || i + length > text.size()) return 0;
  code_point = lead & (0x7f >> length);
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i + k) & 0x3f);
  }
  bool overlong = (length == 3 && code_point < 0x800) || (length == 4 && code_point < 0x10000);
  bool surrogate = code_point >= 0xd800 && code_point <= 0xdfff;
  if (overlong || surrogate || code_point > 0x10ffff) return 0;
  return length;
}

}  // namespace

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<uint8_t>(text[i]);
    if (byte < 0x80) {
      if (byte < 0x20 || byte == 0x7f) {
        escape_byte(out, byte);
      } else {
        out.push_back(static_cast<char>(byte));
      }
      ++i;
      continue;
    }
    uint32_t code_point = 0;
    size_t length = utf8_sequence(text, i, code_point);
    if (length == 0) {
      escape_byte(out, byte);
      ++i;
    } else if (is_hidden_control(code_point)) {
      char buffer[16];
      std::snprintf(buffer, sizeof buffer, "\\u{%04x}", static_cast<unsigned>(code_point));
      out += buffer;
      i += length;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

}  // namespace wzp::signal
