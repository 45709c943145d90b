// The change docs/dtx.md proposes for the sender, measured before it exists:
// a pad probe that drops Opus's DTX packets (wzp::audio::is_opus_dtx_packet)
// and pushes a GAP event of their time in their place, as the receiver's
// wzpjitterbuffer does for frames that never came.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <span>

#include "libwzp/audio/opus_dtx.hpp"

namespace wzp::bench {

// A buffer probe; `data` is an `unsigned *` counting the packets replaced.
inline GstPadProbeReturn replace_opus_dtx_with_gap(GstPad *pad, GstPadProbeInfo *info,
                                                   gpointer data) {
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  uint8_t first[2];
  const size_t size = gst_buffer_extract(buffer, 0, first, sizeof first);
  if (!audio::is_opus_dtx_packet(std::span<const uint8_t>(first, size))) return GST_PAD_PROBE_OK;
  ++*static_cast<unsigned *>(data);
  gst_pad_push_event(pad, gst_event_new_gap(GST_BUFFER_PTS(buffer), GST_BUFFER_DURATION(buffer)));
  return GST_PAD_PROBE_DROP;
}

}  // namespace wzp::bench
