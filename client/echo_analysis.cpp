#include "client/echo_analysis.hpp"

#include <gst/gst.h>

#include <cmath>
#include <cstdint>

namespace wzp::client {
namespace {

constexpr int kAnalysisRate = 8000;  // plenty for a loudness envelope

struct Accumulator {
  std::vector<double> envelope;
  double sum_squares = 0;
  size_t in_window = 0;
};

void on_handoff(GstElement *, GstBuffer *buffer, GstPad *, gpointer data) {
  auto *acc = static_cast<Accumulator *>(data);
  constexpr size_t kWindow = kAnalysisRate * kEnvelopeWindowMs / 1000;
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return;
  const auto *samples = reinterpret_cast<const int16_t *>(map.data);
  for (size_t i = 0; i < map.size / sizeof(int16_t); ++i) {
    double x = samples[i] / 32768.0;
    acc->sum_squares += x * x;
    if (++acc->in_window == kWindow) {
      acc->envelope.push_back(std::sqrt(acc->sum_squares / kWindow));
      acc->sum_squares = 0;
      acc->in_window = 0;
    }
  }
  gst_buffer_unmap(buffer, &map);
}

double pearson(const std::vector<double> &a, const std::vector<double> &b, size_t lag,
               size_t count) {
  double mean_a = 0, mean_b = 0;
  for (size_t i = 0; i < count; ++i) {
    mean_a += a[i];
    mean_b += b[i + lag];
  }
  mean_a /= count;
  mean_b /= count;
  double cov = 0, var_a = 0, var_b = 0;
  for (size_t i = 0; i < count; ++i) {
    double da = a[i] - mean_a, db = b[i + lag] - mean_b;
    cov += da * db;
    var_a += da * da;
    var_b += db * db;
  }
  return var_a > 0 && var_b > 0 ? cov / std::sqrt(var_a * var_b) : -1;
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
  Accumulator acc;
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_signal_connect(sink, "handoff", G_CALLBACK(on_handoff), &acc);
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
  return acc.envelope;
}

EnvelopeMatch best_envelope_lag(const std::vector<double> &sent,
                                const std::vector<double> &received, size_t max_lag,
                                size_t min_overlap) {
  EnvelopeMatch best;
  for (size_t lag = 0; lag <= max_lag && lag < received.size(); ++lag) {
    size_t count = std::min(sent.size(), received.size() - lag);
    if (count < min_overlap) break;
    double r = pearson(sent, received, lag, count);
    if (r > best.correlation) best = {lag, r};
  }
  return best;
}

}  // namespace wzp::client
