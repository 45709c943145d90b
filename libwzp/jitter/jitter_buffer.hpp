// The adaptive jitter buffer's core: clock-free, it takes every time as an
// argument, so tests and the benchmark drive it with synthetic traces.
//
// Frames go in with `insert` (sequence number, media timestamp, arrival
// time); `next(now)` says what to do at `now`: play a frame, conceal one
// (the frame is lost, or the buffer runs dry and the delay grows), or wait.
// Each frame plays at media time + a playout offset. The offset follows the
// DelayEstimator's target only where the change is inaudible: at the start
// of a talkspurt (after a DTX/silence gap, seen as a timestamp jump between
// consecutive sequence numbers). Inside a talkspurt the delay grows only when
// the frame due is missing (the buffer runs dry, or later frames came first,
// e.g. while FEC recovers it) and the target allows: the decoder conceals
// while we wait for it, like NetEq's expand. Where the decoder can play a
// frame shorter (time compression, NetEq's accelerate; set_compression) the
// delay shrinks soon and without loss: a kPlay asks for up to
// `compress_ns` less, and the caller reports what it removed
// (compressed()). Otherwise, or when that cannot keep up for long, it
// shrinks by dropping a frame. docs/jitter.md says why.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "libwzp/jitter/delay_estimator.hpp"
#include "libwzp/jitter/unwrap.hpp"

namespace wzp::jitter {

enum class Mode : uint8_t { kAdaptive, kFixed };

struct JitterConfig {
  Mode mode = Mode::kAdaptive;
  uint32_t clock_rate = 48000;
  // The fixed mode's delay; the adaptive mode's delay before it has learned.
  int64_t latency_ns = 80'000'000;
  int64_t min_latency_ns = 0;
  int64_t max_latency_ns = 1'000'000'000;
  double quantile = 0.95;
  double forget_factor = 0.998;
  int64_t bucket_ns = 20'000'000;
  // How long the latest overtaken frame stays a floor under the target
  // (DelayEstimator); 0: no floor.
  int64_t overtaken_memory_ns = 30'000'000'000;
  // Frames held at most (rounded up to a power of two): bounds memory.
  uint32_t capacity = 1024;
  // Assumed when a frame does not say how long it is (20 ms at 48 kHz).
  uint32_t default_frame_duration = 960;
  // Whether a long excess delay may be cut by dropping a frame. Not for
  // video: each frame is the next one's reference, so a dropped frame would
  // break the picture until a keyframe; video's delay shrinks only where the
  // timeline re-anchors.
  bool drop_to_shrink = true;
  // Whether the decoder downstream can play a frame shorter (see the header
  // comment); JitterBuffer::set_compression changes it mid-stream.
  bool compress_to_shrink = false;
};

// One encoded frame. `cookie` is the caller's handle for the payload; the
// buffer hands it back when the frame plays or is released.
struct Frame {
  uint32_t sequence = 0;
  uint32_t timestamp = 0;
  // Media clock units; 0 = unknown: the frame then lasts until the next
  // frame's timestamp (wzp frames carry no duration on the wire).
  uint32_t duration = 0;
  uint64_t cookie = 0;
};

enum class InsertResult : uint8_t {
  kStored,
  kDuplicate,  // already held or already played: the caller frees it
  kLate,       // its time has passed (it was concealed): the caller frees it
  kRejected,   // too far ahead, or its timing contradicts the stream: the caller frees it
  kRestarted,  // a new stream (sequence or timestamps jumped, confirmed): stored as its first frame
};

struct Action {
  enum class Kind : uint8_t { kWait, kPlay, kConceal };
  // kSilence: a talkspurt starts later than the output reached (the delay
  // grew at a silence gap); it covers the time in between.
  enum class Conceal : uint8_t { kLost, kExpand, kSilence };
  Kind kind = Kind::kWait;
  int64_t time_ns = 0;  // when to play / conceal, or when to ask again (kNever: on insert)
  int64_t duration_ns = 0;
  uint64_t cookie = 0;  // kPlay
  uint32_t sequence = 0;
  uint32_t timestamp = 0;
  bool discont = false;  // kPlay: first frame after a silence gap or a restart
  // kPlay: how much shorter the frame may play (time compression); the
  // caller reports what it removed with JitterBuffer::compressed().
  int64_t compress_ns = 0;
  Conceal conceal = Conceal::kLost;
};

struct JitterStats {
  uint64_t received = 0;
  uint64_t played = 0;
  uint64_t concealed = 0;  // frames declared lost and concealed
  uint64_t expanded = 0;   // concealed frames inserted to grow the delay
  uint64_t late = 0;
  uint64_t dropped = 0;       // rejected, flushed on restart, or dropped to shrink the delay
  uint64_t shrunk = 0;        // of `dropped`: frames dropped to shrink the delay
  uint64_t compressed = 0;    // frames played shorter to shrink the delay
  int64_t compressed_ns = 0;  // the time they removed
  uint64_t reordered = 0;
  uint64_t duplicates = 0;
  uint64_t restarts = 0;
  int64_t target_delay_ns = 0;
  int64_t current_delay_ns = 0;
};

class JitterBuffer {
 public:
  static constexpr int64_t kNever = INT64_MAX;

