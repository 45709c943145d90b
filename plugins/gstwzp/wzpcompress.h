// Time compression between wzpjitterbuffer and a decoder that can play a
// frame's audio shorter (wzpvoicedec; libwzp/audio/time_compress.hpp), so
// the jitter buffer lowers its delay without dropping a frame.
//
// 1. The jitter buffer asks downstream with a custom query (wzp_compress_query_new);
//    a decoder that can compress answers it TRUE. Nothing else answers it
//    (stock opusdec): the buffer then shrinks by dropping frames, as before.
// 2. Before a frame it may shorten, the jitter buffer sends a custom
//    serialized downstream event with the most it may remove
//    (wzp_compress_event_new); the decoder applies it to that frame's audio.
// 3. The decoder reports what it removed (maybe less, maybe nothing) with a
//    custom upstream event (wzp_compressed_event_new), sent from the
//    streaming thread before the frame's push returns: the jitter buffer
//    moves its timeline earlier by as much before timing the next frame, so
//    the output timeline has neither hole nor overlap.
#pragma once

#include <gst/gst.h>

#include <cstdint>

namespace wzp::gst::compress {

inline constexpr const char *kQueryName = "wzp-time-compression";
inline constexpr const char *kRequestName = "wzp-compress";
inline constexpr const char *kReportName = "wzp-compressed";
inline constexpr const char *kField = "time";  // guint64 ns

inline GstQuery *query_new() {
  return gst_query_new_custom(GST_QUERY_CUSTOM, gst_structure_new_empty(kQueryName));
}

inline bool is_query(GstQuery *query) {
  const GstStructure *s = gst_query_get_structure(query);
  return GST_QUERY_TYPE(query) == GST_QUERY_CUSTOM && s != nullptr &&
         gst_structure_has_name(s, kQueryName);
}

inline GstEvent *request_new(int64_t max_remove_ns) {
  return gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM,
                              gst_structure_new(kRequestName, kField, G_TYPE_UINT64,
                                                static_cast<guint64>(max_remove_ns), nullptr));
}

inline GstEvent *report_new(int64_t removed_ns) {
  return gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM,
                              gst_structure_new(kReportName, kField, G_TYPE_UINT64,
                                                static_cast<guint64>(removed_ns), nullptr));
}

// The time an event of ours named `name` carries, or -1 if it is not one.
inline int64_t event_time(GstEvent *event, const char *name) {
  const GstStructure *s = gst_event_get_structure(event);
  guint64 time = 0;
  if (s == nullptr || !gst_structure_has_name(s, name) ||
      !gst_structure_get_uint64(s, kField, &time)) {
    return -1;
  }
  return static_cast<int64_t>(time);
}

}  // namespace wzp::gst::compress
