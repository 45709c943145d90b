// Comfort noise from SID frames: white noise through the all-pole filter the
// SID's reflection coefficients describe, scaled to its level. The decoder
// plays it between SID frames instead of silence or concealment, so a quiet
// far end sounds like an open line rather than a dead one.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "libwzp/audio/sid.hpp"

namespace wzp::audio {

class ComfortNoise {
 public:
  explicit ComfortNoise(uint32_t seed = 0x9E3779B9u);

  // The noise to make from now on. Its level glides from the current one over
  // the next fill(), so a new SID never clicks; the first one fades in.
  void set(const SidFrame &sid);
  // Fills `out` with comfort noise (silence before any set()).
  void fill(std::span<int16_t> out);
  // Back to silence, e.g. when speech resumes.
  void reset();

 private:
  uint32_t seed_;
  uint32_t random_;
  double gain_ = 0;                            // excitation RMS now
  double target_gain_ = 0;                     // excitation RMS the current SID asks for
  std::array<double, kSidOrder> predictor_{};  // direct-form a_1..a_p
  std::array<double, kSidOrder> history_{};    // the last p outputs, newest first
};

// Direct-form predictor coefficients from lattice reflection coefficients
// (the step-up recursion): A(z) = 1 + a_1 z^-1 + ... + a_p z^-p.
std::array<double, kSidOrder> predictor_from_reflection(
    const std::array<double, kSidOrder> &reflection);

}  // namespace wzp::audio
