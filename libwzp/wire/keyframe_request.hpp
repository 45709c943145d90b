// The keyframe request: a receiver that lost a video frame it cannot
// rebuild asks the sender for a keyframe (RTCP PLI's job) with a small
// datagram of its own, not a wzp packet (docs/PROTOCOL.md, "Keyframe
// requests"):
//
//   u8 0x02 | u32 stream id | u16 request number
//
// Seven bytes: shorter than any wzp packet and version bits 00, so no parser
// takes it for media. A receiver sends each request kKeyframeRequestCopies
// times (a datagram is as likely to be lost as the frame was); the copies
// share a number, so the sender acts once. Both ends are rate-limited here,
// clock-free: every time is an argument.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace wzp::wire {

inline constexpr uint8_t kKeyframeRequestType = 0x02;
inline constexpr size_t kKeyframeRequestSize = 7;
inline constexpr int kKeyframeRequestCopies = 3;

struct KeyframeRequest {
  uint32_t stream_id = 0;  // the video stream wanted; 0: whichever video the peer sends
  uint16_t number = 0;     // +1 per request; copies repeat it

  bool operator==(const KeyframeRequest &) const = default;
};

// Writes the 7 bytes; 0 if `out` is too small.
size_t write_keyframe_request(const KeyframeRequest &request, std::span<uint8_t> out);
// nullopt unless `datagram` is exactly a keyframe request.
std::optional<KeyframeRequest> parse_keyframe_request(std::span<const uint8_t> datagram);

// The receiver's side: numbers the requests and spaces them at least
// `min_interval_ns` apart (the decoder repeats an unanswered one anyway).
class KeyframeRequester {
 public:
  explicit KeyframeRequester(int64_t min_interval_ns) : min_interval_ns_(min_interval_ns) {}
  // The request to send now for `stream_id`, or nullopt if one went out
  // less than the interval ago.
  std::optional<KeyframeRequest> request(uint32_t stream_id, int64_t now_ns);
  uint64_t suppressed() const { return suppressed_; }

 private:
  int64_t min_interval_ns_;
  bool sent_ = false;
  int64_t last_ns_ = 0;
  uint16_t next_number_ = 0;
  uint64_t suppressed_ = 0;
};

// The sender's side: acts on a request once (its copies and any replay of
// an old number are ignored) and at most once per `min_interval_ns`, so a
// peer cannot make it send nothing but keyframes.
class KeyframeRequestFilter {
 public:
  explicit KeyframeRequestFilter(int64_t min_interval_ns) : min_interval_ns_(min_interval_ns) {}
  // Whether the encoder should make a keyframe for `request` at `now_ns`;
  // `stream_id` is the video stream this sender sends.
  bool accept(const KeyframeRequest &request, uint32_t stream_id, int64_t now_ns);
  uint64_t ignored() const { return ignored_; }

 private:
  int64_t min_interval_ns_;
  bool heard_ = false;
  uint16_t last_number_ = 0;
  bool acted_ = false;
  int64_t last_ns_ = 0;
  uint64_t ignored_ = 0;
};

}  // namespace wzp::wire
