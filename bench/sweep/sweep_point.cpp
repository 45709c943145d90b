#include "bench/sweep/sweep_point.hpp"

#include <algorithm>
#include <cmath>

namespace wzp::sweep {

WzpSettings wzp_settings_for(double loss, uint32_t max_group_frames) {
  WzpSettings s;
  if (loss <= 0.0) return s;  // the good tier as libwzp/quality defines it
  // Codec rate from the ladder: good (24k) up to 15 % loss, degraded (6k)
  // above. Past 40 % the ladder wants Codec2; this chain stays on Opus.
  s.opus_bps = loss <= 0.15 ? 24'000 : 6'000;
  // Repair so that a block's expected arrivals exceed K with a margin that
  // grows with the loss (variance grows too), in quarters, capped at the
  // encoder's maximum ratio of 4.
  double needed = (1.5 + loss) / (1.0 - loss) - 1.0;
  s.repair_ratio = std::min(4.0, std::ceil(needed * 4.0) / 4.0);
  // Two interleaved blocks turn a burst into scattered erasures. Past 50 %
  // loss, where the ratio cannot grow further, one block of 20 instead:
  // the same 400 ms group, with a smaller spread of arrivals per block.
  s.block_frames = loss >= 0.55 ? 20 : 10;
  s.interleave = loss >= 0.55 ? 1 : 2;
  if (max_group_frames > 0 && s.block_frames * s.interleave > max_group_frames) {
    s.interleave = 1;
    s.block_frames = std::min(s.block_frames, max_group_frames);
  }
  return s;
}

namespace {

void finish_delays(std::vector<double> &delays, Score &score) {
  if (delays.empty()) return;
  double sum = 0;
  for (double d : delays) sum += d;
  score.mean_delay_ms = sum / static_cast<double>(delays.size());
  std::sort(delays.begin(), delays.end());
  score.p95_delay_ms = delays[std::min(delays.size() - 1, delays.size() * 95 / 100)];
}

double delay_ms(const FrameOutcome &outcome, size_t frame, int64_t start_ns) {
  int64_t capture = start_ns + static_cast<int64_t>(frame) * kFrameNs;
  return static_cast<double>(outcome.playout_ns - capture) / 1e6;
}

}  // namespace

Score score_wzp(const std::vector<FrameOutcome> &outcomes, size_t frames, int64_t start_ns) {
  Score score;
  score.frames = frames;
  std::vector<double> delays;
  for (size_t i = 0; i < frames && i < outcomes.size(); ++i) {
    if (!outcomes[i].played) continue;
    ++score.real;
    delays.push_back(delay_ms(outcomes[i], i, start_ns));
  }
  finish_delays(delays, score);
  return score;
}

Score score_stock(const std::vector<FrameOutcome> &outcomes, const std::vector<bool> &has_lbrr,
                  size_t frames, int64_t start_ns) {
  constexpr double kOpusFecHoldMs = kFrameNs / 1e6;
  Score score;
  score.frames = frames;
  std::vector<double> delays;
  for (size_t i = 0; i < frames && i < outcomes.size(); ++i) {
    if (outcomes[i].played) {
      ++score.real;
      delays.push_back(delay_ms(outcomes[i], i, start_ns) + kOpusFecHoldMs);
      continue;
    }
    size_t next = i + 1;
    if (next < outcomes.size() && outcomes[next].played && next < has_lbrr.size() &&
        has_lbrr[next]) {
      ++score.real;
      ++score.via_opus_fec;
      // It plays in its own slot, one frame before the next one.
      delays.push_back(delay_ms(outcomes[next], next, start_ns) + kOpusFecHoldMs);
    }
  }
  finish_delays(delays, score);
  return score;
}

std::vector<int64_t> impair(const SentStream &stream, const netsim::DirectionConfig &config,
                            netsim::DirectionCounters &counters) {
  netsim::ImpairmentModel model(config);
  std::vector<int64_t> arrivals;
  arrivals.reserve(stream.packets.size());
  for (const SentPacket &packet : stream.packets) {
    auto verdict =
        model.submit(netsim::Micros(packet.send_ns / 1000), packet.bytes.size() + kIpUdpOverhead);
    if (verdict.copies == 0) {
      arrivals.push_back(-1);
      continue;
    }
    arrivals.push_back(static_cast<int64_t>(verdict.deliver_at[0].count()) * 1000);
  }
  counters = model.counters();
  return arrivals;
}

}  // namespace wzp::sweep
