#include "client/call_report.hpp"

#include <algorithm>
#include <cstdio>

#include "client/call_media.hpp"
#include "plugins/gstwzp/wzpmeta.h"
#include "plugins/gstwzp/wzpstats.h"

namespace wzp::client {

namespace stats = wzp::gst::stats;
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
  // How the jitter buffer shrank its delay: frames played shorter (and the
  // time they lost), and frames dropped where it could not.
  uint64_t compressed, compressed_ns, shrunk;
  // What our QUIC link did with the packets: sent, or dropped unsent
  // because the congestion window left no room before they went stale.
  uint64_t datagrams_sent, dropped_stale, dropped_full;
  uint64_t congestion_restarts;    // the link starved media and started afresh
  uint64_t server_restarts_asked;  // the server did, and asked us to restart it
};

Snapshot snapshot(GstElement *sender, GstElement *receiver) {
  GstStructure *fec_tx = element_stats(sender, "fec");
  GstStructure *net_tx = element_stats(sender, "net");
  GstStructure *fec_rx = element_stats(receiver, "fec");
  GstStructure *jitter = element_stats(receiver, "jitter");
  Snapshot s{stats_u64(fec_tx, stats::fec_enc::kFrames),
             stats_u64(fec_tx, stats::fec_enc::kSourcePackets) +
                 stats_u64(fec_tx, stats::fec_enc::kRepairPackets),
             stats_u64(fec_tx, stats::fec_enc::kRepairPackets),
             stats_u64(fec_rx, stats::fec_dec::kReceived),
             stats_u64(fec_rx, stats::fec_dec::kRecovered),
             stats_u64(fec_rx, stats::fec_dec::kBlocksGivenUp),
             stats_u64(jitter, stats::jitter::kPlayed),
             stats_u64(jitter, stats::jitter::kConcealed),
             stats_u64(jitter, stats::jitter::kLate),
             stats_double(net_tx, stats::quic::kRttMs),
             stats_double(net_tx, stats::quic::kDatagramLoss),
             stats_u64(jitter, stats::jitter::kCurrentDelay),
             stats_u64(jitter, stats::jitter::kCompressed),
             stats_u64(jitter, stats::jitter::kCompressedTime),
             stats_u64(jitter, stats::jitter::kShrunk),
             stats_u64(net_tx, stats::quic::kDatagramsSent),
             stats_u64(net_tx, stats::quic::kDatagramsDroppedStale),
             stats_u64(net_tx, stats::quic::kDatagramsDroppedFull),
             stats_u64(net_tx, stats::quic::kCongestionRestarts),
             stats_u64(net_tx, stats::quic::kRestartRequestsReceived)};
  for (GstStructure *st : {fec_tx, net_tx, fec_rx, jitter}) {
    if (st != nullptr) gst_structure_free(st);
  }
  return s;
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
    if (meta == nullptr || meta->header.repair) return;
    me->sent_[me->next_sent_] = {frame_key(*meta), now, true};
    me->next_sent_ = (me->next_sent_ + 1) % kInFlight;
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
  uint64_t key = frame_key(*meta);
  // Newest first: the frame played is usually among the last sent.
  for (size_t back = 1; back <= kInFlight; ++back) {
    SentFrame &frame = me->sent_[(me->next_sent_ + kInFlight - back) % kInFlight];
    if (!frame.waiting || frame.key != key) continue;
    frame.waiting = false;
    double ms = std::chrono::duration<double, std::milli>(now - frame.at).count();
    ++me->delay_buckets_[std::min(kBuckets - 1, static_cast<size_t>(std::max(ms, 0.0)))];
    ++me->delays_;
    me->delay_sum_ms_ += ms;
    break;
  }
  return GST_PAD_PROBE_OK;
}

MouthToEar::Summary MouthToEar::summary() const {
  std::lock_guard lock(mutex_);
  Summary summary;
  summary.frames = delays_;
  if (delays_ == 0) return summary;
  summary.mean_ms = delay_sum_ms_ / static_cast<double>(delays_);
  // The same rank as the sorted list's element at 0.95 * count.
  uint64_t rank = std::min(delays_ - 1, static_cast<uint64_t>(0.95 * static_cast<double>(delays_)));
  uint64_t seen = 0;
  for (size_t bucket = 0; bucket < kBuckets; ++bucket) {
    seen += delay_buckets_[bucket];
    if (seen > rank) {
      summary.p95_ms = static_cast<double>(bucket) + 0.5;
      break;
    }
  }
  return summary;
}

std::string describe_peer_report(const std::optional<quality::PathObservation> &peer_report) {
  if (!peer_report) return "peer has not reported yet";
  char text[128];
  std::snprintf(text, sizeof text, "peer reports %.1f %% of our frames missing, its rtt %u ms",
                peer_report->loss * 100, peer_report->rtt_ms);
  return text;
}

