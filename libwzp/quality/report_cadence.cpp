#include "libwzp/quality/report_cadence.hpp"

#include <algorithm>

namespace wzp::quality {
namespace {

int64_t ticks_of(uint32_t ms, uint32_t clock_rate) {
  return static_cast<int64_t>(uint64_t{ms} * clock_rate / 1000);
}

// Media ticks from a to b, negative if b is earlier (wraps with the 32-bit clock).
int64_t ticks_between(uint32_t a, uint32_t b) { return static_cast<int32_t>(b - a); }

}  // namespace

void ReportSchedule::set(const std::optional<wire::QualityReport> &report) {
  report_ = report;
  remaining_ = 0;
  burst_started_ = false;
}

const wire::QualityReport *ReportSchedule::for_packet(uint32_t timestamp, uint32_t clock_rate) {
  if (!report_) return nullptr;
  if (remaining_ == 0) {
    const int64_t interval = ticks_of(kReportIntervalMs, clock_rate);
    const int64_t since = ticks_between(burst_timestamp_, timestamp);
    // A large step back means the media clock restarted: start afresh.
    if (burst_started_ && since < interval && since > -interval) return nullptr;
    burst_started_ = true;
    burst_timestamp_ = timestamp;
    remaining_ = kReportRepeat;
  }
  --remaining_;
  return &*report_;
}

bool ReportLimiter::should_take(uint32_t stream_id, uint32_t timestamp, uint32_t clock_rate) {
  auto slot = std::find_if(slots_.begin(), slots_.end(),
                           [&](const Slot &s) { return s.used && s.stream_id == stream_id; });
  if (slot != slots_.end()) {
    const int64_t interval = ticks_of(kReportTakeIntervalMs, clock_rate);
    const int64_t since = ticks_between(slot->taken_at, timestamp);
    if (since < interval && since > -2 * interval) return false;
  } else {
    slot = std::min_element(slots_.begin(), slots_.end(), [](const Slot &a, const Slot &b) {
      return a.used != b.used ? !a.used : a.order < b.order;
    });
  }
  *slot = Slot{true, stream_id, timestamp, ++taken_};
  return true;
}

}  // namespace wzp::quality
