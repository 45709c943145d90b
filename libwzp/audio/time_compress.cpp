#include "libwzp/audio/time_compress.hpp"

#include <algorithm>
#include <cmath>

namespace wzp::audio {

namespace {

// Cross-fades x[0, length) into x[length, 2 length) and closes the gap:
// the result starts as the frame did and ends on the second stretch's last
// sample, which the rest of the frame followed.
void cross_fade_out(std::span<int16_t> pcm, size_t length) {
  for (size_t i = 0; i < length; ++i) {
    double w = length > 1 ? static_cast<double>(i) / static_cast<double>(length - 1) : 1.0;
    double mixed = pcm[i] * (1.0 - w) + pcm[length + i] * w;
    pcm[i] = static_cast<int16_t>(std::lround(std::clamp(mixed, -32768.0, 32767.0)));
  }
  std::copy(pcm.begin() + static_cast<std::ptrdiff_t>(2 * length), pcm.end(),
            pcm.begin() + static_cast<std::ptrdiff_t>(length));
}

// Normalised correlation of x[0, lag) with x[lag, 2 lag); 0 if either is silent.
double period_correlation(std::span<const int16_t> pcm, size_t lag) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < lag; ++i) {
    double a = pcm[i], b = pcm[lag + i];
    ab += a * b;
    aa += a * a;
    bb += b * b;
  }
  return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0.0;
}

}  // namespace

size_t compress_frame(std::span<int16_t> pcm, size_t max_remove, const CompressConfig &config) {
  const size_t half = pcm.size() / 2;
  max_remove = std::min(max_remove, half);
  if (max_remove < 2) return 0;

  double energy = 0;
  for (int16_t s : pcm) energy += static_cast<double>(s) * s;
  const double rms = std::sqrt(energy / static_cast<double>(pcm.size()));
  if (rms < 32768.0 * std::pow(10.0, config.quiet_dbfs / 20.0)) {
    cross_fade_out(pcm, max_remove);
    return max_remove;
  }

  // One pitch period at a time, each cut after the last, while the frame
  // stays periodic and the budget allows.
  const auto min_lag =
      std::max<size_t>(static_cast<size_t>(config.min_period_ms * config.rate / 1000.0), 2);
  const auto longest = static_cast<size_t>(config.max_period_ms * config.rate / 1000.0);
  size_t removed = 0;
  size_t start = 0;
  size_t length = pcm.size();
  for (;;) {
    std::span<int16_t> rest = pcm.subspan(start, length - start);
    const size_t max_lag = std::min({longest, max_remove - removed, rest.size() / 2});
    size_t best_lag = 0;
    double best = config.min_correlation;
    for (size_t lag = min_lag; lag <= max_lag; ++lag) {
      double c = period_correlation(rest, lag);
      if (c > best) {
        best = c;
        best_lag = lag;
      }
    }
    if (best_lag == 0) break;
    cross_fade_out(rest, best_lag);
    removed += best_lag;
    start += best_lag;
    length -= best_lag;
  }
  return removed;
}

}  // namespace wzp::audio
