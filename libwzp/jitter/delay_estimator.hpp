// Learns how much delay the path needs, from frame arrival times alone.
//
// Every frame's transit (arrival time minus media time) is compared with the
// fastest transit seen recently (the base: a windowed minimum that follows
// sender clock drift and changes of route). The excess, the relative delay,
// goes into a histogram whose old entries fade by a forget factor; the target
// delay is the histogram's quantile (NetEq's estimator, in nanoseconds).
//
// Frames that arrive after a later frame (FEC rebuilt them, or the path
// reordered them) set a floor besides: the latest of them over the last
// `overtaken_memory_ns`. They are few (a tenth of the frames at 10 % loss)
// and come in rare spikes that a 0.99 quantile lets go (docs/jitter.md).
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
  // How long the floor from overtaken frames remembers its highest, and the
  // most it may ask. 0 memory: no floor.
  int64_t overtaken_memory_ns = 30'000'000'000;
  int64_t overtaken_max_delay_ns = 260'000'000;
};

class DelayEstimator {
 public:
  explicit DelayEstimator(const EstimatorConfig &config);

  // Forgets everything (a new stream or a new timeline).
  void reset();
  // Records one frame: `transit_ns` is its arrival time minus its media time;
  // `overtaken`: a later frame arrived before it.
  void observe(int64_t arrival_ns, int64_t transit_ns, bool overtaken = false);
  // The path changed (a new tier: new frame length, new FEC): a second
  // histogram learns from the next arrival on and replaces the first after
  // kRelearnNs of arrivals (the overtaken floor likewise), so the old
  // path's tail is forgotten at once then, but not before the new path has
  // shown its own.
  void relearn();

  bool has_base() const { return has_base_; }
  // The fastest transit of the last few seconds.
  int64_t base_transit() const { return base_transit_; }
  // How far `transit_ns` lies above the base.
  int64_t relative_delay(int64_t transit_ns) const { return transit_ns - base_transit_; }
  // The delay above the base that covers `quantile` of recent frames and
  // the recent overtaken ones, clamped to [min_delay, max_delay].
  int64_t target_delay() const { return target_delay_; }
  const EstimatorConfig &config() const { return config_; }

 private:
  static constexpr int64_t kBaseSlotNs = 500'000'000;
  static constexpr size_t kBaseSlots = 10;  // the base remembers 5 s

  static constexpr size_t kOvertakenSlots = 6;
  static constexpr int64_t kRelearnNs = 5'000'000'000;

  void update_base(int64_t arrival_ns, int64_t transit_ns);
  void update_overtaken(int64_t arrival_ns, int64_t relative_ns);
  void take_over_fresh(int64_t arrival_ns);
  int64_t overtaken_floor(int64_t arrival_ns) const;
  static void add_to(std::vector<double> &histogram, uint64_t &observed, double forget_factor,
                     size_t bucket);
  void update_target(int64_t arrival_ns);
  int64_t overtaken_slot_ns() const;

  EstimatorConfig config_;
  std::vector<double> histogram_;  // last bucket collects everything beyond
  uint64_t observed_ = 0;
  // The second histogram while relearning (relearn()), and since when.
  std::vector<double> fresh_;
  uint64_t fresh_observed_ = 0;
  bool relearn_pending_ = false;
  int64_t fresh_since_ns_ = -1;
  int64_t fresh_overtaken_ = 0;  // the latest overtaken frame since then
  std::array<int64_t, kBaseSlots> slot_minimum_{};
  int64_t current_slot_ = 0;
  bool has_base_ = false;
  int64_t base_transit_ = 0;
  int64_t target_delay_ = 0;
  // The latest overtaken frame of each slot (overtaken_memory_ns /
  // kOvertakenSlots of arrivals), and the slot it belongs to.
  std::array<int64_t, kOvertakenSlots> overtaken_latest_{};
  std::array<int64_t, kOvertakenSlots> overtaken_slot_{};
};

}  // namespace wzp::jitter
