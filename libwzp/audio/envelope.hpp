// Comparing two recordings of the same speech by their loudness envelopes
// (RMS in short windows), which survive codecs, resampling, loss concealment
// and delay. Used by `wzp echo-test` and by the tests that check a call's
// audio arrived.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace wzp::audio {

// Accumulates samples in [-1, 1] into RMS windows of `window` samples.
class EnvelopeBuilder {
 public:
  explicit EnvelopeBuilder(size_t window) : window_(window) {}
  void add(float sample);
  void add(std::span<const float> samples) {
    for (float s : samples) add(s);
  }
  const std::vector<double> &envelope() const { return envelope_; }

 private:
  size_t window_;
  std::vector<double> envelope_;
  double sum_squares_ = 0;
  size_t in_window_ = 0;
};

// Pearson correlation of two equal-length runs; 0 when either is constant.
double pearson(const double *a, const double *b, size_t count);

struct EnvelopeMatch {
  long lag = 0;             // windows `b` runs behind `a` (negative: ahead)
  double correlation = -1;  // Pearson correlation at that lag; -1 if none qualified
};
// The lag in [min_lag, max_lag] with the highest correlation of b[i + lag]
// against a[i], over at least `min_overlap` windows.
EnvelopeMatch best_lag(const std::vector<double> &a, const std::vector<double> &b, long min_lag,
                       long max_lag, size_t min_overlap);

// The mean, over consecutive segments of `a`, of each segment's best
// correlation with `b` at lags within `center` +/- `slack` windows: tolerant
// of the delay changes a jitter buffer makes during a call. -1 when no
// segment fits.
double segmented_similarity(const std::vector<double> &a, const std::vector<double> &b,
                            size_t segment, long center, long slack);

}  // namespace wzp::audio
