// Times as the QUIC tests spell them: nanoseconds, as ngtcp2 counts.
#pragma once

#include <cstdint>

namespace wzp::quic {

inline constexpr uint64_t kMs = 1'000'000;

}  // namespace wzp::quic
