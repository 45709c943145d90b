// Lip sync of one participant's audio and video at the receiver
// (docs/video.md, "Lip sync"). Clock-free: every time is an argument.
//
// The sender's audio and video pipelines share a base time, so both streams'
// wire timestamps count capture time from one origin. Each jitter buffer
// gives a frame the presentation time media time + its stream's base path
// delay (its own playout delay goes into the pipeline latency, which both
// streams' sinks add alike), so a stream's "map", presentation time minus
// capture time, is how late the receiver shows it; the two maps differ by
// what the streams spend before the wire (SVT-AV1 holds three frames, the
// audio one frame and its FEC). AvSync tracks both maps and holds the earlier
// stream back by the difference: that delay goes on its jitter buffer's
// output (a pad offset), after the buffer's own decisions, so it never feeds
// back into them.
#pragma once

#include <cstdint>
#include <optional>

#include "libwzp/jitter/unwrap.hpp"

namespace wzp::jitter {

struct AvSyncConfig {
  // A stream silent this long (video off, a freeze) holds the other back no
  // more: its map is stale.
  int64_t max_age_ns = 2'000'000'000;
  // A delay moves only when it is this far from what is wanted: each move is
  // a jump in the sink's timeline, and 20 ms is half the lip-sync goal.
  int64_t tolerance_ns = 20'000'000;
  // Speech is held back for the picture at most this much: beyond it lip
  // sync costs more conversation than it is worth.
  int64_t max_audio_delay_ns = 400'000'000;
  // The lip-sync goal (issue 18): aligned samples beyond it are counted.
  int64_t goal_ns = 40'000'000;
};

// How much later each stream is presented than its jitter buffer says.
struct AvDelays {
  int64_t audio_ns = 0;
  int64_t video_ns = 0;
  bool operator==(const AvDelays &) const = default;
};

// Video presented minus audio for the same capture time, at each video
// frame seen while the audio's map was fresh: without the delays (what the
// streams' own timing gives) and, once decide() first had both streams, with
// them.
struct AvSyncStats {
  uint64_t samples = 0;
  int64_t max_abs_raw_ns = 0;
  int64_t sum_abs_raw_ns = 0;
  uint64_t synced_samples = 0;
  int64_t max_abs_synced_ns = 0;
  int64_t sum_abs_synced_ns = 0;
  uint64_t synced_beyond_goal = 0;
};

class AvSync {
 public:
  enum class Stream : uint8_t { kAudio, kVideo };

  explicit AvSync(const AvSyncConfig &config = {}) : config_(config) {}

  // A frame leaving its jitter buffer at `now_ns`: its wire timestamp (the
  // sender's capture time on `clock_rate`) and its presentation timestamp.
  void on_frame(Stream stream, uint32_t wire_timestamp, uint32_t clock_rate, int64_t pts_ns,
                int64_t now_ns);
  // Video's presentation minus audio's for the same capture time, delays
  // included (positive: the picture is late); nullopt unless both maps are
  // fresh.
  std::optional<int64_t> offset_ns(int64_t now_ns) const;
  // Moves the delays toward lining the streams up; returns them when they
  // changed.
  std::optional<AvDelays> decide(int64_t now_ns);

  const AvDelays &delays() const { return delays_; }
  const AvSyncStats &stats() const { return stats_; }

 private:
  struct Map {
    Unwrapper timestamps;  // relative to the first, which is taken as it is
    uint32_t first = 0;
    int64_t map_ns = 0;  // presentation minus capture of the last frame
    int64_t at_ns = 0;   // when it was seen
  };
  bool fresh(const Map &map, int64_t now_ns) const {
    return map.timestamps.started() && now_ns - map.at_ns <= config_.max_age_ns;
  }
  // Video's map minus audio's, without the delays.
  std::optional<int64_t> raw_offset_ns(int64_t now_ns) const;

  AvSyncConfig config_;
  Map audio_;
  Map video_;
  AvDelays delays_;
  bool decided_ = false;  // decide() has had both streams
  AvSyncStats stats_;
};

}  // namespace wzp::jitter
