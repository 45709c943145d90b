#include "libwzp/jitter/delay_estimator.hpp"

#include <algorithm>
#include <limits>

namespace wzp::jitter {

namespace {
constexpr int64_t kNoTransit = std::numeric_limits<int64_t>::max();
}

DelayEstimator::DelayEstimator(const EstimatorConfig &config) : config_(config) {
  config_.bucket_ns = std::max<int64_t>(config_.bucket_ns, 1'000'000);
  config_.max_delay_ns = std::clamp<int64_t>(config_.max_delay_ns, 0, 10'000'000'000);
  config_.min_delay_ns = std::clamp<int64_t>(config_.min_delay_ns, 0, config_.max_delay_ns);
  config_.quantile = std::clamp(config_.quantile, 0.5, 0.999);
  config_.forget_factor = std::clamp(config_.forget_factor, 0.9, 0.99999);
  histogram_.assign(static_cast<size_t>(config_.max_delay_ns / config_.bucket_ns) + 2, 0.0);
  reset();
}

void DelayEstimator::reset() {
  std::fill(histogram_.begin(), histogram_.end(), 0.0);
  // Until real frames arrive the start delay holds all the weight.
  auto start_bucket =
      static_cast<size_t>(std::max<int64_t>(config_.start_delay_ns - 1, 0) / config_.bucket_ns);
  histogram_[std::min(start_bucket, histogram_.size() - 1)] = 1.0;
  observed_ = 0;
  fresh_.clear();
  fresh_observed_ = 0;
  relearn_pending_ = false;
  fresh_since_ns_ = -1;
  fresh_overtaken_ = 0;
  slot_minimum_.fill(kNoTransit);
  current_slot_ = 0;
  has_base_ = false;
  base_transit_ = 0;
  overtaken_latest_.fill(0);
  overtaken_slot_.fill(-1);
  target_delay_ = 0;
  update_target(0);
}

void DelayEstimator::relearn() { relearn_pending_ = true; }

void DelayEstimator::observe(int64_t arrival_ns, int64_t transit_ns, bool overtaken) {
  update_base(arrival_ns, transit_ns);
  const int64_t relative = relative_delay(transit_ns);
  auto bucket = static_cast<size_t>(std::max<int64_t>(relative, 0) / config_.bucket_ns);
  bucket = std::min(bucket, histogram_.size() - 1);
  add_to(histogram_, observed_, config_.forget_factor, bucket);
  if (overtaken) update_overtaken(arrival_ns, relative);
  if (relearn_pending_) {
    relearn_pending_ = false;
    fresh_.assign(histogram_.size(), 0.0);
    fresh_observed_ = 0;
    fresh_since_ns_ = arrival_ns;
    fresh_overtaken_ = 0;
  }
  if (fresh_since_ns_ >= 0) {
    add_to(fresh_, fresh_observed_, config_.forget_factor, bucket);
    if (overtaken) fresh_overtaken_ = std::max(fresh_overtaken_, relative);
    if (arrival_ns - fresh_since_ns_ >= kRelearnNs) take_over_fresh(arrival_ns);
  }
  update_target(arrival_ns);
}

void DelayEstimator::take_over_fresh(int64_t arrival_ns) {
  histogram_.swap(fresh_);
  observed_ = fresh_observed_;
  fresh_.clear();
  fresh_since_ns_ = -1;
  // The overtaken floor forgets the old path too, keeping the new one's
  // latest since relearning began.
  overtaken_slot_.fill(-1);
  if (fresh_overtaken_ > 0) update_overtaken(arrival_ns, fresh_overtaken_);
}

int64_t DelayEstimator::overtaken_slot_ns() const {
  return std::max<int64_t>(config_.overtaken_memory_ns / kOvertakenSlots, 1);
}

void DelayEstimator::update_overtaken(int64_t arrival_ns, int64_t relative_ns) {
  if (config_.overtaken_memory_ns == 0) return;
  const int64_t slot = arrival_ns / overtaken_slot_ns();
  const auto i = static_cast<size_t>(slot % kOvertakenSlots);
  if (overtaken_slot_[i] != slot) {
    overtaken_slot_[i] = slot;
    overtaken_latest_[i] = 0;
  }
  overtaken_latest_[i] = std::max(overtaken_latest_[i], relative_ns);
}

int64_t DelayEstimator::overtaken_floor(int64_t arrival_ns) const {
  const int64_t slot = arrival_ns / overtaken_slot_ns();
  int64_t latest = 0;
  for (size_t i = 0; i < kOvertakenSlots; ++i) {
    // Slots of the last memory only; a caller's clock going back keeps them.
    if (overtaken_slot_[i] >= 0 &&
        slot - overtaken_slot_[i] < static_cast<int64_t>(kOvertakenSlots)) {
      latest = std::max(latest, overtaken_latest_[i]);
    }
  }
  if (latest <= 0) return 0;
  // The upper edge of its bucket, as the quantile's.
  return std::min((latest / config_.bucket_ns + 1) * config_.bucket_ns,
                  config_.overtaken_max_delay_ns);
}

void DelayEstimator::update_base(int64_t arrival_ns, int64_t transit_ns) {
  int64_t slot = arrival_ns / kBaseSlotNs;
  if (!has_base_) {
    current_slot_ = slot;
  } else if (slot > current_slot_) {
    // Clear the slots that the window slid past.
    int64_t steps = std::min<int64_t>(slot - current_slot_, kBaseSlots);
    for (int64_t i = 1; i <= steps; ++i) {
      slot_minimum_[static_cast<size_t>(current_slot_ + i) % kBaseSlots] = kNoTransit;
    }
    current_slot_ = slot;
  }
  // Arrivals never go back in time; if a caller's clock does, they count
  // towards the current slot.
  auto &minimum = slot_minimum_[static_cast<size_t>(current_slot_) % kBaseSlots];
  minimum = std::min(minimum, transit_ns);
  base_transit_ = *std::min_element(slot_minimum_.begin(), slot_minimum_.end());
  has_base_ = true;
}

void DelayEstimator::add_to(std::vector<double> &histogram, uint64_t &observed,
                            double forget_factor, size_t bucket) {
  // Learn fast at first (a plain average of what was seen), then settle to
  // the configured memory.
  double forget = std::min(forget_factor, 1.0 - 1.0 / static_cast<double>(observed + 2));
  ++observed;
  for (auto &weight : histogram) weight *= forget;
  histogram[bucket] += 1.0 - forget;
}

void DelayEstimator::update_target(int64_t arrival_ns) {
  double total = 0;
  for (double weight : histogram_) total += weight;
  double wanted = config_.quantile * total;
  double sum = 0;
  size_t bucket = 0;
  for (; bucket + 1 < histogram_.size(); ++bucket) {
    sum += histogram_[bucket];
    if (sum >= wanted) break;
  }
  // The upper edge of the bucket: every delay in it is covered.
  int64_t delay = static_cast<int64_t>(bucket + 1) * config_.bucket_ns;
  delay = std::max(delay, overtaken_floor(arrival_ns));
  target_delay_ = std::clamp(delay, config_.min_delay_ns, config_.max_delay_ns);
}

}  // namespace wzp::jitter
