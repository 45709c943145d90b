#include "libwzp/jitter/jitter_buffer.hpp"

#include <algorithm>
#include <bit>
#include <cstdlib>

namespace wzp::jitter {

namespace {
// A frame whose transit differs from the base by more than this (beyond
// the largest delay we would ever wait) has a timestamp from another timeline.
constexpr int64_t kTimelineSlackNs = 1'000'000'000;
// Consecutive contradicting frames that prove a restart rather than junk.
constexpr int kRestartRun = 3;
// Concealing a dry buffer for this long means the sender went quiet: stop
// and re-anchor on the next frame.
constexpr int64_t kDryLimitNs = 1'000'000'000;
// An excess delay must last this long before a frame is dropped for it,
// and drops are this far apart.
constexpr int64_t kShrinkHoldNs = 1'000'000'000;
constexpr int64_t kShrinkSpacingNs = 250'000'000;
// Compression loses nothing, so it starts soon: once the delay has been at
// least kCompressMinNs above target for kCompressHoldNs (not for a single
// late frame's wait). Dropping is then the fallback for an excess that
// compression has not removed in kCompressingShrinkHoldNs (loud unvoiced
// audio, which the decoder leaves alone).
constexpr int64_t kCompressMinNs = 10'000'000;
constexpr int64_t kCompressHoldNs = 200'000'000;
constexpr int64_t kCompressingShrinkHoldNs = 5'000'000'000;
// A stream's first seconds, while the estimator has seen too little to know
// how late FEC rebuilds frames: a missing frame is waited for up to
// kStartupWaitNs above the base whatever the target says. On a lossy path
// the first frames a window code rebuilds come up to ~350 ms late (degraded
// at 50 % loss); a clean start has nothing missing and never waits
// (docs/jitter.md, "The first seconds").
constexpr int64_t kStartupNs = 2'000'000'000;
constexpr int64_t kStartupWaitNs = 350'000'000;

EstimatorConfig estimator_config(const JitterConfig &config) {
  EstimatorConfig out;
  out.quantile = config.quantile;
  out.forget_factor = config.forget_factor;
  out.bucket_ns = config.bucket_ns;
  out.start_delay_ns = config.latency_ns;
  out.min_delay_ns = config.min_latency_ns;
  out.max_delay_ns = config.max_latency_ns;
  out.overtaken_memory_ns = config.overtaken_memory_ns;
  return out;
}
}  // namespace

JitterBuffer::JitterBuffer(const JitterConfig &config, std::function<void(uint64_t)> release)
    : config_(config), release_(std::move(release)), estimator_(estimator_config(config)) {
  config_.clock_rate = std::clamp<uint32_t>(config_.clock_rate, 1000, 1'000'000);
  config_.capacity = std::bit_ceil(std::clamp<uint32_t>(config_.capacity, 16, 1u << 16));
  config_.max_latency_ns = estimator_.config().max_delay_ns;
  config_.min_latency_ns = estimator_.config().min_delay_ns;
  config_.latency_ns =
      std::clamp(config_.latency_ns, config_.min_latency_ns, config_.max_latency_ns);
  if (config_.default_frame_duration == 0) config_.default_frame_duration = config_.clock_rate / 50;
  slots_.resize(config_.capacity);
  mask_ = config_.capacity - 1;
  last_duration_ = config_.default_frame_duration;
}

JitterBuffer::~JitterBuffer() { clear(); }

int64_t JitterBuffer::ticks_to_ns(int64_t ticks) const {
  return jitter::ticks_to_ns(ticks, config_.clock_rate);
}

int64_t JitterBuffer::media_ns(int64_t timestamp) const { return ticks_to_ns(timestamp); }

void JitterBuffer::clear() {
  for (auto &s : slots_) {
    if (s.state == SlotState::kStored && release_) release_(s.cookie);
    s = Slot{};
  }
  size_ = 0;
  sequences_.reset();
  timestamps_.reset();
  estimator_.reset();
  started_ = anchored_ = emitted_ = false;
  discont_ = true;
  next_sequence_ = next_timestamp_ = highest_sequence_ = 0;
  playout_offset_ = latency_ns_ = 0;
  last_duration_ = config_.default_frame_duration;
  spaced_duration_ = 0;
  dry_since_ns_ = excess_since_ns_ = compress_since_ns_ = kNever;
  pending_expanded_ = 0;
  compress_asked_ns_ = 0;
  candidate_valid_ = false;
  candidate_run_ = 0;
}

void JitterBuffer::restart() {
  uint64_t flushed = size_;
  clear();
  stats_.dropped += flushed;
  ++stats_.restarts;
}

bool JitterBuffer::is_anomalous(int64_t sequence, int64_t transit_ns) const {
  int64_t capacity = config_.capacity;
  if (sequence >= next_sequence_ + capacity || sequence < next_sequence_ - capacity) return true;
  int64_t slack = config_.max_latency_ns + kTimelineSlackNs;
  return estimator_.has_base() && std::llabs(estimator_.relative_delay(transit_ns)) > slack;
}

bool JitterBuffer::confirms_restart(uint32_t sequence, int64_t transit_ns) {
  auto step = static_cast<uint32_t>(sequence - candidate_sequence_);
  bool follows = candidate_valid_ && step >= 1 && step <= 16 &&
                 std::llabs(transit_ns - candidate_transit_) <= config_.max_latency_ns;
  candidate_run_ = follows ? candidate_run_ + 1 : 1;
  candidate_valid_ = true;
  candidate_sequence_ = sequence;
  candidate_transit_ = transit_ns;
  return candidate_run_ >= kRestartRun;
}

InsertResult JitterBuffer::insert(const Frame &frame, int64_t arrival_ns) {
  ++stats_.received;
  if (!started_) {
    sequences_.commit(frame.sequence, 0);
    timestamps_.commit(frame.timestamp, 0);
    sequence_origin_ = frame.sequence;
    timestamp_origin_ = frame.timestamp;
    next_sequence_ = highest_sequence_ = 0;
    next_timestamp_ = 0;
    started_ = true;
    return store(frame, 0, 0, arrival_ns);
  }
  int64_t sequence = sequences_.peek(frame.sequence);
  int64_t timestamp = timestamps_.peek(frame.timestamp);
  int64_t transit = arrival_ns - media_ns(timestamp);
  if (is_anomalous(sequence, transit)) {
    if (!confirms_restart(frame.sequence, transit)) {
      ++stats_.dropped;
      return InsertResult::kRejected;
    }
    restart();
    --stats_.received;  // counted again below
    insert(frame, arrival_ns);
    return InsertResult::kRestarted;
  }
  candidate_valid_ = false;
  candidate_run_ = 0;

  Slot &s = slot(sequence);
  if (sequence < next_sequence_) {
    bool seen = s.sequence == sequence && s.state != SlotState::kEmpty;
    if (seen && s.state == SlotState::kPlayed) {
      ++stats_.duplicates;
      return InsertResult::kDuplicate;
    }
    if (emitted_ || seen) {
      ++stats_.late;
      estimator_.observe(arrival_ns, transit, /*overtaken=*/true);
      return InsertResult::kLate;
    }
    // Nothing output yet: an earlier frame becomes the head, if the ring
    // can hold everything from it to the highest frame.
    if (highest_sequence_ - sequence >= static_cast<int64_t>(config_.capacity)) {
      ++stats_.dropped;
      return InsertResult::kRejected;
    }
    next_sequence_ = sequence;
    next_timestamp_ = timestamp;
  }
  if (s.state == SlotState::kStored && s.sequence == sequence) {
    ++stats_.duplicates;
    return InsertResult::kDuplicate;
  }
  if (sequence < highest_sequence_) ++stats_.reordered;
  return store(frame, sequence, timestamp, arrival_ns);
}

InsertResult JitterBuffer::store(const Frame &frame, int64_t sequence, int64_t timestamp,
                                 int64_t arrival_ns) {
  // A frame without a duration gets one when it plays (spacing_duration):
  // by then the frame after it has usually arrived too.
  Slot &s = slot(sequence);
  s = Slot{sequence, timestamp, frame.duration, frame.cookie, SlotState::kStored};
  ++size_;
  const bool overtaken = sequence < highest_sequence_;
  highest_sequence_ = std::max(highest_sequence_, sequence);
  sequences_.commit(frame.sequence, sequence);
  timestamps_.commit(frame.timestamp, timestamp);
  estimator_.observe(arrival_ns, arrival_ns - media_ns(timestamp), overtaken);
  if (!anchored_) {
    // The first frame, or the first after the sender went quiet: the
    // timeline starts here, whenever the caller next polls.
    if (stats_.played > 0 && sequence > next_sequence_) {
      stats_.concealed += static_cast<uint64_t>(sequence - next_sequence_);
    }
    next_sequence_ = sequence;
    anchor(timestamp, arrival_ns);
    emitted_ = false;
  }
  return InsertResult::kStored;
}

// A frame that does not say how long it is lasts as long as the spacing to
// a neighbouring frame (consecutive sequence numbers), the shorter one where
// both are here: a silence gap (DTX) lies before a talkspurt's first frame
// and after its last, so only one side's spacing includes it. A spacing
// longer than any codec frame (120 ms) is a silence gap, not a frame.
uint32_t JitterBuffer::spacing_duration(int64_t sequence, int64_t timestamp) {
  auto holds = [this](int64_t seq) {
    const Slot &s = slot(seq);
    return s.sequence == seq && (s.state == SlotState::kStored || s.state == SlotState::kPlayed);
  };
  const int64_t longest = static_cast<int64_t>(config_.clock_rate) * 120 / 1000;
  int64_t spacing = longest + 1;
  if (holds(sequence - 1)) spacing = timestamp - slot(sequence - 1).timestamp;
  if (holds(sequence + 1)) {
    int64_t after = slot(sequence + 1).timestamp - timestamp;
    if (after > 0 && (spacing <= 0 || after < spacing)) spacing = after;
  }
  if (spacing > 0 && spacing <= longest) spaced_duration_ = static_cast<uint32_t>(spacing);
  return spaced_duration_ ? spaced_duration_ : last_duration_;
}

int64_t JitterBuffer::wanted_delay() const {
  return config_.mode == Mode::kFixed ? config_.latency_ns : estimator_.target_delay();
}

void JitterBuffer::anchor(int64_t head_timestamp, int64_t earliest_ns) {
  int64_t base = estimator_.base_transit();
  // Never start before what was already output (the end of the last frame).
  playout_offset_ = std::max(base + wanted_delay(), earliest_ns - media_ns(head_timestamp));
  // The latency is fixed once output has begun: every later change of the
  // delay moves the output times instead, so downstream's timeline follows
  // the delay sample for sample. A reported latency that changed at each
  // talkspurt shifted all output times by the change; the fill before the
  // talkspurt grew or shrank by it, and a sink that plays samples in a row
  // (a file, a ring buffer that keeps alignment) kept the time compression
  // had removed or lost speech to the overlap.
  if (!emitted_) latency_ns_ = std::max<int64_t>(playout_offset_ - base, 0);
  next_timestamp_ = head_timestamp;
  anchored_ = true;
  discont_ = true;
  pending_expanded_ = 0;  // they filled silence, not speech
  excess_since_ns_ = compress_since_ns_ = kNever;
  compress_asked_ns_ = 0;
}

// Called once the output has reached `due_ns` (the end of what went out).
// The fill runs from there to the talkspurt's start, so downstream's
// timeline has no hole (DTX: the sender's silence was only concealed up to
// `due_ns`); a delay lower or higher than before makes it shorter or longer.
Action JitterBuffer::start_talkspurt(int64_t head_timestamp, int64_t due_ns, int64_t now_ns) {
  anchor(head_timestamp, std::max(due_ns, now_ns));
  int64_t start = media_ns(head_timestamp) + playout_offset_;
  if (!emitted_ || start <= due_ns) return Action{Action::Kind::kWait, kNever};
  Action fill{Action::Kind::kConceal, due_ns, start - due_ns};
  fill.conceal = Action::Conceal::kSilence;
  fill.sequence = wire_sequence(next_sequence_);
  fill.timestamp = wire_timestamp(next_timestamp_);
  return fill;
}

int64_t JitterBuffer::excess_delay() const {
  return playout_offset_ - estimator_.base_transit() - wanted_delay();
}

bool JitterBuffer::should_shrink(int64_t now_ns) {
  if (config_.mode != Mode::kAdaptive || !config_.drop_to_shrink) return false;
  const int64_t excess = excess_delay();
  // Dropping a frame removes its duration: only worth it when the excess
  // is larger, so the delay does not fall below the target.
  int64_t threshold = ticks_to_ns(last_duration_);
  if (excess <= threshold) {
    excess_since_ns_ = kNever;
    return false;
  }
  if (excess_since_ns_ == kNever) {
    excess_since_ns_ = now_ns;
    return false;
  }
  const int64_t hold = config_.compress_to_shrink ? kCompressingShrinkHoldNs : kShrinkHoldNs;
  if (now_ns - excess_since_ns_ < hold) return false;
  excess_since_ns_ = now_ns - hold + kShrinkSpacingNs;
  return true;
}

int64_t JitterBuffer::compress_request(int64_t now_ns, uint32_t duration) {
  if (config_.mode != Mode::kAdaptive || !config_.compress_to_shrink) return 0;
  const int64_t excess = excess_delay();
  if (excess < kCompressMinNs) {
    compress_since_ns_ = kNever;
    return 0;
  }
  if (compress_since_ns_ == kNever) compress_since_ns_ = now_ns;
  if (now_ns - compress_since_ns_ < kCompressHoldNs) return 0;
  // At most half the frame: the decoder removes whole pitch periods, and a
  // frame played at double speed is as fast as sounds natural.
  return std::min(excess, ticks_to_ns(duration) / 2);
}

void JitterBuffer::compressed(int64_t removed_ns) {
  removed_ns = std::clamp<int64_t>(removed_ns, 0, compress_asked_ns_);
  compress_asked_ns_ = 0;
  if (removed_ns == 0) return;
  playout_offset_ -= removed_ns;
  ++stats_.compressed;
  stats_.compressed_ns += removed_ns;
}

Action JitterBuffer::next(int64_t now_ns) {
  Action action = step(now_ns);
  if (action.kind != Action::Kind::kWait) emitted_ = true;
  return action;
}

Action JitterBuffer::step(int64_t now_ns) {
  if (!started_) return Action{Action::Kind::kWait, kNever};
  // Each pass either returns or consumes a frame, so the loop is bounded.
  for (;;) {
    // The head: the first stored frame at or after next_sequence_.
    int64_t head_sequence = next_sequence_;
    while (head_sequence <= highest_sequence_ && !is_stored(head_sequence)) ++head_sequence;
    if (head_sequence > highest_sequence_) return next_when_dry(now_ns);

    Slot &head = slot(head_sequence);
    int64_t due = media_ns(next_timestamp_) + playout_offset_;
    if (head_sequence > next_sequence_) {
      // Frames before the head are missing. Where they belong, if they
      // ran up to the head: after a silence gap they start a talkspurt.
      int64_t missing_start = head.timestamp - (head_sequence - next_sequence_) * last_duration_;
      if (missing_start - next_timestamp_ > static_cast<int64_t>(last_duration_ / 2)) {
        if (due > now_ns) return Action{Action::Kind::kWait, due};
        Action fill = start_talkspurt(missing_start, due, now_ns);
        if (fill.kind != Action::Kind::kWait) return fill;
        due = media_ns(next_timestamp_) + playout_offset_;
      }
      // Later frames are here: once its time comes, the first one is lost.
      if (due > now_ns) return Action{Action::Kind::kWait, due};
      int64_t gap = head.timestamp - next_timestamp_;
      if (gap >= last_duration_ && can_expand(ticks_to_ns(last_duration_))) {
        // FEC may still recover it (recovery waits for the block's repair
        // packets): while the path's delay allows, wait for it as if dry.
        playout_offset_ += ticks_to_ns(last_duration_);
        ++pending_expanded_;
        return conceal(Action::Conceal::kExpand, due, last_duration_);
      }
      if (gap <= 0) {
        // Concealment already covered their time (the buffer ran dry).
        stats_.concealed += static_cast<uint64_t>(head_sequence - next_sequence_);
        next_sequence_ = head_sequence;
        continue;
      }
      auto duration = static_cast<uint32_t>(std::min<int64_t>(last_duration_, gap));
      Action action = conceal(Action::Conceal::kLost, due, duration);
      Slot &missing = slot(next_sequence_);
      if (missing.state != SlotState::kStored) {
        missing = Slot{next_sequence_, next_timestamp_, duration, 0, SlotState::kConcealed};
      }
      ++next_sequence_;
      next_timestamp_ += duration;
      ++stats_.concealed;
      return action;
    }

    uint32_t duration =
        head.duration ? head.duration : spacing_duration(head_sequence, head.timestamp);
    if (head.timestamp + duration <= next_timestamp_) {
      // Its time went by while the buffer was dry at its delay limit.
      if (release_) release_(head.cookie);
      head.state = SlotState::kConcealed;
      --size_;
      ++next_sequence_;
      ++stats_.late;
      continue;
    }
    if (head.timestamp - next_timestamp_ > static_cast<int64_t>(last_duration_ / 2)) {
      // A silence gap before this frame: the one place to change the delay.
      if (due > now_ns) return Action{Action::Kind::kWait, due};
      Action fill = start_talkspurt(head.timestamp, due, now_ns);
      if (fill.kind != Action::Kind::kWait) return fill;
      due = media_ns(next_timestamp_) + playout_offset_;
    }
    if (due > now_ns) return Action{Action::Kind::kWait, due};
    stats_.expanded += pending_expanded_;
    pending_expanded_ = 0;
    dry_since_ns_ = kNever;

    if (is_stored(head_sequence + 1) && should_shrink(now_ns)) {
      // Drop this frame and play the next one in its place.
      if (release_) release_(head.cookie);
      head.state = SlotState::kPlayed;
      --size_;
      ++next_sequence_;
      next_timestamp_ = std::max(head.timestamp, next_timestamp_) + duration;
      playout_offset_ -= ticks_to_ns(duration);
      ++stats_.dropped;
      ++stats_.shrunk;
      continue;
    }

    Action play{Action::Kind::kPlay, due, ticks_to_ns(duration), head.cookie};
    play.sequence = wire_sequence(head.sequence);
    play.timestamp = wire_timestamp(head.timestamp);
    play.discont = discont_;
    play.compress_ns = compress_request(now_ns, duration);
    compress_asked_ns_ = play.compress_ns;
    discont_ = false;
    head.state = SlotState::kPlayed;
    --size_;
    ++stats_.played;
    ++next_sequence_;
    next_timestamp_ = std::max(head.timestamp, next_timestamp_) + duration;
    // A new frame length is a new tier, with its own FEC and so its own
    // delays: learn them afresh (DelayEstimator::relearn). Only where the
    // excess this leaves can be compressed away: dropping it costs frames.
    if (duration != last_duration_ && config_.compress_to_shrink && stats_.played > 1) {
      estimator_.relearn();
    }
    last_duration_ = duration;
    return play;
  }
}

Action JitterBuffer::next_when_dry(int64_t now_ns) {
  if (!anchored_) return Action{Action::Kind::kWait, kNever};
  int64_t due = media_ns(next_timestamp_) + playout_offset_;
  if (due > now_ns) return Action{Action::Kind::kWait, due};
  if (dry_since_ns_ == kNever) dry_since_ns_ = due;
  if (due - dry_since_ns_ >= kDryLimitNs) {
    // The sender went quiet: wait for it and re-anchor then.
    anchored_ = false;
    dry_since_ns_ = kNever;
    return Action{Action::Kind::kWait, kNever};
  }
  uint32_t duration = last_duration_;
  if (can_expand(ticks_to_ns(duration))) {
    // Wait for the late frame while the decoder conceals: the delay grows.
    playout_offset_ += ticks_to_ns(duration);
    ++pending_expanded_;
    return conceal(Action::Conceal::kExpand, due, duration);
  }
  // At the delay limit: time moves on; frames that come later are late.
  next_timestamp_ += duration;
  return conceal(Action::Conceal::kLost, due, duration);
}

bool JitterBuffer::can_expand(int64_t duration_ns) const {
  if (config_.mode != Mode::kAdaptive) return false;
  int64_t delay = playout_offset_ - estimator_.base_transit();
  // Wait only as long as the path is known to need, plus one step (a bucket,
  // or the frame if longer: else a 40 ms frame could never wait at the
  // target): a stall far beyond the target costs less as a few lost frames
  // than as a delay that then has to be shrunk again.
  int64_t step = std::max(config_.bucket_ns, duration_ns);
  int64_t limit = std::min(config_.max_latency_ns, wanted_delay() + step);
  if (media_ns(next_timestamp_) < kStartupNs) {
    limit = std::max(limit, std::min(config_.max_latency_ns, kStartupWaitNs));
  }
  return delay + duration_ns <= limit;
}

Action JitterBuffer::conceal(Action::Conceal why, int64_t due_ns, uint32_t duration) {
  Action action{Action::Kind::kConceal, due_ns, ticks_to_ns(duration)};
  action.conceal = why;
  action.sequence = wire_sequence(next_sequence_);
  action.timestamp = wire_timestamp(next_timestamp_);
  return action;
}

JitterStats JitterBuffer::stats() const {
  JitterStats out = stats_;
  out.target_delay_ns = wanted_delay();
  out.current_delay_ns =
      started_ ? std::max<int64_t>(playout_offset_ - estimator_.base_transit(), 0) : latency_ns_;
  return out;
}

}  // namespace wzp::jitter
