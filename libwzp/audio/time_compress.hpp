// Time compression of decoded audio, NetEq's "accelerate": a frame plays
// shorter without a sample of speech being lost to the listener, so the
// jitter buffer can lower its delay without dropping a frame.
//
// Where the frame is periodic (voiced speech, a tone) one pitch period is
// removed: two consecutive periods are cross-faded into one, so the output
// keeps the frame's first and last samples (no step at either joint) and
// its pitch. Where the frame is quiet, the same cross-fade removes as much
// as asked for. Loud noise-like frames (fricatives, music without a period)
// are left alone: removing from them would be heard.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace wzp::audio {

struct CompressConfig {
  uint32_t rate = 48000;
  // The pitch periods searched: 2.5 ms (400 Hz) to 15 ms (67 Hz).
  double min_period_ms = 2.5;
  double max_period_ms = 15.0;
  // Normalised correlation of two consecutive periods above which the
  // frame counts as periodic (NetEq uses 0.9).
  double min_correlation = 0.9;
  // A frame whose RMS is below this (dBFS) is quiet: any cut is inaudible.
  double quiet_dbfs = -45.0;
};

// Removes up to `max_remove` samples from the mono frame `pcm`, in place:
// afterwards its first `pcm.size() - removed` samples are the shorter frame.
// Returns how many it removed: whole pitch periods, as much as asked for in
// a quiet frame, or none; never more than `max_remove` or half the frame.
size_t compress_frame(std::span<int16_t> pcm, size_t max_remove, const CompressConfig &config = {});

}  // namespace wzp::audio
