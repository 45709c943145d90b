#include "client/call_trace_file.hpp"

#include <cerrno>
#include <cstring>

#include "libwzp/trace/call_trace.hpp"
#include "plugins/gstwzp/wzpmeta.h"

namespace wzp::client {

std::unique_ptr<CallTraceFile> CallTraceFile::create(const std::string &path, std::string &error) {
  FILE *file = std::fopen(path.c_str(), "w");
  if (file == nullptr) {
    error = "--trace: cannot create " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  std::fputs("# wzp call trace (libwzp/trace/call_trace.hpp)\n", file);
  return std::unique_ptr<CallTraceFile>(new CallTraceFile(file));
}

CallTraceFile::~CallTraceFile() {
  if (watched_pad_ != nullptr) {
    gst_pad_remove_probe(watched_pad_, probe_);
    gst_object_unref(watched_pad_);
  }
  std::fclose(file_);
}

void CallTraceFile::write(const std::string &line) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::fputs(line.c_str(), file_);
  std::fputc('\n', file_);
}

void CallTraceFile::watch_arrivals(GstElement *receiver) {
  GstElement *jitter = gst_bin_get_by_name(GST_BIN(receiver), "jitter");
  if (jitter == nullptr || watched_pad_ != nullptr) {
    if (jitter != nullptr) gst_object_unref(jitter);
    return;
  }
  jitter::JitterConfig config;
  guint latency = 0, min_latency = 0, max_latency = 0;
  g_object_get(jitter, "target-quantile", &config.quantile, "latency", &latency, "min-latency",
               &min_latency, "max-latency", &max_latency, nullptr);
  config.latency_ns = int64_t{latency} * GST_MSECOND;
  config.min_latency_ns = int64_t{min_latency} * GST_MSECOND;
  config.max_latency_ns = int64_t{max_latency} * GST_MSECOND;
  write(trace::format_jitter(config));
  watched_pad_ = gst_element_get_static_pad(jitter, "sink");
  // Buffers only: the element has no chain_list, so a list reaches it (and
  // this probe) one buffer at a time; a list probe would see each twice.
  probe_ = gst_pad_add_probe(watched_pad_, GST_PAD_PROBE_TYPE_BUFFER, on_frame, this, nullptr);
  gst_object_unref(jitter);
}

GstPadProbeReturn CallTraceFile::on_frame(GstPad *pad, GstPadProbeInfo *info, gpointer self) {
  static_cast<CallTraceFile *>(self)->record_frame(GST_PAD_PARENT(pad),
                                                   GST_PAD_PROBE_INFO_BUFFER(info));
  return GST_PAD_PROBE_OK;
}

// As the jitter buffer sees the frame: its header's numbers, the buffer's
// duration in media ticks and the element's running time.
void CallTraceFile::record_frame(GstElement *jitter, GstBuffer *buffer) {
  WzpHeaderMeta *meta = wzp_buffer_get_header_meta(buffer);
  GstClockTime now = gst_element_get_current_running_time(jitter);
  if (meta == nullptr || now == GST_CLOCK_TIME_NONE) return;
  const uint32_t clock_rate = wire::media_clock_rate(meta->header.media_type);
  jitter::Arrival arrival{meta->header.sequence, meta->header.timestamp, 0,
                          static_cast<int64_t>(now)};
  if (GST_BUFFER_DURATION_IS_VALID(buffer)) {
    arrival.duration = static_cast<uint32_t>(
        gst_util_uint64_scale_round(GST_BUFFER_DURATION(buffer), clock_rate, GST_SECOND));
  }
  write(trace::format(arrival));
}

}  // namespace wzp::client
