// What wzpfecenc and wzpfecdec agree on about a stream's caps: the wire
// media type and codec id (the media clock rate is wire::media_clock_rate).
#pragma once

#include <gst/gst.h>

#include <cstdint>

#include "libwzp/wire/header.hpp"

namespace wzp::gst {

struct StreamKind {
  wire::MediaType media_type = wire::MediaType::kData;
  uint8_t codec = wire::codec::kNone;
};

// From caps such as audio/x-opus or video/x-av1; codec kNone if unknown.
StreamKind stream_kind_from_caps(const GstCaps *caps);
// The caps a decoder of `codec` expects; nullptr for kNone or unknown ids.
GstCaps *caps_for_codec(uint8_t codec);

// Media clock ticks <-> GstClockTime. The wire timestamp is 32 bits;
// `TimestampUnwrapper` extends it to 64 bits along a stream.
uint32_t to_media_ticks(GstClockTime time, uint32_t rate);
class TimestampUnwrapper {
 public:
  GstClockTime to_time(uint32_t ticks, uint32_t rate);
  void reset() { started_ = false; }

 private:
  bool started_ = false;
  uint32_t last_ = 0;
  int64_t extended_ = 0;
};

}  // namespace wzp::gst
