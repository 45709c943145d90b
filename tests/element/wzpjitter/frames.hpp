// Frames as wzpfecdec hands them to the jitter buffer: one encoded frame per
// buffer, with the header meta carrying its sequence number and timestamp.
#pragma once

#include <gst/check/gstharness.h>
#include <gst/gst.h>

#include <cstdint>
#include <vector>

#include "plugins/gstwzp/wzpmeta.h"

namespace wzp::test {

inline constexpr GstClockTime kFrame = 20 * GST_MSECOND;
inline constexpr uint32_t kTicks = 960;

inline GstBuffer *make_frame(uint32_t sequence, const std::vector<uint8_t> &payload = {0xfc},
                             uint32_t stream_id = 1) {
  GstBuffer *buffer = gst_buffer_new_memdup(payload.data(), payload.size());
  wzp::wire::MediaHeader header;
  header.codec = wzp::wire::codec::kOpus;
  header.stream_id = stream_id;
  header.sequence = sequence;
  header.timestamp = sequence * kTicks;
  wzp_buffer_set_header_meta(buffer, header, nullptr, 0);
  GST_BUFFER_DURATION(buffer) = kFrame;
  return buffer;
}

// Pushes a frame as if it arrived at running time `arrival`.
inline void arrive(GstHarness *h, GstClockTime arrival, GstBuffer *frame) {
  gst_harness_set_time(h, arrival);
  gst_harness_push(h, frame);
}

// The next event that is not stream bookkeeping (stream-start, caps, segment).
inline GstEvent *pull_flow_event(GstHarness *h) {
  for (;;) {
    GstEvent *event = gst_harness_pull_event(h);
    if (event == nullptr) return nullptr;
    switch (GST_EVENT_TYPE(event)) {
      case GST_EVENT_STREAM_START:
      case GST_EVENT_CAPS:
      case GST_EVENT_SEGMENT:
        gst_event_unref(event);
        continue;
      default:
        return event;
    }
  }
}

}  // namespace wzp::test
