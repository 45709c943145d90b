#include "libwzp/audio/envelope.hpp"

#include <algorithm>
#include <cmath>

namespace wzp::audio {

void EnvelopeBuilder::add(float sample) {
  sum_squares_ += static_cast<double>(sample) * sample;
  if (++in_window_ == window_) {
    envelope_.push_back(std::sqrt(sum_squares_ / static_cast<double>(window_)));
    sum_squares_ = 0;
    in_window_ = 0;
  }
}

double pearson(const double *a, const double *b, size_t count) {
  if (count == 0) return 0;
  double mean_a = 0, mean_b = 0;
  for (size_t i = 0; i < count; ++i) {
    mean_a += a[i];
    mean_b += b[i];
  }
  mean_a /= static_cast<double>(count);
  mean_b /= static_cast<double>(count);
  double cov = 0, var_a = 0, var_b = 0;
  for (size_t i = 0; i < count; ++i) {
    double da = a[i] - mean_a, db = b[i] - mean_b;
    cov += da * db;
    var_a += da * da;
    var_b += db * db;
  }
  return var_a > 0 && var_b > 0 ? cov / std::sqrt(var_a * var_b) : 0;
}

namespace {

// Correlation of b[i + lag] with a[i + start] over `count` windows, if both fit.
bool correlate_at(const std::vector<double> &a, const std::vector<double> &b, size_t start,
                  long lag, size_t count, double &r) {
  long b_start = static_cast<long>(start) + lag;
  if (b_start < 0 || start + count > a.size() || static_cast<size_t>(b_start) + count > b.size()) {
    return false;
  }
  r = pearson(a.data() + start, b.data() + b_start, count);
  return true;
}

}  // namespace

EnvelopeMatch best_lag(const std::vector<double> &a, const std::vector<double> &b, long min_lag,
                       long max_lag, size_t min_overlap) {
  EnvelopeMatch best;
  for (long lag = min_lag; lag <= max_lag; ++lag) {
    // The overlap of a[start, start + count) with b[start + lag, ...).
    size_t start = lag < 0 ? static_cast<size_t>(-lag) : 0;
    if (start >= a.size() || static_cast<long>(start) + lag >= static_cast<long>(b.size())) {
      continue;
    }
    size_t count =
        std::min(a.size() - start, b.size() - static_cast<size_t>(static_cast<long>(start) + lag));
    double r = 0;
    if (count >= min_overlap && correlate_at(a, b, start, lag, count, r) && r > best.correlation) {
      best = {lag, r};
    }
  }
  return best;
}

double segmented_similarity(const std::vector<double> &a, const std::vector<double> &b,
                            size_t segment, long center, long slack) {
  double sum = 0;
  size_t segments = 0;
  for (size_t start = 0; segment > 0 && start + segment <= a.size(); start += segment) {
    double best = -1, r = 0;
    for (long lag = center - slack; lag <= center + slack; ++lag) {
      if (correlate_at(a, b, start, lag, segment, r)) best = std::max(best, r);
    }
    if (best > -1) {
      sum += best;
      ++segments;
    }
  }
  return segments == 0 ? -1 : sum / static_cast<double>(segments);
}

}  // namespace wzp::audio
