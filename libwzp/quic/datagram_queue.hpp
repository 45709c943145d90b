// Datagrams waiting for room in the congestion window. Media goes stale fast,
// so the queue is bounded both in entries and in age: a full queue drops its
// oldest entry and anything older than the deadline is dropped unsent. All
// storage is allocated up front; push and pop allocate nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace wzp::quic {

class DatagramQueue {
 public:
  struct Counters {
    uint64_t dropped_full = 0;       // pushed out by a newer datagram
    uint64_t dropped_stale = 0;      // older than max_age when its turn came
    uint64_t dropped_oversized = 0;  // larger than a slot
  };

  DatagramQueue(size_t capacity, size_t max_datagram_size, uint64_t max_age_ns);

  // Returns false (and counts) if the datagram is larger than a slot.
  bool push(std::span<const uint8_t> datagram, uint64_t now_ns);
  // As push(), but ahead of everything queued: a small control datagram
  // (a keyframe request) that must not wait behind the media.
  bool push_front(std::span<const uint8_t> datagram, uint64_t now_ns);
  // Drops stale entries at the head, then returns the oldest fresh one (empty
  // span when none). The span stays valid until pop() or the next push().
  std::span<const uint8_t> front(uint64_t now_ns);
  void pop();
  // Drops the head entry and counts it as oversized (the path shrank).
  void drop_front_oversized();

  // How long the oldest datagram has waited; 0 when empty.
  uint64_t oldest_wait(uint64_t now_ns) const {
    return count_ == 0 || now_ns < slots_[head_].enqueued_ns ? 0
                                                             : now_ns - slots_[head_].enqueued_ns;
  }
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  const Counters &counters() const { return counters_; }

 private:
  struct Slot {
    uint64_t enqueued_ns = 0;
    size_t size = 0;
  };
  // Whether a datagram this size fits a slot (counted if not); drops the
  // oldest when the queue is full.
  bool make_room(size_t size);
  void store(size_t index, std::span<const uint8_t> datagram, uint64_t now_ns);

  size_t slot_size_;
  uint64_t max_age_ns_;
  std::vector<Slot> slots_;
  std::vector<uint8_t> storage_;
  size_t head_ = 0;
  size_t count_ = 0;
  Counters counters_;
};

}  // namespace wzp::quic
