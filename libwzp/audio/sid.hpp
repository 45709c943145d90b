// The silence-descriptor (SID) frame a DTX encoder sends instead of codec
// frames while nobody speaks: the background's level and coarse spectrum, so
// the far side can play comfort noise that sounds like the room. It rides in
// the (encrypted) payload like a codec frame; docs/dtx.md gives the bytes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace wzp::audio {

inline constexpr int kSidOrder = 4;     // reflection coefficients carried
inline constexpr size_t kSidBytes = 5;  // not a multiple of any Codec2 frame (4, 6, 7, 8)
inline constexpr uint8_t kSidMarker = 0xA1;

struct SidFrame {
  double level_dbfs = -127.5;  // RMS of the noise; 0.5 dB steps down to -127.5
  // Lattice reflection coefficients of the noise's spectral envelope; each in
  // (-1, 1), so the synthesis filter is stable. Zero: white noise.
  std::array<double, kSidOrder> reflection{};
};

enum class SidError : uint8_t { kWrongSize, kWrongMarker };

// Writes `sid`, quantised, into exactly kSidBytes bytes.
std::array<uint8_t, kSidBytes> encode_sid(const SidFrame &sid);

// Parses a SID frame; nullopt with `error` set when the bytes are not one.
std::optional<SidFrame> parse_sid(std::span<const uint8_t> bytes, SidError *error = nullptr);

// Whether a buffer of `size` bytes can be a SID rather than whole codec frames
// of `frame_bytes` each.
constexpr bool may_be_sid(size_t size, size_t frame_bytes) {
  return size == kSidBytes && (frame_bytes == 0 || size % frame_bytes != 0);
}

}  // namespace wzp::audio
