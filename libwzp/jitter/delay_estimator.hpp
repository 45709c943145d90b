// Learns how much delay the path needs, from frame arrival times alone.
//
// Every frame's transit (arrival time minus media time) is compared with the
// fastest transit seen recently (the base: a windowed minimum that follows
// sender clock drift and changes of route). The excess, the relative delay,
// goes into a histogram whose old entries fade by a forget factor; the target
// delay is the histogram's quantile (NetEq's estimator, in nanoseconds).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace wzp::jitter {

struct EstimatorConfig {
  double quantile = 0.95;
  // Weight kept by the old histogram per frame: 0.998 remembers roughly the
  // last 500 frames (10 s of 20 ms frames).
  double forget_factor = 0.998;
  int64_t bucket_ns = 20'000'000;
  int64_t start_delay_ns = 80'000'000;
  int64_t min_delay_ns = 0;
  int64_t max_delay_ns = 1'000'000'000;
};

class DelayEstimator {
 public:
  explicit DelayEstimator(const EstimatorConfig &config);

  // Forgets everything (a new stream or a new timeline).
  void reset();
  // Records one frame: `transit_ns` is its arrival time minus its media time.
  void observe(int64_t arrival_ns, int64_t transit_ns);

  bool has_base() const { return has_base_; }
  // The fastest transit of the last few seconds.
  int64_t base_transit() const { return base_transit_; }
  // How far `transit_ns` lies above the base.
  int64_t relative_delay(int64_t transit_ns) const { return transit_ns - base_transit_; }
  // The delay above the base that covers `quantile` of recent frames,
  // clamped to [min_delay, max_delay].
  int64_t target_delay() const { return target_delay_; }
  const EstimatorConfig &config() const { return config_; }

 private:
  static constexpr int64_t kBaseSlotNs = 500'000'000;
  static constexpr size_t kBaseSlots = 10;  // the base remembers 5 s

  void update_base(int64_t arrival_ns, int64_t transit_ns);
  void add_to_histogram(int64_t relative_ns);
  void update_target();

  EstimatorConfig config_;
  std::vector<double> histogram_;  // last bucket collects everything beyond
  uint64_t observed_ = 0;
  std::array<int64_t, kBaseSlots> slot_minimum_{};
  int64_t current_slot_ = 0;
  bool has_base_ = false;
  int64_t base_transit_ = 0;
  int64_t target_delay_ = 0;
};

}  // namespace wzp::jitter
