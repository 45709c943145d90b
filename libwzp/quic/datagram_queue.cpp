#include "libwzp/quic/datagram_queue.hpp"

#include <cstring>

namespace wzp::quic {

DatagramQueue::DatagramQueue(size_t capacity, size_t max_datagram_size, uint64_t max_age_ns)
    : slot_size_(max_datagram_size),
      max_age_ns_(max_age_ns),
      slots_(capacity == 0 ? 1 : capacity),
      storage_(slots_.size() * max_datagram_size) {}

bool DatagramQueue::make_room(size_t size) {
  if (size > slot_size_) {
    ++counters_.dropped_oversized;
    return false;
  }
  if (count_ == slots_.size()) {
    ++counters_.dropped_full;
    pop();
  }
  return true;
}

void DatagramQueue::store(size_t index, std::span<const uint8_t> datagram, uint64_t now_ns) {
  slots_[index] = Slot{now_ns, datagram.size()};
  if (!datagram.empty())
    std::memcpy(&storage_[index * slot_size_], datagram.data(), datagram.size());
  ++count_;
}

bool DatagramQueue::push(std::span<const uint8_t> datagram, uint64_t now_ns) {
  if (!make_room(datagram.size())) return false;
  store((head_ + count_) % slots_.size(), datagram, now_ns);
  return true;
}

bool DatagramQueue::push_front(std::span<const uint8_t> datagram, uint64_t now_ns) {
  if (!make_room(datagram.size())) return false;
  head_ = (head_ + slots_.size() - 1) % slots_.size();
  store(head_, datagram, now_ns);
  return true;
}

std::span<const uint8_t> DatagramQueue::front(uint64_t now_ns) {
  while (count_ > 0 && now_ns > slots_[head_].enqueued_ns + max_age_ns_) {
    ++counters_.dropped_stale;
    pop();
  }
  if (count_ == 0) return {};
  return {&storage_[head_ * slot_size_], slots_[head_].size};
}

void DatagramQueue::pop() {
  if (count_ == 0) return;
  head_ = (head_ + 1) % slots_.size();
  --count_;
}

void DatagramQueue::drop_front_oversized() {
  if (count_ == 0) return;
  ++counters_.dropped_oversized;
  pop();
}

}  // namespace wzp::quic
