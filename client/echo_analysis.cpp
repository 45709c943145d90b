#include "client/echo_analysis.hpp"

#include <gst/gst.h>

#include <cstdint>

#include "libwzp/audio/envelope.hpp"

namespace wzp::client {
namespace {

constexpr int kAnalysisRate = 8000;  // plenty for a loudness envelope

void on_handoff(GstElement *, GstBuffer *buffer, GstPad *, gpointer data) {
  auto *builder = static_cast<audio::EnvelopeBuilder *>(data);
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return;
  const auto *samples = reinterpret_cast<const int16_t *>(map.data);
  for (size_t i = 0; i < map.size / sizeof(int16_t); ++i) builder->add(samples[i] / 32768.0f);
  gst_buffer_unmap(buffer, &map);
}

}  // namespace

std::optional<std::vector<double>> audio_envelope(const std::string &path, std::string &error) {
  std::string description =
      "filesrc name=file ! decodebin ! audioconvert ! audioresample ! "
      "audio/x-raw,format=S16LE,channels=1,rate=" +
      std::to_string(kAnalysisRate) + " ! fakesink name=sink signal-handoffs=true sync=false";
  GError *gerror = nullptr;
  GstElement *pipeline = gst_parse_launch(description.c_str(), &gerror);
  if (pipeline == nullptr) {
    error = gerror != nullptr ? gerror->message : "cannot build the analysis pipeline";
    g_clear_error(&gerror);
    return std::nullopt;
  }
  GstElement *file = gst_bin_get_by_name(GST_BIN(pipeline), "file");
  g_object_set(file, "location", path.c_str(), nullptr);
  gst_object_unref(file);
  audio::EnvelopeBuilder builder(kAnalysisRate * kEnvelopeWindowMs / 1000);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_signal_connect(sink, "handoff", G_CALLBACK(on_handoff), &builder);
  gst_object_unref(sink);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *end = gst_bus_timed_pop_filtered(
      bus, 60 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  bool ok = end != nullptr && GST_MESSAGE_TYPE(end) == GST_MESSAGE_EOS;
  if (!ok) error = "cannot decode " + path;
  if (end != nullptr) gst_message_unref(end);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  if (!ok) return std::nullopt;
  return builder.envelope();
}

EchoMatch match_echo(const std::vector<double> &sent, const std::vector<double> &received,
                     size_t max_lag, size_t min_overlap) {
  constexpr long kSegment = 2000 / kEnvelopeWindowMs, kSlack = 1000 / kEnvelopeWindowMs;
  audio::EnvelopeMatch best =
      audio::best_lag(sent, received, 0, static_cast<long>(max_lag), min_overlap);
  if (best.correlation == -1) return {};
  return {static_cast<size_t>(best.lag),
          audio::segmented_similarity(sent, received, kSegment, best.lag, kSlack)};
}

}  // namespace wzp::client
