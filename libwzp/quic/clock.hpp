// The one time base of the transport: ngtcp2 timestamps are nanoseconds on a
// monotonic clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace wzp::quic {

inline uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace wzp::quic
