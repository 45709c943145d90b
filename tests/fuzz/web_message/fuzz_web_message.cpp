// Any bytes into wzp-web's parsers, as a browser message and as an offer's
// SDP: each returns a result or a reason, and a result is well formed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "libwzp/crypto/room_access.hpp"
#include "web/browser_message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::web;
  std::string_view text(reinterpret_cast<const char *>(data), size);
  ParsedBrowserMessage parsed = parse_browser_message(text);
  if (parsed.message.has_value() == !parsed.error.empty()) std::abort();
  if (parsed.message) {
    if (auto *join = std::get_if<Join>(&*parsed.message)) {
      if (!wzp::crypto::valid_room_name(join->room)) std::abort();
    }
  }
  std::string error;
  auto pt = opus_payload_type(text, error);
  if (pt.has_value() == !error.empty()) std::abort();
  if (pt && (*pt < 96 || *pt > 127)) std::abort();
  return 0;
}
