// Parses arbitrary bytes as a SID frame; a frame that parses must hold values
// in range, survive re-encoding unchanged, and drive the comfort-noise
// generator to bounded, finite output.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "libwzp/audio/comfort_noise.hpp"
#include "libwzp/audio/sid.hpp"
#include "libwzp/audio/vad.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::audio;
  SidError error{};
  auto sid = parse_sid(std::span<const uint8_t>(data, size), &error);
  if (!sid) {
    if (size == kSidBytes && error != SidError::kWrongMarker) std::abort();
    return 0;
  }
  if (!(sid->level_dbfs <= 0.0 && sid->level_dbfs >= -127.5)) std::abort();
  for (double k : sid->reflection) {
    if (!(std::fabs(k) <= 31.0 / 32.0)) std::abort();
  }
  auto again = parse_sid(encode_sid(*sid));
  if (!again || again->level_dbfs != sid->level_dbfs || again->reflection != sid->reflection) {
    std::abort();
  }
  ComfortNoise noise;
  noise.set(*sid);
  int16_t out[320];
  for (int frame = 0; frame < 4; ++frame) noise.fill(out);
  // A stable filter at full scale at most clips; it never stays silent for a
  // loud SID because of a blown-up state.
  if (sid->level_dbfs > -60.0 && frame_level_dbfs(out) < -127.0) std::abort();
  return 0;
}
