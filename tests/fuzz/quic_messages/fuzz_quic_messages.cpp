// Signaling-stream bytes from a hostile peer: the reader must never crash,
// never hand up a message above its limit, and must deliver exactly what
// the framing says.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "libwzp/quic/message_framing.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the chunking, so split reads get exercised too.
  size_t chunk = 1 + data[0] % 17;
  std::span<const uint8_t> input(data + 1, size - 1);
  wzp::quic::MessageReader reader(1024);
  size_t delivered = 0;
  while (!input.empty()) {
    auto piece = input.first(std::min(chunk, input.size()));
    reader.feed(piece, [&](std::span<const uint8_t> message) {
      if (message.size() > 1024) std::abort();
      delivered += message.size() + wzp::quic::kMessageLengthSize;
    });
    input = input.subspan(piece.size());
  }
  if (delivered > size - 1) std::abort();
  return 0;
}
