#include "libwzp/base/hex.hpp"

#include <sodium.h>

#include <algorithm>

namespace wzp::base {

std::string to_hex(std::span<const uint8_t> bytes, size_t group, char separator) {
  std::string digits(2 * bytes.size() + 1, '\0');
  sodium_bin2hex(digits.data(), digits.size(), bytes.data(), bytes.size());
  digits.pop_back();
  if (group == 0) return digits;
  std::string out;
  out.reserve(digits.size() + digits.size() / group);
  for (size_t i = 0; i < digits.size(); i += group) {
    if (i > 0) out += separator;
    out.append(digits, i, group);
  }
  return out;
}

std::string_view to_hex(std::span<const uint8_t> bytes, std::span<char> buffer) {
  if (buffer.size() < 2 * bytes.size() + 1) return {};
  sodium_bin2hex(buffer.data(), buffer.size(), bytes.data(), bytes.size());
  return {buffer.data(), 2 * bytes.size()};
}

bool from_hex(std::string_view text, std::span<uint8_t> out) {
  if (text.size() != 2 * out.size()) return false;
  // Nothing to read; and sodium_hex2bin's output must not be null, which an
  // empty span's may be (UBSan: nonnull argument).
  if (out.empty()) return true;
  size_t written = 0;
  const char *end = nullptr;
  return sodium_hex2bin(out.data(), out.size(), text.data(), text.size(), nullptr, &written,
                        &end) == 0 &&
         written == out.size() && end == text.data() + text.size();
}

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_lower_hex(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

}  // namespace wzp::base
