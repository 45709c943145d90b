// What the DTX benches share: running a pipeline to its end, and the change
// docs/dtx.md proposes for the sender, measured before it exists.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <span>

#include "libwzp/audio/opus_dtx.hpp"

namespace wzp::bench {

// Plays `pipeline` until its end of stream (true) or an error (false), then
// stops it; the pipeline is not taken.
inline bool run_to_end(GstElement *pipeline) {
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstMessage *message =
      gst_bus_timed_pop_filtered(GST_ELEMENT_BUS(pipeline), GST_CLOCK_TIME_NONE,
                                 static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  const bool ok = GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS;
  gst_message_unref(message);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  return ok;
}

// A buffer probe that drops Opus's DTX packets (audio::is_opus_dtx_packet)
// and pushes a GAP event of their time in their place, as the receiver's
// wzpjitterbuffer does for frames that never came. `data` is an
// `unsigned *` counting the packets replaced.
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