std::string status_line(GstElement *sender, GstElement *receiver, const std::string &tier,
                        const char *link_end,
                        const std::optional<quality::PathObservation> &peer_report) {
  Snapshot s = snapshot(sender, receiver);
  char line[384];
  std::snprintf(line, sizeof line,
                "tier %s | sent %lu frames | to %s: rtt %.0f ms, loss %.1f %% | %s | jitter buffer "
                "%lu ms | played %lu | recovered %lu | concealed %lu",
                tier.c_str(), static_cast<unsigned long>(s.frames_sent), link_end, s.rtt_ms,
                s.loss * 100, describe_peer_report(peer_report).c_str(),
                static_cast<unsigned long>(s.jitter_delay_ns / 1000000),
                static_cast<unsigned long>(s.played), static_cast<unsigned long>(s.recovered),
                static_cast<unsigned long>(s.concealed));
  return line;
}

namespace {

// The lines every summary opens with: the tier, what we sent, what arrived.
std::string summary_head(const Snapshot &s, const std::string &tier) {
  char text[384];
  std::snprintf(text, sizeof text,
                "call summary\n"
                "  tier                  %s\n"
                "  frames sent           %lu (%lu packets, %lu of them repair)\n"
                "  frames received       %lu as sent, %lu recovered by FEC\n",
                tier.c_str(), static_cast<unsigned long>(s.frames_sent),
                static_cast<unsigned long>(s.packets_sent),
                static_cast<unsigned long>(s.repair_sent), static_cast<unsigned long>(s.received),
                static_cast<unsigned long>(s.recovered));
  return text;
}

// How the jitter buffer brought its delay down during the call.
std::string summary_shrink(const Snapshot &s) {
  char text[160];
  std::snprintf(text, sizeof text,
                "\n  delay shrunk by       %lu frames played shorter (%.0f ms cut), %lu frames "
                "dropped",
                static_cast<unsigned long>(s.compressed),
                static_cast<double>(s.compressed_ns) / 1e6, static_cast<unsigned long>(s.shrunk));
  return text;
}

}  // namespace

std::string final_report(GstElement *sender, GstElement *receiver, const MouthToEar &delay,
                         const std::string &tier) {
  Snapshot s = snapshot(sender, receiver);
  MouthToEar::Summary delays = delay.summary();
  double real = s.frames_sent == 0 ? 0 : 100.0 * static_cast<double>(delays.frames) / s.frames_sent;
  char text[640];
  std::snprintf(
      text, sizeof text,
      "  frames played         %lu from real data (%.1f %% of sent)\n"
      "  frames concealed      %lu (late: %lu, FEC blocks given up: %lu)\n"
      "  mouth-to-ear delay    mean %.0f ms, p95 %.0f ms (encoder input to playout, "
      "network and buffers)\n"
      "  path                  rtt %.0f ms, QUIC-measured loss %.1f %%\n"
      "  transport             %lu datagrams sent, %lu dropped unsent (stale %lu, "
      "queue full %lu), %lu congestion restarts, %lu asked by the peer",
      static_cast<unsigned long>(delays.frames), real, static_cast<unsigned long>(s.concealed),
      static_cast<unsigned long>(s.late), static_cast<unsigned long>(s.given_up), delays.mean_ms,
      delays.p95_ms, s.rtt_ms, s.loss * 100, static_cast<unsigned long>(s.datagrams_sent),
      static_cast<unsigned long>(s.dropped_stale + s.dropped_full),
      static_cast<unsigned long>(s.dropped_stale), static_cast<unsigned long>(s.dropped_full),
      static_cast<unsigned long>(s.congestion_restarts),
      static_cast<unsigned long>(s.server_restarts_asked));
  return summary_head(s, tier) + text + summary_shrink(s);
}

std::string call_summary(GstElement *sender, GstElement *receiver, const std::string &tier,
                         const std::optional<quality::PathObservation> &peer_report,
                         bool over_tls) {
  Snapshot s = snapshot(sender, receiver);
  char path[160];
  if (over_tls) {
    std::snprintf(path, sizeof path, "rtt %.0f ms (TCP's estimate; TCP hides its loss)", s.rtt_ms);
  } else {
    std::snprintf(path, sizeof path, "rtt %.0f ms, QUIC-measured loss %.1f %%", s.rtt_ms,
                  s.loss * 100);
  }
  char text[640];
  std::snprintf(text, sizeof text,
                "  frames played         %lu from real data, %lu concealed (late: %lu, FEC blocks "
                "given up: %lu)\n"
                "  path to the daemon    %s (half the media's path)\n"
                "  whole path            %s (its last report)",
                static_cast<unsigned long>(s.played), static_cast<unsigned long>(s.concealed),
                static_cast<unsigned long>(s.late), static_cast<unsigned long>(s.given_up), path,
                describe_peer_report(peer_report).c_str());
  return summary_head(s, tier) + text + summary_shrink(s);
}

}  // namespace wzp::client
