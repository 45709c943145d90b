#include "client/quality_report.hpp"

#include <algorithm>

#include "client/call_media.hpp"
#include "plugins/gstwzp/wzpstats.h"

namespace wzp::client {

namespace stats = wzp::gst::stats;
namespace {

// More packets sent per one arrived than even 99 % loss explains.
constexpr uint64_t kMaxPacketsPerArrived = 100;

uint32_t to_ms(double ms) { return static_cast<uint32_t>(std::clamp(ms, 0.0, 65535.0)); }

bool made_by(GstElement *element, const char *factory_name) {
  GstElementFactory *factory = gst_element_get_factory(element);
  return factory != nullptr && g_strcmp0(GST_OBJECT_NAME(factory), factory_name) == 0;
}

}  // namespace

std::optional<QuicPathStats> quic_path_stats(GstElement *quic) {
  if (quic == nullptr) return std::nullopt;
  GstStructure *s = nullptr;
  g_object_get(quic, "stats", &s, nullptr);
  if (s == nullptr) return std::nullopt;
  // No RTT sample yet; a sub-millisecond one (a LAN, loopback) is one.
  const bool sampled = stats_double(s, stats::quic::kRttMs) > 0;
  QuicPathStats path{
      stats_double(s, stats::quic::kDatagramLoss), to_ms(stats_double(s, stats::quic::kRttMs)),
      to_ms(stats_double(s, stats::quic::kRttVarianceMs)),
      stats_u64(s, stats::quic::kDatagramsAcked), stats_u64(s, stats::quic::kDatagramsLost)};
  gst_structure_free(s);
  if (!sampled) return std::nullopt;
  return path;
}

QualityReporter::QualityReporter(GstElement *receiver, GstElement *fec_encoder)
    : receiver_(receiver), fec_encoder_(fec_encoder) {}

QualityReporter::Counts QualityReporter::count() const {
  Counts frames;
  auto add = [&frames](GstElement *decoder) {
    GstStructure *s = nullptr;
    g_object_get(decoder, "stats", &s, nullptr);
    frames.arrived +=
        stats_u64(s, stats::fec_dec::kReceived) + stats_u64(s, stats::fec_dec::kUnprotected);
    frames.missing +=
        stats_u64(s, stats::fec_dec::kRecovered) + stats_u64(s, stats::fec_dec::kUnrecoverable);
    frames.packets += {stats_u64(s, stats::fec_dec::kPacketsExpected),
                       stats_u64(s, stats::fec_dec::kPacketsArrived)};
    if (s != nullptr) gst_structure_free(s);
  };
  if (receiver_ == nullptr) return frames;
  if (made_by(receiver_, "wzpfecdec")) add(receiver_);
  if (!GST_IS_BIN(receiver_)) return frames;
  GstIterator *it = gst_bin_iterate_recurse(GST_BIN(receiver_));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    auto *element = GST_ELEMENT(g_value_get_object(&item));
    if (made_by(element, "wzpfecdec")) add(element);
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  return frames;
}

std::optional<quality::PathObservation> QualityReporter::tick(uint32_t rtt_ms, uint32_t jitter_ms) {
  Counts now = count();
  // A branch that went away takes its counts along: start over from here.
  bool shrank = now.arrived < counted_.arrived || now.missing < counted_.missing ||
                now.packets.sent < counted_.packets.sent ||
                now.packets.arrived < counted_.packets.arrived;
  Counts since = now;
  if (!shrank) {
    since = {now.arrived - counted_.arrived, now.missing - counted_.missing,
             now.packets - counted_.packets};
  }
  counted_ = now;
  if (since.arrived + since.missing == 0 || fec_encoder_ == nullptr) return std::nullopt;
  // Packets say it unless none were numbered or their numbers jumped (a
  // sender that restarted its numbering lost nothing): frames say it then.
  const bool numbered = since.packets.sent > 0 &&
                        since.packets.sent <= kMaxPacketsPerArrived * (since.packets.arrived + 1);
  const double loss = numbered ? since.packets.loss()
                               : static_cast<double>(since.missing) /
                                     static_cast<double>(since.arrived + since.missing);
  quality::PathObservation report{loss, rtt_ms, jitter_ms, 0};
  GstStructure *s = gst_structure_new("wzp-quality-report", "loss", G_TYPE_DOUBLE, report.loss,
                                      "rtt-ms", G_TYPE_UINT, guint{report.rtt_ms}, "jitter-ms",
                                      G_TYPE_UINT, guint{report.jitter_ms}, "bandwidth-kbps",
                                      G_TYPE_UINT, guint{report.bandwidth_kbps}, nullptr);
  g_object_set(fec_encoder_, "quality-report", s, nullptr);
  gst_structure_free(s);
  return report;
}

}  // namespace wzp::client
