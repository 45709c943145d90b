// A deterministic model of one direction of a bad network path: a bottleneck
// link with a bounded queue, random or bursty (Gilbert-Elliott) loss, fixed
// delay plus jitter, and duplication. It reads no clock: the caller passes
// the arrival time of each packet and is told when (if ever) each copy of it
// comes out, so the same seed and the same arrivals always give the same
// result.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>

namespace wzp::netsim {

// Time since an arbitrary epoch chosen by the caller.
using Micros = std::chrono::microseconds;

struct DirectionConfig {
  double loss = 0.0;            // long-run fraction of packets lost, [0, 1)
  double mean_burst = 0.0;      // mean loss burst length in packets; < 1 means independent loss
  Micros delay{0};              // fixed one-way delay
  Micros jitter{0};             // each packet's delay varies uniformly by +/- jitter
  bool reorder = false;         // let jitter reorder packets (otherwise FIFO is kept)
  double duplicate = 0.0;       // probability a delivered packet arrives twice
  uint64_t rate_bps = 0;        // bottleneck rate; 0 means unlimited
  Micros queue_limit{200'000};  // longest wait in the bottleneck queue before tail drop
  uint64_t seed = 1;

  bool operator==(const DirectionConfig &) const = default;
};

struct DirectionCounters {
  uint64_t packets_in = 0;
  uint64_t bytes_in = 0;
  uint64_t lost = 0;           // dropped by the loss process
  uint64_t queue_dropped = 0;  // tail-dropped at the bottleneck
  uint64_t duplicated = 0;
  uint64_t reordered = 0;  // copies scheduled before one scheduled earlier
  uint64_t delivered = 0;  // copies scheduled for delivery, duplicates included
  uint64_t bytes_out = 0;
  uint64_t loss_bursts = 0;  // runs of consecutive lost packets

  DirectionCounters &operator+=(const DirectionCounters &other);
};

// The fate of one packet: up to two copies, each with a delivery time.
struct Verdict {
  enum class Drop : uint8_t { kNone, kLoss, kQueueFull };
  Drop drop = Drop::kNone;
  uint8_t copies = 0;
  std::array<Micros, 2> deliver_at{};
};

class ImpairmentModel {
 public:
  explicit ImpairmentModel(const DirectionConfig &config);

  // One packet of `bytes` entering the path at `now`. Arrival times must not
  // go backwards.
  Verdict submit(Micros now, size_t bytes);

  // Takes a new configuration from the next packet on, as a path that
  // changes under a call: counters, the link's queue, delivery order and the
  // random sequence carry on (the new seed is ignored).
  void reconfigure(const DirectionConfig &config);

  const DirectionCounters &counters() const { return counters_; }
  const DirectionConfig &config() const { return config_; }

 private:
  double uniform();  // [0, 1)
  bool lose_next();
  Micros jittered_delay();
  Micros schedule(Micros leaves_queue);
  void derive_burst_chances();

  DirectionConfig config_;
  std::mt19937_64 rng_;
  // Gilbert-Elliott: the chance to enter and to leave the bad (losing) state.
  double enter_bad_ = 0.0;
  double leave_bad_ = 1.0;
  bool in_bad_state_ = false;
  bool last_lost_ = false;
  Micros link_free_at_{0};
  Micros last_delivery_{0};
  DirectionCounters counters_;
};

}  // namespace wzp::netsim
