#include "quality_report.hpp"

namespace wzp::gst {
namespace {

// A uint field, or 0 if absent; false if present with another type.
bool read_uint(const GstStructure *structure, const char *field, guint &out) {
  out = 0;
  if (!gst_structure_has_field(structure, field)) return true;
  return gst_structure_get_uint(structure, field, &out);
}

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

}  // namespace wzp::gst
