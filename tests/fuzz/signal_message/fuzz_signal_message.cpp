// Any bytes into the signal parser: it must return an error or a message that
// serializes and parses back to the same kind.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "libwzp/signal/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::signal;
  Parsed parsed = parse(std::string_view(reinterpret_cast<const char *>(data), size));
  if (parsed.error != ParseError::kOk) {
    if (parsed.message || parsed.detail.empty()) std::abort();
    return 0;
  }
  if (!parsed.message) std::abort();
  Parsed again = parse(serialize(*parsed.message, parsed.request_id));
  if (again.error != ParseError::kOk || again.kind != parsed.kind ||
      again.request_id != parsed.request_id) {
    std::abort();
  }
  return 0;
}
