#include "libwzp/wire/keyframe_request.hpp"

#include "libwzp/base/bytes.hpp"

namespace wzp::wire {

size_t write_keyframe_request(const KeyframeRequest &request, std::span<uint8_t> out) {
  if (out.size() < kKeyframeRequestSize) return 0;
  out[0] = kKeyframeRequestType;
  base::put_u32(out.data() + 1, request.stream_id);
  base::put_u16(out.data() + 5, request.number);
  return kKeyframeRequestSize;
}

std::optional<KeyframeRequest> parse_keyframe_request(std::span<const uint8_t> datagram) {
  if (datagram.size() != kKeyframeRequestSize || datagram[0] != kKeyframeRequestType) {
    return std::nullopt;
  }
  return KeyframeRequest{base::get_u32(datagram.data() + 1), base::get_u16(datagram.data() + 5)};
}

std::optional<KeyframeRequest> KeyframeRequester::request(uint32_t stream_id, int64_t now_ns) {
  if (sent_ && now_ns - last_ns_ < min_interval_ns_) {
    ++suppressed_;
    return std::nullopt;
  }
  sent_ = true;
  last_ns_ = now_ns;
  return KeyframeRequest{stream_id, next_number_++};
}

bool KeyframeRequestFilter::accept(const KeyframeRequest &request, uint32_t stream_id,
                                   int64_t now_ns) {
  const bool copy = heard_ && request.number == last_number_;
  heard_ = true;
  last_number_ = request.number;
  if (copy) return false;  // a copy of the last request: not counted as ignored
  if ((request.stream_id != 0 && request.stream_id != stream_id) ||
      (acted_ && now_ns - last_ns_ < min_interval_ns_)) {
    ++ignored_;
    return false;
  }
  acted_ = true;
  last_ns_ = now_ns;
  return true;
}

}  // namespace wzp::wire
