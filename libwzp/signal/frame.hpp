// Framing of signal messages on a byte stream (a QUIC stream): each message
// is a 4-byte big-endian length followed by that many bytes of JSON.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace wzp::signal {

inline constexpr size_t kFrameHeaderBytes = 4;

// Prefixes a serialized message with its length.
std::string encode_frame(std::string_view message);

enum class FrameStatus : uint8_t {
  kNeedMore,  // no complete frame buffered yet
  kFrame,     // `out` holds the next message
  kTooLarge,  // a frame announced more than kMaxMessageBytes: close the stream
};
const char *to_string(FrameStatus status);

// Reassembles frames from stream chunks of any size. Memory is bounded: it
// never buffers more than one maximal frame, and a frame announcing more
// than kMaxMessageBytes poisons the decoder.
class FrameDecoder {
 public:
  // Appends bytes; returns how many were taken (fewer when the buffer is
  // full: call next() and feed the rest).
  size_t feed(std::span<const uint8_t> bytes);
  FrameStatus next(std::string &out);
  size_t buffered() const { return buffer_.size(); }

 private:
  std::string buffer_;
  bool poisoned_ = false;
};

}  // namespace wzp::signal
