// Times as the jitter tests spell them: nanoseconds, and RTP ticks of a
// 20 ms frame at 48 kHz.
#pragma once

#include <cstdint>

namespace wzp::jitter {

inline constexpr int64_t kMs = 1'000'000;
inline constexpr uint32_t kTicks = 960;

}  // namespace wzp::jitter
