// Seamless codec switching for one voice stream (docs/quality.md, "Codec
// switch"). Clock-free and GStreamer-free: times are nanoseconds of stream
// time, positions are samples.
//
// Sending: both encoders run on the same audio all the time, so the one
// switched to is warm (no start-up transient) and the frame grids of both are
// known. EncoderSwitch decides, frame by frame, which encoder's output goes
// out: the old one's up to the end of one of its frames, then the new one's
// from the next of its frames, ideally starting right there. Output never
// overlaps and goes forward in time; a hole left at a cut is at most
// `max_gap` unless waiting longer did not help.
//
// Receiving: VoiceJoiner lays decoded buffers end to end on one sample
// timeline: an overlap is trimmed, a gap is filled, and wherever the signal
// jumps (a codec switch, a filled gap) the step is bled off over a short ramp
// instead of clicking.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace wzp::quality {

class EncoderSwitch {
 public:
  static constexpr int kBranches = 2;

  // `max_gap`: the longest hole (ns) a cut may leave between the old codec's
  // last frame and the new one's first, when their frame grids do not meet
  // (Opus's first frame is shortened by its look-ahead, so its grid is
  // offset from Codec2's). After `patience` frames of waiting any hole goes.
  explicit EncoderSwitch(int active = 0, uint64_t max_gap = 0, uint32_t patience = 8)
      : active_(active), max_gap_(max_gap), patience_(patience) {}

  // Asks for `branch` to go on air at the next good cut. Asking for the
  // branch on air cancels a switch not yet cut; after the cut it is queued,
  // so no frame already dropped goes missing.
  void request(int branch);
  // A frame from `branch` covering [pts, pts + duration): whether it goes out.
  bool admit(int branch, uint64_t pts, uint64_t duration);

  int active() const { return active_; }
  bool pending() const { return pending_ >= 0; }
  uint64_t switches() const { return switches_; }
  // Total hole left at cuts so far, in ns (0 when the grids met each time).
  uint64_t gap_total() const { return gap_total_; }

 private:
  struct Grid {
    bool known = false;
    uint64_t start = 0;  // the last frame seen
    uint64_t frame = 0;  // its length
  };
  struct Cut {
    uint64_t old_end;    // the old codec's frames from here on are dropped
    uint64_t new_start;  // the new codec's frames from here on go out
  };

  int active_;
  uint64_t max_gap_;
  uint32_t patience_;
  int pending_ = -1;
  int queued_ = -1;  // requested while a cut was under way
  uint32_t waited_ = 0;
  std::optional<Cut> cut_;
  Grid grids_[kBranches];
  uint64_t switches_ = 0;
  uint64_t gap_total_ = 0;
};

struct JoinPlan {
  size_t skip = 0;  // leading samples that overlap what went out already
  size_t fill = 0;  // samples to synthesise before the buffer (a gap)
};

class VoiceJoiner {
 public:
  // `ramp_samples`: how long a step takes to bleed off; `max_fill`: longer
  // gaps are not filled (the output then jumps ahead, marked discontinuous).
  VoiceJoiner(size_t ramp_samples, size_t max_fill);

  // Places `count` samples from `source` that start at `position`.
  JoinPlan plan(int64_t position, size_t count);
  // Writes plan().fill samples of gap: the last sample fading to silence.
  void fill(int16_t *out, size_t count);
  // Joins the kept samples (after plan().skip) onto the output in place.
  void process(int source, int16_t *samples, size_t count);
  // Forgets the past (a flush or a new segment): the next buffer starts anew.
  void reset();

  // The sample position the next output starts at, once anything went out.
  std::optional<int64_t> next_position() const { return next_; }
  uint64_t samples_filled() const { return samples_filled_; }
  uint64_t samples_trimmed() const { return samples_trimmed_; }
  uint64_t gaps_skipped() const { return gaps_skipped_; }
  uint64_t source_switches() const { return source_switches_; }
  // The largest step at a junction before smoothing, in sample units.
  uint32_t largest_step() const { return largest_step_; }

 private:
  void start_ramp(int16_t first);

  size_t ramp_samples_;
  size_t max_fill_;
  std::optional<int64_t> next_;
  int source_ = -1;
  int16_t last_ = 0;
  bool after_fill_ = false;
  int32_t ramp_offset_ = 0;  // added to the first sample, shrinking to 0
  size_t ramp_left_ = 0;
  uint64_t samples_filled_ = 0;
  uint64_t samples_trimmed_ = 0;
  uint64_t gaps_skipped_ = 0;
  uint64_t source_switches_ = 0;
  uint32_t largest_step_ = 0;
};

}  // namespace wzp::quality
