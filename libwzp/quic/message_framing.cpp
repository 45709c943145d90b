#include "libwzp/quic/message_framing.hpp"

#include <algorithm>

#include "libwzp/base/bytes.hpp"

namespace wzp::quic {

bool append_framed_message(std::span<const uint8_t> message, std::vector<uint8_t> &out) {
  if (message.size() > kMaxMessageSize) return false;
  auto size = static_cast<uint32_t>(message.size());
  uint8_t prefix[kMessageLengthSize];
  base::put_be(prefix, size, kMessageLengthSize);
  out.insert(out.end(), prefix, prefix + kMessageLengthSize);
  out.insert(out.end(), message.begin(), message.end());
  return true;
}

void append_padding(std::vector<uint8_t> &out) {
  uint8_t prefix[kMessageLengthSize];
  base::put_be(prefix, kPaddingLength, kMessageLengthSize);
  out.insert(out.end(), prefix, prefix + kMessageLengthSize);
}

bool MessageReader::feed(std::span<const uint8_t> bytes, const Callback &on_message) {
  while (!failed_ && !bytes.empty()) {
    if (length_have_ < kMessageLengthSize) {
      size_t take = std::min(kMessageLengthSize - length_have_, bytes.size());
      std::copy_n(bytes.begin(), take, length_bytes_ + length_have_);
      length_have_ += take;
      bytes = bytes.subspan(take);
      if (length_have_ < kMessageLengthSize) break;
      expected_ = base::get_be(length_bytes_, kMessageLengthSize);
      if (expected_ == kPaddingLength) {
        length_have_ = 0;
        continue;
      }
      if (expected_ > max_message_size_) {
        failed_ = true;
        break;
      }
      message_.clear();
    }
    size_t take = std::min(expected_ - message_.size(), bytes.size());
    message_.insert(message_.end(), bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(take));
    bytes = bytes.subspan(take);
    if (message_.size() == expected_) {
      length_have_ = 0;
      on_message(message_);
    }
  }
  return !failed_;
}

}  // namespace wzp::quic
