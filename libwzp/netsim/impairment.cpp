#include "libwzp/netsim/impairment.hpp"

#include <algorithm>

namespace wzp::netsim {

DirectionCounters &DirectionCounters::operator+=(const DirectionCounters &other) {
  packets_in += other.packets_in;
  bytes_in += other.bytes_in;
  lost += other.lost;
  queue_dropped += other.queue_dropped;
  duplicated += other.duplicated;
  reordered += other.reordered;
  delivered += other.delivered;
  bytes_out += other.bytes_out;
  loss_bursts += other.loss_bursts;
  return *this;
}

ImpairmentModel::ImpairmentModel(const DirectionConfig &config)
    : config_(config), rng_(config.seed) {
  derive_burst_chances();
}

void ImpairmentModel::reconfigure(const DirectionConfig &config) {
  const uint64_t seed = config_.seed;
  config_ = config;
  config_.seed = seed;
  derive_burst_chances();
}

void ImpairmentModel::derive_burst_chances() {
  enter_bad_ = 0.0;
  leave_bad_ = 1.0;
  const double loss = std::clamp(config_.loss, 0.0, 1.0);
  if (config_.mean_burst >= 1.0 && loss > 0.0 && loss < 1.0) {
    // The bad state loses every packet, so its stationary share is the loss
    // rate and its mean stay is the burst length: p = q / (q + r), b = 1 / r.
    leave_bad_ = 1.0 / config_.mean_burst;
    enter_bad_ = std::min(1.0, loss * leave_bad_ / (1.0 - loss));
  }
}

double ImpairmentModel::uniform() {
  // 53 random bits: the same sequence on every standard library.
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

bool ImpairmentModel::lose_next() {
  if (config_.loss <= 0.0) return false;
  if (config_.loss >= 1.0) return true;
  if (config_.mean_burst < 1.0) return uniform() < config_.loss;
  in_bad_state_ = in_bad_state_ ? uniform() >= leave_bad_ : uniform() < enter_bad_;
  return in_bad_state_;
}

Micros ImpairmentModel::jittered_delay() {
  if (config_.jitter.count() <= 0) return config_.delay;
  const double offset = (2.0 * uniform() - 1.0) * static_cast<double>(config_.jitter.count());
  return std::max(Micros{0}, config_.delay + Micros{static_cast<int64_t>(offset)});
}

Micros ImpairmentModel::schedule(Micros leaves_queue) {
  Micros at = leaves_queue + jittered_delay();
  if (!config_.reorder) at = std::max(at, last_delivery_);
  if (at < last_delivery_) ++counters_.reordered;
  last_delivery_ = std::max(last_delivery_, at);
  return at;
}

Verdict ImpairmentModel::submit(Micros now, size_t bytes) {
  Verdict verdict;
  ++counters_.packets_in;
  counters_.bytes_in += bytes;

  Micros leaves_queue = now;
  if (config_.rate_bps > 0) {
    const Micros start = std::max(now, link_free_at_);
    if (start - now > config_.queue_limit) {
      ++counters_.queue_dropped;
      verdict.drop = Verdict::Drop::kQueueFull;
      return verdict;
    }
    const auto send_time = Micros{static_cast<int64_t>(bytes * 8 * 1'000'000 / config_.rate_bps)};
    link_free_at_ = start + send_time;
    leaves_queue = link_free_at_;
  }

  const bool lost = lose_next();
  if (lost && !last_lost_) ++counters_.loss_bursts;
  last_lost_ = lost;
  if (lost) {
    ++counters_.lost;
    verdict.drop = Verdict::Drop::kLoss;
    return verdict;
  }

  verdict.deliver_at[verdict.copies++] = schedule(leaves_queue);
  if (config_.duplicate > 0.0 && uniform() < config_.duplicate) {
    ++counters_.duplicated;
    verdict.deliver_at[verdict.copies++] = schedule(leaves_queue);
  }
  counters_.delivered += verdict.copies;
  counters_.bytes_out += bytes * verdict.copies;
  return verdict;
}

}  // namespace wzp::netsim
