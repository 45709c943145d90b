#include "client/call_report.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "client/call_media.hpp"
#include "plugins/gstwzp/wzpmeta.h"

namespace wzp::client {
namespace {

uint64_t frame_key(const WzpHeaderMeta &meta) {
  return uint64_t{meta.header.stream_id} << 32 | meta.header.timestamp;
}

void add_probe(GstElement *pipeline, const char *element_name, GstPadProbeCallback callback,
               void *self) {
  GstElement *element = gst_bin_get_by_name(GST_BIN(pipeline), element_name);
  GstPad *pad = gst_element_get_static_pad(element, "src");
  gst_pad_add_probe(
      pad, static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      callback, self, nullptr);
  gst_object_unref(pad);
  gst_object_unref(element);
}

struct Snapshot {
  uint64_t frames_sent, packets_sent, repair_sent;
  uint64_t received, recovered, given_up, played, concealed, late;
  double rtt_ms, loss;
  uint64_t jitter_delay_ns;
};

Snapshot snapshot(GstElement *sender, GstElement *receiver) {
  GstStructure *fec_tx = element_stats(sender, "fec");
  GstStructure *net_tx = element_stats(sender, "net");
  GstStructure *fec_rx = element_stats(receiver, "fec");
  GstStructure *jitter = element_stats(receiver, "jitter");
  Snapshot s{stats_u64(fec_tx, "frames"),
             stats_u64(fec_tx, "source-packets") + stats_u64(fec_tx, "repair-packets"),
             stats_u64(fec_tx, "repair-packets"),
             stats_u64(fec_rx, "received"),
             stats_u64(fec_rx, "recovered"),
             stats_u64(fec_rx, "blocks-given-up"),
             stats_u64(jitter, "played"),
             stats_u64(jitter, "concealed"),
             stats_u64(jitter, "late"),
             stats_double(net_tx, "rtt-ms"),
             stats_double(net_tx, "datagram-loss"),
             stats_u64(jitter, "current-delay")};
  for (GstStructure *st : {fec_tx, net_tx, fec_rx, jitter}) {
    if (st != nullptr) gst_structure_free(st);
  }
  return s;
}

double percentile(const std::vector<double> &sorted, double q) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(q * sorted.size()))];
}

}  // namespace

void MouthToEar::attach(GstElement *sender, GstElement *receiver) {
  add_probe(sender, "fec", &MouthToEar::on_sent, this);
  add_probe(receiver, "jitter", &MouthToEar::on_played, this);
}

GstPadProbeReturn MouthToEar::on_sent(GstPad *, GstPadProbeInfo *info, gpointer self) {
  auto *me = static_cast<MouthToEar *>(self);
  auto now = std::chrono::steady_clock::now();
  auto record = [me, now](GstBuffer *buffer) {
    WzpHeaderMeta *meta = wzp_buffer_get_header_meta(buffer);
    if (meta != nullptr && !meta->header.repair) me->sent_.emplace(frame_key(*meta), now);
  };
  std::lock_guard lock(me->mutex_);
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
    for (guint i = 0; i < gst_buffer_list_length(list); ++i) record(gst_buffer_list_get(list, i));
  } else {
    record(GST_PAD_PROBE_INFO_BUFFER(info));
  }
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn MouthToEar::on_played(GstPad *, GstPadProbeInfo *info, gpointer self) {
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  WzpHeaderMeta *meta = wzp_buffer_get_header_meta(buffer);
  if (meta == nullptr || GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_GAP))
    return GST_PAD_PROBE_OK;
  auto *me = static_cast<MouthToEar *>(self);
  auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(me->mutex_);
  auto it = me->sent_.find(frame_key(*meta));
  if (it != me->sent_.end()) {
    me->delays_ms_.push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
    me->sent_.erase(it);
  }
  return GST_PAD_PROBE_OK;
}

std::vector<double> MouthToEar::delays_ms() const {
  std::lock_guard lock(mutex_);
  auto sorted = delays_ms_;
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

std::string status_line(GstElement *sender, GstElement *receiver, const std::string &tier) {
  Snapshot s = snapshot(sender, receiver);
  char line[256];
  std::snprintf(line, sizeof line,
                "tier %s | sent %lu frames | rtt %.0f ms | quic loss %.1f %% | jitter buffer %lu ms"
                " | recovered %lu | concealed %lu",
                tier.c_str(), static_cast<unsigned long>(s.frames_sent), s.rtt_ms, s.loss * 100,
                static_cast<unsigned long>(s.jitter_delay_ns / 1000000),
                static_cast<unsigned long>(s.recovered), static_cast<unsigned long>(s.concealed));
  return line;
}

std::string final_report(GstElement *sender, GstElement *receiver, const MouthToEar &delay,
                         const std::string &tier) {
  Snapshot s = snapshot(sender, receiver);
  auto delays = delay.delays_ms();
  double mean =
      delays.empty() ? 0 : std::accumulate(delays.begin(), delays.end(), 0.0) / delays.size();
  double real = s.frames_sent == 0 ? 0 : 100.0 * static_cast<double>(delays.size()) / s.frames_sent;
  char text[1024];
  std::snprintf(text, sizeof text,
                "call summary\n"
                "  tier                  %s\n"
                "  frames sent           %lu (%lu packets, %lu of them repair)\n"
                "  frames received       %lu as sent, %lu recovered by FEC\n"
                "  frames played         %lu from real data (%.1f %% of sent)\n"
                "  frames concealed      %lu (late: %lu, FEC blocks given up: %lu)\n"
                "  mouth-to-ear delay    mean %.0f ms, p95 %.0f ms (encoder input to playout, "
                "network and buffers)\n"
                "  path                  rtt %.0f ms, QUIC-measured loss %.1f %%",
                tier.c_str(), static_cast<unsigned long>(s.frames_sent),
                static_cast<unsigned long>(s.packets_sent),
                static_cast<unsigned long>(s.repair_sent), static_cast<unsigned long>(s.received),
                static_cast<unsigned long>(s.recovered), static_cast<unsigned long>(delays.size()),
                real, static_cast<unsigned long>(s.concealed), static_cast<unsigned long>(s.late),
                static_cast<unsigned long>(s.given_up), mean, percentile(delays, 0.95), s.rtt_ms,
                s.loss * 100);
  return text;
}

std::string call_summary(GstElement *sender, GstElement *receiver, const std::string &tier) {
  Snapshot s = snapshot(sender, receiver);
  char text[1024];
  std::snprintf(text, sizeof text,
                "call summary\n"
                "  tier                  %s\n"
                "  frames sent           %lu (%lu packets, %lu of them repair)\n"
                "  frames received       %lu as sent, %lu recovered by FEC\n"
                "  frames played         %lu from real data, %lu concealed (late: %lu, FEC blocks "
                "given up: %lu)\n"
                "  path to the daemon    rtt %.0f ms, QUIC-measured loss %.1f %%",
                tier.c_str(), static_cast<unsigned long>(s.frames_sent),
                static_cast<unsigned long>(s.packets_sent),
                static_cast<unsigned long>(s.repair_sent), static_cast<unsigned long>(s.received),
                static_cast<unsigned long>(s.recovered), static_cast<unsigned long>(s.played),
                static_cast<unsigned long>(s.concealed), static_cast<unsigned long>(s.late),
                static_cast<unsigned long>(s.given_up), s.rtt_ms, s.loss * 100);
  return text;
}

}  // namespace wzp::client
