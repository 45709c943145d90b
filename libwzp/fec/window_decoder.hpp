// FrameDecoder's half for streams sent with a sliding window (the header's
// window flag; sliding_window.hpp): every frame gets one outcome, as with
// blocks. A source frame goes on at once; a lost one as soon as the repair
// that arrived determines it; once the newest frame is a deadline past it, a
// frame still missing is reported lost. Frame numbers are consecutive, so a
// frame none of whose packets arrived is reported too.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "libwzp/fec/sliding_window.hpp"
#include "libwzp/fec/symbol_layout.hpp"
#include "libwzp/wire/header.hpp"

namespace wzp::fec {

struct DecoderStats;
class FrameSink;

class WindowFrameDecoder {
 public:
  explicit WindowFrameDecoder(DecoderStats &stats) : stats_(stats) {}

  // A window packet: its header, the repair prefix (repair packets) or the
  // frame number's low bits (source packets), and the frame or repair symbol.
  // `deadline`: media clock ticks a missing frame is waited for.
  void push(const wire::MediaHeader &h, const RepairPrefix *prefix, uint16_t frame_low_bits,
            std::span<const uint8_t> body, uint32_t deadline, FrameSink &sink);
  // Reports every frame still missing as lost (end of stream).
  void flush(FrameSink &sink);
  void reset();

 private:
  struct Slot {
    uint32_t number = 0;
    bool settled = false;    // delivered or reported lost
    bool delivered = false;  // received or recovered
    bool heard = false;      // some packet named it: its header fields are known
    wire::MediaHeader header;
  };
  Slot &slot(uint32_t number) { return slots_[number % WindowSolver::kHistory]; }
  // Frame numbers travel as their low 16 bits.
  uint32_t extend(uint16_t low_bits) const;
  void hear(uint32_t number, const wire::MediaHeader &h);
  void deliver(uint32_t number, uint32_t timestamp, std::span<const uint8_t> frame, bool recovered,
               FrameSink &sink);
  void expire(uint32_t deadline, FrameSink &sink);
  void settle_lost(uint32_t number, FrameSink &sink);

  DecoderStats &stats_;
  WindowSolver solver_;
  std::array<Slot, WindowSolver::kHistory> slots_;
  wire::MediaHeader latest_;  // of the latest packet: stands in for frames no packet named
  bool started_ = false;
  uint32_t next_ = 0;    // every frame before it is settled
  uint32_t newest_ = 0;  // the newest frame number heard of
  uint32_t newest_timestamp_ = 0;
  uint32_t spacing_ = 960;  // timestamp step between consecutive frames, last measured
  uint32_t last_delivered_ = 0;
  uint32_t last_delivered_timestamp_ = 0;
  std::array<uint8_t, kMaxSymbolSize> symbol_{};
};

}  // namespace wzp::fec
