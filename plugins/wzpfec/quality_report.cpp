#include "quality_report.hpp"

#include <algorithm>

#include "media_clock.hpp"

namespace wzp::gst {
namespace {

// A uint field, or 0 if absent; false if present with another type.
bool read_uint(const GstStructure *structure, const char *field, guint &out) {
  out = 0;
  if (!gst_structure_has_field(structure, field)) return true;
  return gst_structure_get_uint(structure, field, &out);
}

// Media ticks from a to b, negative if b is earlier (wraps with the 32-bit clock).
int64_t ticks_between(uint32_t a, uint32_t b) { return static_cast<int32_t>(b - a); }

}  // namespace

std::optional<wire::QualityReport> report_from_structure(const GstStructure *structure) {
  gdouble loss = 0.0;
  if (gst_structure_has_field(structure, "loss") &&
      !gst_structure_get_double(structure, "loss", &loss)) {
    return std::nullopt;
  }
  if (!(loss >= 0.0 && loss <= 1.0)) return std::nullopt;
  guint rtt, jitter, bandwidth;
  if (!read_uint(structure, "rtt-ms", rtt) || !read_uint(structure, "jitter-ms", jitter) ||
      !read_uint(structure, "bandwidth-kbps", bandwidth)) {
    return std::nullopt;
  }
  return wire::QualityReport::from(loss, rtt, jitter, bandwidth);
}

GstStructure *report_to_structure(const char *name, const wire::QualityReport &report) {
  return gst_structure_new(name, "loss", G_TYPE_DOUBLE, report.loss_fraction(), "rtt-ms",
                           G_TYPE_UINT, guint{report.rtt_ms}, "jitter-ms", G_TYPE_UINT,
                           guint{report.jitter_ms}, "bandwidth-kbps", G_TYPE_UINT,
                           guint{report.bandwidth_kbps}, nullptr);
}

void ReportSchedule::set(const std::optional<wire::QualityReport> &report) {
  report_ = report;
  remaining_ = 0;
  burst_started_ = false;
}

const wire::QualityReport *ReportSchedule::for_packet(uint32_t timestamp, uint32_t clock_rate) {
  if (!report_) return nullptr;
  if (remaining_ == 0) {
    int64_t interval = static_cast<int64_t>(to_media_ticks(kReportInterval, clock_rate));
    int64_t since = ticks_between(burst_timestamp_, timestamp);
    // A large step back means the media clock restarted: start afresh.
    if (burst_started_ && since < interval && since > -interval) return nullptr;
    burst_started_ = true;
    burst_timestamp_ = timestamp;
    remaining_ = kReportRepeat;
  }
  --remaining_;
  return &*report_;
}

bool ReportLimiter::should_post(uint32_t stream_id, uint32_t timestamp, uint32_t clock_rate) {
  auto slot = std::find_if(slots_.begin(), slots_.end(),
                           [&](const Slot &s) { return s.used && s.stream_id == stream_id; });
  if (slot != slots_.end()) {
    int64_t interval = static_cast<int64_t>(to_media_ticks(kPostInterval, clock_rate));
    int64_t since = ticks_between(slot->posted_at, timestamp);
    if (since < interval && since > -2 * interval) return false;
  } else {
    slot = std::min_element(slots_.begin(), slots_.end(), [](const Slot &a, const Slot &b) {
      return a.used != b.used ? !a.used : a.order < b.order;
    });
  }
  *slot = Slot{true, stream_id, timestamp, ++posts_};
  return true;
}

}  // namespace wzp::gst
