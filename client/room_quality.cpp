#include "client/room_quality.hpp"

#include <algorithm>

#include "client/call_media.hpp"

namespace wzp::client {
namespace {

uint32_t to_ms(double ms) { return static_cast<uint32_t>(std::clamp(ms, 0.0, 65535.0)); }

}  // namespace

RoomQualityReporter::RoomQualityReporter(GstElement *receiver, GstElement *sender)
    : receiver_(receiver), sender_(sender) {}

RoomQualityReporter::Frames RoomQualityReporter::count_frames() const {
  Frames frames;
  GstIterator *it = gst_bin_iterate_recurse(GST_BIN(receiver_));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    auto *element = GST_ELEMENT(g_value_get_object(&item));
    GstElementFactory *factory = gst_element_get_factory(element);
    if (factory != nullptr && g_strcmp0(GST_OBJECT_NAME(factory), "wzpfecdec") == 0) {
      GstStructure *s = nullptr;
      g_object_get(element, "stats", &s, nullptr);
      frames.arrived += stats_u64(s, "received") + stats_u64(s, "unprotected");
      frames.missing += stats_u64(s, "recovered") + stats_u64(s, "unrecoverable");
      if (s != nullptr) gst_structure_free(s);
    }
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  return frames;
}

std::optional<quality::PathObservation> RoomQualityReporter::tick() {
  Frames now = count_frames();
  // A branch that went away takes its counts along: start over from here.
  bool shrank = now.arrived < counted_.arrived || now.missing < counted_.missing;
  Frames since{now.arrived - (shrank ? now.arrived : counted_.arrived),
               now.missing - (shrank ? now.missing : counted_.missing)};
  counted_ = now;
  if (since.arrived + since.missing == 0) return std::nullopt;

  GstStructure *path = element_stats(sender_, "net");
  quality::PathObservation report{
      static_cast<double>(since.missing) / static_cast<double>(since.arrived + since.missing),
      to_ms(stats_double(path, "rtt-ms")), to_ms(stats_double(path, "rtt-variance-ms")), 0};
  if (path != nullptr) gst_structure_free(path);
  GstStructure *s = gst_structure_new("wzp-quality-report", "loss", G_TYPE_DOUBLE, report.loss,
                                      "rtt-ms", G_TYPE_UINT, guint{report.rtt_ms}, "jitter-ms",
                                      G_TYPE_UINT, guint{report.jitter_ms}, "bandwidth-kbps",
                                      G_TYPE_UINT, guint{report.bandwidth_kbps}, nullptr);
  GstElement *fec = gst_bin_get_by_name(GST_BIN(sender_), "fec");
  if (fec != nullptr) {
    g_object_set(fec, "quality-report", s, nullptr);
    gst_object_unref(fec);
  }
  gst_structure_free(s);
  return report;
}

}  // namespace wzp::client
