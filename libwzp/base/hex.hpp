// Hex text for keys, fingerprints, room ids and call ids. Encoding and
// decoding go through libsodium's constant-time routines, since some of
// what passes here is secret (traffic secrets, seeds).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace wzp::base {

// Lowercase hex; with group > 0, `separator` between every `group` digits
// ("ab12:cd34" for group 4).
std::string to_hex(std::span<const uint8_t> bytes, size_t group = 0, char separator = ':');
// Lowercase hex into `buffer` (at least 2 * bytes.size() + 1 chars), for
// per-packet code that must not allocate; returns the digits written.
std::string_view to_hex(std::span<const uint8_t> bytes, std::span<char> buffer);

// Strict hex (either case, no separators); false on a non-hex character or
// a length other than 2 * out.size(). `out` is unspecified on false.
bool from_hex(std::string_view text, std::span<uint8_t> out);

bool is_hex_digit(char c);
// Only 0-9 and a-f, and not empty: the canonical form of ids we print.
bool is_lower_hex(std::string_view text);

}  // namespace wzp::base
