// Signaling messages on a QUIC stream: each message is a 32-bit big-endian
// length followed by that many bytes. The reader reassembles messages from
// arbitrary stream chunks and refuses lengths above its limit, so a peer
// cannot make it buffer without bound. A length of all ones is padding:
// nothing follows it and the reader skips it (the first PTO anchor of a
// stream with nothing else to send carries one, Connection::write_pto_anchor).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace wzp::quic {

inline constexpr size_t kMessageLengthSize = 4;
inline constexpr size_t kMaxMessageSize = 64 * 1024;
inline constexpr uint32_t kPaddingLength = 0xffffffff;

// Appends the length prefix and the message to `out`; false if too large.
bool append_framed_message(std::span<const uint8_t> message, std::vector<uint8_t> &out);
// Appends the padding length prefix (kMessageLengthSize bytes) to `out`.
void append_padding(std::vector<uint8_t> &out);

class MessageReader {
 public:
  using Callback = std::function<void(std::span<const uint8_t>)>;
  explicit MessageReader(size_t max_message_size = kMaxMessageSize)
      : max_message_size_(max_message_size) {}

  // Feeds stream bytes and calls `on_message` for every completed message
  // (never for padding).
  // Returns false once a length prefix exceeds the limit; the reader then
  // stays failed and ignores further input.
  bool feed(std::span<const uint8_t> bytes, const Callback &on_message);
  bool failed() const { return failed_; }

 private:
  size_t max_message_size_;
  uint8_t length_bytes_[kMessageLengthSize] = {};
  size_t length_have_ = 0;
  size_t expected_ = 0;  // valid once length_have_ == kMessageLengthSize
  std::vector<uint8_t> message_;
  bool failed_ = false;
};

}  // namespace wzp::quic
