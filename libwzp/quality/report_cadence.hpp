// How a quality report travels on the media (docs/quality.md, "On the wire
// and in the client"), for every sender and every reader of reports:
// wzpfecenc and wzpfecdec, and the relay, which reads the reports its room
// members' packets carry.
//
// Sending: a report rides in a burst of kReportRepeat consecutive packets
// (source and repair alike) right after it is set and then every
// kReportIntervalMs of media. Repeating it survives heavy loss (at 70 % loss
// one of five copies arrives 83 % of the time) while costing 7 bytes on only
// five packets a second. Reading: each stream's reports are taken at most
// once per kReportTakeIntervalMs of media, so a burst counts as one report.
// Times are media timestamps at the stream's clock rate (wire::media_clock_rate).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "libwzp/wire/header.hpp"

namespace wzp::quality {

inline constexpr uint32_t kReportIntervalMs = 1000;
inline constexpr int kReportRepeat = 5;
// Shorter than kReportIntervalMs, so a burst whose first copies were lost is
// still taken when a later copy arrives.
inline constexpr uint32_t kReportTakeIntervalMs = 750;

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

// Decides which received reports count: per stream, at most once per
// kReportTakeIntervalMs of media. Tracks a fixed number of streams (the
// least recently taken one gives way), so it allocates nothing.
class ReportLimiter {
 public:
  bool should_take(uint32_t stream_id, uint32_t timestamp, uint32_t clock_rate);

 private:
  struct Slot {
    bool used = false;
    uint32_t stream_id = 0;
    uint32_t taken_at = 0;
    uint64_t order = 0;  // when it was last taken, in reports taken
  };
  std::array<Slot, 8> slots_{};
  uint64_t taken_ = 0;
};

}  // namespace wzp::quality
