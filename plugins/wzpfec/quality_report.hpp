// Quality reports on wzpfecenc's packets and out of wzpfecdec (docs/quality.md,
// "On the wire and in the client").
//
// Sending: a report rides in a burst of `kReportRepeat` consecutive packets
// (source and repair alike) right after the application sets it and then
// every `kReportInterval` of media. Repeating it survives heavy loss (at 70 %
// loss one of five copies arrives 83 % of the time) while costing 7 bytes on
// only five packets a second. Receiving: each stream's reports are posted at
// most once per `kPostInterval` of media, so a burst becomes one message.
#pragma once

#include <gst/gst.h>

#include <array>
#include <cstdint>
#include <optional>

#include "libwzp/wire/header.hpp"

namespace wzp::gst {

inline constexpr GstClockTime kReportInterval = GST_SECOND;
inline constexpr int kReportRepeat = 5;
// Shorter than kReportInterval, so a burst whose first copies were lost is
// still posted when a later copy arrives.
inline constexpr GstClockTime kPostInterval = 750 * GST_MSECOND;

inline constexpr const char *kReportMessageName = "wzp-quality-report";

// A report from a GstStructure with fields loss (double, 0..1), rtt-ms,
// jitter-ms and bandwidth-kbps (uint; missing ones are 0). Empty if a field
// has the wrong type or loss is outside 0..1.
std::optional<wire::QualityReport> report_from_structure(const GstStructure *structure);
// The same fields in a new structure named `name`.
GstStructure *report_to_structure(const char *name, const wire::QualityReport &report);

// Decides which outgoing packets carry the current report.
class ReportSchedule {
 public:
  // A new report (or none): it goes out in a burst from the next packet.
  void set(const std::optional<wire::QualityReport> &report);
  // The report the packet with this media timestamp carries, or null.
  const wire::QualityReport *for_packet(uint32_t timestamp, uint32_t clock_rate);

 private:
  std::optional<wire::QualityReport> report_;
  int remaining_ = 0;
  bool burst_started_ = false;
  uint32_t burst_timestamp_ = 0;
};

// Decides which received reports are posted: per stream, at most once per
// kPostInterval of media. Tracks a fixed number of streams (the least
// recently posted one gives way), so it allocates nothing.
class ReportLimiter {
 public:
  bool should_post(uint32_t stream_id, uint32_t timestamp, uint32_t clock_rate);

 private:
  struct Slot {
    bool used = false;
    uint32_t stream_id = 0;
    uint32_t posted_at = 0;
    uint64_t order = 0;  // when it last posted, in posts
  };
  std::array<Slot, 8> slots_{};
  uint64_t posts_ = 0;
};

}  // namespace wzp::gst