  // `release` receives the cookie of every stored frame the buffer discards
  // (restart, shrink, clear).
  JitterBuffer(const JitterConfig &config, std::function<void(uint64_t)> release);
  ~JitterBuffer();
  JitterBuffer(const JitterBuffer &) = delete;
  JitterBuffer &operator=(const JitterBuffer &) = delete;

  InsertResult insert(const Frame &frame, int64_t arrival_ns);
  Action next(int64_t now_ns);
  // The decoder removed `removed_ns` of the last kPlay's audio (at most its
  // compress_ns): the timeline moves earlier by as much, so the next frame
  // starts where the shorter one ended.
  void compressed(int64_t removed_ns);
  void set_compression(bool on) { config_.compress_to_shrink = on; }
  // Releases every stored frame and forgets the stream.
  void clear();
  // The time every finite wait next() returns stands for (when the next
  // frame's slot is due), kNever while nothing is scheduled. A caller that
  // waits for a time needs to ask next() again after an insert only if
  // this moved from that time.
  int64_t due_ns() const {
    return anchored_ ? media_ns(next_timestamp_) + playout_offset_ : kNever;
  }

  JitterStats stats() const;
  // The delay downstream should add (the latency to report): the playout
  // delay above the base path delay when the output began. Output times are
  // playout times minus it; it stays until reset().
  int64_t latency_ns() const { return latency_ns_; }
  size_t size() const { return size_; }
  const JitterConfig &config() const { return config_; }

 private:
  enum class SlotState : uint8_t { kEmpty, kStored, kPlayed, kConcealed };
  struct Slot {
    int64_t sequence = 0;
    int64_t timestamp = 0;
    uint32_t duration = 0;
    uint64_t cookie = 0;
    SlotState state = SlotState::kEmpty;
  };

  Slot &slot(int64_t sequence) { return slots_[static_cast<size_t>(sequence) & mask_]; }
  bool is_stored(int64_t sequence) {
    const Slot &s = slot(sequence);
    return s.state == SlotState::kStored && s.sequence == sequence;
  }
  int64_t media_ns(int64_t timestamp) const;
  uint32_t wire_sequence(int64_t sequence) const {
    return sequence_origin_ + static_cast<uint32_t>(sequence);
  }
  uint32_t wire_timestamp(int64_t timestamp) const {
    return timestamp_origin_ + static_cast<uint32_t>(timestamp);
  }
  int64_t ticks_to_ns(int64_t ticks) const;
  bool is_anomalous(int64_t sequence, int64_t transit_ns) const;
  bool confirms_restart(uint32_t sequence, int64_t transit_ns);
  void restart();
  InsertResult store(const Frame &frame, int64_t sequence, int64_t timestamp, int64_t arrival_ns);
  uint32_t spacing_duration(int64_t sequence, int64_t timestamp);
  int64_t wanted_delay() const;
  // How far the playout delay is above what is wanted (negative: below).
  int64_t excess_delay() const;
  void anchor(int64_t head_timestamp, int64_t earliest_ns);
  Action start_talkspurt(int64_t head_timestamp, int64_t due_ns, int64_t now_ns);
  Action step(int64_t now_ns);
  Action next_when_dry(int64_t now_ns);
  // Whether the delay may grow by `duration_ns` to wait for a missing frame.
  bool can_expand(int64_t duration_ns) const;
  Action conceal(Action::Conceal why, int64_t due_ns, uint32_t duration);
  bool should_shrink(int64_t now_ns);
  int64_t compress_request(int64_t now_ns, uint32_t duration);

  JitterConfig config_;
  std::function<void(uint64_t)> release_;
  DelayEstimator estimator_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
  Unwrapper sequences_;
  Unwrapper timestamps_;
  // The wire values of extended sequence and timestamp 0.
  uint32_t sequence_origin_ = 0;
  uint32_t timestamp_origin_ = 0;

  bool started_ = false;   // a frame has been stored since the last restart
  bool anchored_ = false;  // playout_offset_ is valid
  bool emitted_ = false;   // an action came out since the timeline was anchored
  bool discont_ = true;
  int64_t next_sequence_ = 0;
  int64_t next_timestamp_ = 0;  // where the head frame should start
  int64_t highest_sequence_ = 0;
  int64_t playout_offset_ = 0;  // playout time = media time + offset
  int64_t latency_ns_ = 0;
  uint32_t last_duration_ = 0;
  uint32_t spaced_duration_ = 0;      // the frame spacing last seen between neighbours; 0: none yet
  int64_t dry_since_ns_ = kNever;     // start of the current run of dry concealment
  int64_t excess_since_ns_ = kNever;  // since when the delay has been above target
  uint64_t pending_expanded_ = 0;     // dry concealment that becomes `expanded` if speech resumes
  // Since when the delay has been above target by compression's margin.
  int64_t compress_since_ns_ = kNever;
  int64_t compress_asked_ns_ = 0;  // the last kPlay's compress_ns, until reported

  // A run of frames that contradict the stream, to tell a restart from junk.
  bool candidate_valid_ = false;
  uint32_t candidate_sequence_ = 0;
  int64_t candidate_transit_ = 0;
  int candidate_run_ = 0;

  JitterStats stats_;
};

}  // namespace wzp::jitter
