// Extends the wire's 32-bit sequence numbers and timestamps to 64 bits, so
// wrap-around never confuses ordering; and turns media clock ticks into time. A step of more than
// 2^31 either way is read as the shorter way round, as RFC 3550 does for 16-bit sequences.
#pragma once

#include <cstdint>

namespace wzp::jitter {

class Unwrapper {
 public:
  // The extended value of `raw`, relative to the first value seen (which
  // maps to 0). Does not move the reference: call `commit` for values that
  // were accepted.
  int64_t peek(uint32_t raw) const {
    if (!started_) return 0;
    return last_extended_ + static_cast<int32_t>(raw - last_raw_);
  }
  // Makes `raw` (whose extended value is `extended`) the new reference when
  // it is ahead of the old one.
  void commit(uint32_t raw, int64_t extended) {
    if (!started_ || extended > last_extended_) {
      last_raw_ = raw;
      last_extended_ = extended;
      started_ = true;
    }
  }
  bool started() const { return started_; }
  void reset() { started_ = false, last_raw_ = 0, last_extended_ = 0; }

 private:
  bool started_ = false;
  uint32_t last_raw_ = 0;
  int64_t last_extended_ = 0;
};

// `ticks` of a media clock at `clock_rate` Hz, in nanoseconds (exact to the
// nanosecond below; no overflow for any 64-bit tick count).
inline int64_t ticks_to_ns(int64_t ticks, uint32_t clock_rate) {
  return static_cast<int64_t>(static_cast<__int128>(ticks) * 1'000'000'000 / clock_rate);
}

}  // namespace wzp::jitter
