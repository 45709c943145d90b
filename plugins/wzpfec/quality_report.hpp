// Quality reports as GstStructures: wzpfecenc's `quality-report` property and
// wzpfecdec's element message (docs/quality.md, "On the wire and in the
// client"). Which packets carry a report and which received ones count is
// libwzp/quality/report_cadence.hpp.
#pragma once

#include <gst/gst.h>

#include <optional>

#include "libwzp/wire/header.hpp"

namespace wzp::gst {

inline constexpr const char *kReportMessageName = "wzp-quality-report";

// A report from a GstStructure with fields loss (double, 0..1), rtt-ms,
// jitter-ms and bandwidth-kbps (uint; missing ones are 0). Empty if a field
// has the wrong type or loss is outside 0..1.
std::optional<wire::QualityReport> report_from_structure(const GstStructure *structure);
// The same fields in a new structure named `name`.
GstStructure *report_to_structure(const char *name, const wire::QualityReport &report);

}  // namespace wzp::gst
