// Any byte stream, fed in uneven chunks, into the frame decoder and each
// frame into the parser: bounded memory, no crash.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "libwzp/signal/frame.hpp"
#include "libwzp/signal/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::signal;
  FrameDecoder decoder;
  std::span<const uint8_t> rest(data, size);
  std::string frame;
  size_t chunk = size > 0 ? data[0] % 17 + 1 : 1;
  while (!rest.empty()) {
    size_t taken = decoder.feed(rest.first(std::min(chunk, rest.size())));
    rest = rest.subspan(taken);
    FrameStatus status;
    while ((status = decoder.next(frame)) == FrameStatus::kFrame) {
      if (frame.size() > kMaxMessageBytes) std::abort();
      parse(frame);
    }
    if (status == FrameStatus::kTooLarge) break;
    if (decoder.buffered() > kFrameHeaderBytes + kMaxMessageBytes) std::abort();
  }
  return 0;
}
