#include "libwzp/quic/starvation.hpp"

namespace wzp::quic {

bool StarvationWatch::spaced(uint64_t now_ns) const {
  return !restarted_ || now_ns - last_restart_ns_ >= config_.min_interval_ns;
}

bool StarvationWatch::restart(uint64_t now_ns) {
  restarted_ = true;
  last_restart_ns_ = now_ns;
  // A fresh window: what was dropped before the restart is not held against it.
  window_start_ns_ = now_ns;
  return true;
}

bool StarvationWatch::starved(uint64_t now_ns, uint64_t datagrams_queued,
                              uint64_t datagrams_dropped_unsent, uint64_t oldest_wait_ns,
                              uint64_t datagrams_lost, bool signaling_idle) {
  if (!started_ || now_ns < window_start_ns_) {
    started_ = true;
    window_start_ns_ = now_ns;
    queued_at_start_ = datagrams_queued;
    unsent_at_start_ = datagrams_dropped_unsent;
    lost_at_start_ = datagrams_lost;
    return false;
  }
  const uint64_t max_wait =
      clean_ || signaling_idle ? config_.max_wait_clean_ns : config_.max_wait_ns;
  if (max_wait != 0 && oldest_wait_ns >= max_wait && spaced(now_ns)) {
    queued_at_start_ = datagrams_queued;
    unsent_at_start_ = datagrams_dropped_unsent;
    lost_at_start_ = datagrams_lost;
    return restart(now_ns);
  }
  if (now_ns - window_start_ns_ < config_.window_ns) return false;
  const uint64_t queued = datagrams_queued - queued_at_start_;
  const uint64_t unsent = datagrams_dropped_unsent - unsent_at_start_;
  const uint64_t lost = datagrams_lost - lost_at_start_;
  clean_ = queued >= config_.min_datagrams &&
           static_cast<double>(lost) < config_.clean_loss * static_cast<double>(queued);
  window_start_ns_ = now_ns;
  queued_at_start_ = datagrams_queued;
  unsent_at_start_ = datagrams_dropped_unsent;
  lost_at_start_ = datagrams_lost;
  const bool starving =
      queued >= config_.min_datagrams &&
      static_cast<double>(unsent) >= config_.unsent_share * static_cast<double>(queued);
  if (!starving || !spaced(now_ns)) return false;
  return restart(now_ns);
}

}  // namespace wzp::quic
