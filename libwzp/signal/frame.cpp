#include "libwzp/signal/frame.hpp"

#include <algorithm>

#include "libwzp/signal/message.hpp"

namespace wzp::signal {

namespace {
constexpr size_t kMaxBuffered = kFrameHeaderBytes + kMaxMessageBytes;
}

std::string encode_frame(std::string_view message) {
  std::string out(kFrameHeaderBytes, '\0');
  auto size = static_cast<uint32_t>(message.size());
  for (size_t i = 0; i < kFrameHeaderBytes; ++i) {
    out[i] = static_cast<char>(size >> (8 * (kFrameHeaderBytes - 1 - i)));
  }
  out.append(message);
  return out;
}

const char *to_string(FrameStatus status) {
  switch (status) {
    case FrameStatus::kNeedMore:
      return "need_more";
    case FrameStatus::kFrame:
      return "frame";
    case FrameStatus::kTooLarge:
      return "too_large";
  }
  return "unknown";
}

size_t FrameDecoder::feed(std::span<const uint8_t> bytes) {
  if (poisoned_) return 0;
  size_t take = std::min(bytes.size(), kMaxBuffered - buffer_.size());
  buffer_.append(reinterpret_cast<const char *>(bytes.data()), take);
  return take;
}

FrameStatus FrameDecoder::next(std::string &out) {
  if (poisoned_) return FrameStatus::kTooLarge;
  if (buffer_.size() < kFrameHeaderBytes) return FrameStatus::kNeedMore;
  uint32_t size = 0;
  for (size_t i = 0; i < kFrameHeaderBytes; ++i) {
    size = size << 8 | static_cast<uint8_t>(buffer_[i]);
  }
  if (size > kMaxMessageBytes) {
    poisoned_ = true;
    buffer_.clear();
    return FrameStatus::kTooLarge;
  }
  if (buffer_.size() < kFrameHeaderBytes + size) return FrameStatus::kNeedMore;
  out.assign(buffer_, kFrameHeaderBytes, size);
  buffer_.erase(0, kFrameHeaderBytes + size);
  return FrameStatus::kFrame;
}

}  // namespace wzp::signal
