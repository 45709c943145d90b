#include "libwzp/jitter/av_sync.hpp"

#include <algorithm>
#include <cstdlib>

namespace wzp::jitter {

void AvSync::on_frame(Stream stream, uint32_t wire_timestamp, uint32_t clock_rate, int64_t pts_ns,
                      int64_t now_ns) {
  if (clock_rate == 0) return;
  Map &map = stream == Stream::kAudio ? audio_ : video_;
  // Capture times start near zero (the sender's running time), so the first
  // value is taken as it is and later ones extended across the 32-bit wrap.
  if (!map.timestamps.started()) map.first = wire_timestamp;
  const int64_t since_first = map.timestamps.peek(wire_timestamp);
  map.timestamps.commit(wire_timestamp, since_first);
  map.map_ns = pts_ns - ticks_to_ns(int64_t{map.first} + since_first, clock_rate);
  map.at_ns = now_ns;
  if (stream != Stream::kVideo) return;
  const std::optional<int64_t> raw = raw_offset_ns(now_ns);
  if (!raw) return;
  ++stats_.samples;
  stats_.max_abs_raw_ns = std::max(stats_.max_abs_raw_ns, std::abs(*raw));
  stats_.sum_abs_raw_ns += std::abs(*raw);
  if (!decided_) return;
  const int64_t synced = *raw + delays_.video_ns - delays_.audio_ns;
  ++stats_.synced_samples;
  stats_.max_abs_synced_ns = std::max(stats_.max_abs_synced_ns, std::abs(synced));
  stats_.sum_abs_synced_ns += std::abs(synced);
  if (std::abs(synced) > config_.goal_ns) ++stats_.synced_beyond_goal;
}

std::optional<int64_t> AvSync::raw_offset_ns(int64_t now_ns) const {
  if (!fresh(audio_, now_ns) || !fresh(video_, now_ns)) return std::nullopt;
  return video_.map_ns - audio_.map_ns;
}

std::optional<int64_t> AvSync::offset_ns(int64_t now_ns) const {
  const std::optional<int64_t> raw = raw_offset_ns(now_ns);
  if (!raw) return std::nullopt;
  return *raw + delays_.video_ns - delays_.audio_ns;
}

std::optional<AvDelays> AvSync::decide(int64_t now_ns) {
  // Without both streams nothing is held back: a stopped picture must not
  // keep delaying speech.
  AvDelays wanted;
  const std::optional<int64_t> raw = raw_offset_ns(now_ns);
  if (raw) {
    decided_ = true;
    if (*raw > 0) {
      wanted.audio_ns = std::min(*raw, config_.max_audio_delay_ns);
    } else {
      wanted.video_ns = -*raw;
    }
  }
  const bool near = std::abs(wanted.audio_ns - delays_.audio_ns) <= config_.tolerance_ns &&
                    std::abs(wanted.video_ns - delays_.video_ns) <= config_.tolerance_ns;
  if ((raw && near) || wanted == delays_) return std::nullopt;
  delays_ = wanted;
  return delays_;
}

}  // namespace wzp::jitter
