#include "libwzp/quality/voice_switch.hpp"

#include <algorithm>
#include <cstdlib>

namespace wzp::quality {

void EncoderSwitch::request(int branch) {
  if (branch < 0 || branch >= kBranches) return;
  if (cut_) {
    queued_ = branch == pending_ ? -1 : branch;
    return;
  }
  pending_ = branch == active_ ? -1 : branch;
  waited_ = 0;
}

bool EncoderSwitch::admit(int branch, uint64_t pts, uint64_t duration) {
  if (branch < 0 || branch >= kBranches) return false;
  grids_[branch] = {true, pts, duration};
  if (branch == active_) {
    if (cut_ && pts >= cut_->old_end) return false;
    const Grid &next = pending_ >= 0 ? grids_[pending_] : Grid{};
    if (!cut_ && next.known && next.frame > 0) {
      // The new codec's first frame not yet out that starts at or after ours ends.
      const uint64_t end = pts + duration;
      const uint64_t from = std::max(end, next.start + next.frame);
      const uint64_t start =
          next.start + (from - next.start + next.frame - 1) / next.frame * next.frame;
      if (start - end <= max_gap_ || ++waited_ > patience_) {
        cut_ = Cut{end, start};
        gap_total_ += start - end;
      }
    }
    return true;
  }
  if (branch != pending_ || !cut_ || pts < cut_->new_start) return false;
  active_ = pending_;
  pending_ = -1;
  cut_.reset();
  ++switches_;
  if (queued_ >= 0) {
    int queued = queued_;
    queued_ = -1;
    request(queued);
  }
  return true;
}

VoiceJoiner::VoiceJoiner(size_t ramp_samples, size_t max_fill)
    : ramp_samples_(std::max<size_t>(ramp_samples, 1)), max_fill_(max_fill) {}

JoinPlan VoiceJoiner::plan(int64_t position, size_t count) {
  JoinPlan plan;
  if (!next_) {
    next_ = position;
    return plan;
  }
  if (position < *next_) {
    plan.skip = static_cast<size_t>(std::min<int64_t>(*next_ - position, int64_t(count)));
    samples_trimmed_ += plan.skip;
  } else if (position > *next_) {
    auto gap = static_cast<uint64_t>(position - *next_);
    if (gap <= max_fill_) {
      plan.fill = static_cast<size_t>(gap);
    } else {
      ++gaps_skipped_;
      next_ = position;
      last_ = 0;  // the jump is heard as silence: ramp in from there
      after_fill_ = true;
    }
  }
  return plan;
}

void VoiceJoiner::fill(int16_t *out, size_t count) {
  // The last sample fades to silence over the ramp: no step, no held DC.
  for (size_t i = 0; i < count; ++i) {
    int32_t fade = i < ramp_samples_
                       ? static_cast<int32_t>(last_) * static_cast<int32_t>(ramp_samples_ - i) /
                             static_cast<int32_t>(ramp_samples_)
                       : 0;
    out[i] = static_cast<int16_t>(fade);
  }
  if (count > 0) {
    last_ = out[count - 1];
    after_fill_ = true;
    ramp_left_ = 0;
  }
  samples_filled_ += count;
  if (next_) *next_ += static_cast<int64_t>(count);
}

void VoiceJoiner::start_ramp(int16_t first) {
  int32_t step = int32_t{last_} - int32_t{first};
  largest_step_ = std::max(largest_step_, static_cast<uint32_t>(std::abs(step)));
  ramp_offset_ = step;
  ramp_left_ = ramp_samples_;
}

void VoiceJoiner::process(int source, int16_t *samples, size_t count) {
  if (count == 0) return;
  const bool first_ever = source_ < 0;
  if (!first_ever && source != source_) {
    ++source_switches_;
    start_ramp(samples[0]);
  } else if (after_fill_) {
    start_ramp(samples[0]);
  }
  source_ = source;
  after_fill_ = false;
  for (size_t i = 0; i < count && ramp_left_ > 0; ++i, --ramp_left_) {
    int32_t offset =
        ramp_offset_ * static_cast<int32_t>(ramp_left_) / static_cast<int32_t>(ramp_samples_);
    samples[i] = static_cast<int16_t>(std::clamp(samples[i] + offset, -32768, 32767));
  }
  last_ = samples[count - 1];
  if (next_) *next_ += static_cast<int64_t>(count);
}

void VoiceJoiner::reset() {
  next_.reset();
  source_ = -1;
  last_ = 0;
  after_fill_ = false;
  ramp_left_ = 0;
}

}  // namespace wzp::quality
