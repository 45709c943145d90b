// The deepest bracket nesting of JSON text, counted outside strings without
// parsing, so that hostile input is refused before a JSON parser recurses
// into it. Used by the signal messages and by the daemons' federation link.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace wzp::signal {

inline size_t json_nesting_depth(std::string_view text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace wzp::signal
