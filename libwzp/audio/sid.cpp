#include "libwzp/audio/sid.hpp"

#include <algorithm>
#include <cmath>

namespace wzp::audio {

namespace {
// Reflection coefficients are 6-bit two's complement in steps of 1/32, so the
// largest magnitude is 31/32 and the synthesis filter always stays stable.
constexpr double kReflectionStep = 1.0 / 32.0;
constexpr int kReflectionMax = 31;

uint8_t quantise_level(double dbfs) {
  const double steps = std::round(-2.0 * std::clamp(dbfs, -127.5, 0.0));
  return static_cast<uint8_t>(steps);
}

uint32_t quantise_reflection(double k) {
  const double clamped = std::isfinite(k) ? k : 0.0;
  const long q = std::lround(clamped / kReflectionStep);
  const long bounded = std::clamp<long>(q, -kReflectionMax, kReflectionMax);
  return static_cast<uint32_t>(bounded) & 0x3Fu;
}

double dequantise_reflection(uint32_t bits) {
  bits &= 0x3Fu;
  const int value = (bits & 0x20u) ? static_cast<int>(bits) - 64 : static_cast<int>(bits);
  return std::clamp(value, -kReflectionMax, kReflectionMax) * kReflectionStep;
}
}  // namespace

std::array<uint8_t, kSidBytes> encode_sid(const SidFrame &sid) {
  uint32_t packed = 0;  // four 6-bit fields, k1 in the top bits
  for (double k : sid.reflection) packed = (packed << 6) | quantise_reflection(k);
  return {kSidMarker, quantise_level(sid.level_dbfs), static_cast<uint8_t>(packed >> 16),
          static_cast<uint8_t>(packed >> 8), static_cast<uint8_t>(packed)};
}

std::optional<SidFrame> parse_sid(std::span<const uint8_t> bytes, SidError *error) {
  auto fail = [error](SidError why) {
    if (error != nullptr) *error = why;
    return std::nullopt;
  };
  if (bytes.size() != kSidBytes) return fail(SidError::kWrongSize);
  if (bytes[0] != kSidMarker) return fail(SidError::kWrongMarker);
  SidFrame sid;
  sid.level_dbfs = -0.5 * bytes[1];
  const uint32_t packed = (uint32_t{bytes[2]} << 16) | (uint32_t{bytes[3]} << 8) | bytes[4];
  for (int i = 0; i < kSidOrder; ++i) {
    sid.reflection[static_cast<size_t>(i)] =
        dequantise_reflection(packed >> (6 * (kSidOrder - 1 - i)));
  }
  return sid;
}

}  // namespace wzp::audio
