// GstHarness helpers the element tests share: push S16 audio, pull what came
// out, read one counter from an element's "stats" structure, gate a pad by
// running time.
#pragma once

#include <gst/check/gstharness.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace wzp::test {

// Waits up to `timeout` for `pipeline` to end; it must end in EOS, not an error.
inline void expect_eos(GstElement *pipeline, GstClockTime timeout) {
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *end = gst_bus_timed_pop_filtered(
      bus, timeout, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  gst_object_unref(bus);
  ASSERT_NE(end, nullptr) << "no EOS within the timeout";
  EXPECT_EQ(GST_MESSAGE_TYPE(end), GST_MESSAGE_EOS);
  gst_message_unref(end);
}

// Pushes mono S16 `pcm` at `rate` in buffers of `samples_per_buffer`, stamped
// as if the stream had started `first_sample` samples earlier.
inline void push_s16(GstHarness *h, const std::vector<int16_t> &pcm, int rate,
                     size_t samples_per_buffer, size_t first_sample = 0) {
  for (size_t at = 0; at < pcm.size(); at += samples_per_buffer) {
    const size_t n = std::min(samples_per_buffer, pcm.size() - at);
    GstBuffer *buffer = gst_buffer_new_memdup(pcm.data() + at, n * sizeof(int16_t));
    GST_BUFFER_PTS(buffer) = gst_util_uint64_scale(first_sample + at, GST_SECOND, rate);
    GST_BUFFER_DURATION(buffer) = gst_util_uint64_scale(n, GST_SECOND, rate);
    ASSERT_EQ(gst_harness_push(h, buffer), GST_FLOW_OK);
  }
}

// Every buffer waiting at the harness's sink; the caller owns them.
inline std::vector<GstBuffer *> pull_buffers(GstHarness *h) {
  std::vector<GstBuffer *> out;
  while (GstBuffer *b = gst_harness_try_pull(h)) out.push_back(b);
  return out;
}

// Every S16 buffer waiting at the harness's sink, back to back.
inline std::vector<int16_t> pull_s16(GstHarness *h) {
  std::vector<int16_t> pcm;
  for (GstBuffer *b : pull_buffers(h)) {
    const size_t at = pcm.size();
    pcm.resize(at + gst_buffer_get_size(b) / sizeof(int16_t));
    gst_buffer_extract(b, 0, pcm.data() + at, gst_buffer_get_size(b));
    gst_buffer_unref(b);
  }
  return pcm;
}

// One guint64 field of the "stats" structure of the harness's element made
// by `factory` (gst_harness_new_parse wraps elements in a bin).
inline guint64 element_stat(GstHarness *h, const char *factory, const char *field) {
  GstElement *element = gst_harness_find_element(h, factory);
  EXPECT_NE(element, nullptr) << factory;
  if (element == nullptr) return 0;
  GstStructure *stats = nullptr;
  g_object_get(element, "stats", &stats, nullptr);
  gst_object_unref(element);
  guint64 value = 0;
  EXPECT_TRUE(gst_structure_get_uint64(stats, field, &value)) << field;
  gst_structure_free(stats);
  return value;
}

// Lets buffers leave `element`'s "src" pad only between two running times
// (seconds): a room participant who joins at `from` and is gone at `to`.
inline void pass_only_between(GstElement *element, double from, double to) {
  using Window = std::pair<GstClockTime, GstClockTime>;
  GstPad *output = gst_element_get_static_pad(element, "src");
  gst_pad_add_probe(
      output,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      [](GstPad *pad, GstPadProbeInfo *, gpointer data) {
        auto *w = static_cast<Window *>(data);
        GstClockTime now = gst_element_get_current_running_time(GST_PAD_PARENT(pad));
        return now >= w->first && now < w->second ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
      },
      new Window(from * GST_SECOND, to * GST_SECOND),
      [](gpointer data) { delete static_cast<Window *>(data); });
  gst_object_unref(output);
}

}  // namespace wzp::test
