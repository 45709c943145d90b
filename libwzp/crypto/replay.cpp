#include "libwzp/crypto/replay.hpp"

#include <algorithm>

namespace wzp::crypto {

ReplayWindow::ReplayWindow(uint32_t size) : bits_(std::max<uint32_t>(1, (size + 63) / 64), 0) {}

void ReplayWindow::reset() {
  std::fill(bits_.begin(), bits_.end(), 0);
  highest_ = 0;
  empty_ = true;
}

uint64_t ReplayWindow::extend(uint32_t sequence) const {
  if (empty_) return uint64_t{1} << 32 | sequence;  // room below for late packets
  uint64_t candidate = (highest_ & ~uint64_t{0xffffffff}) | sequence;
  constexpr uint64_t kHalf = uint64_t{1} << 31;
  if (candidate + kHalf < highest_)
    candidate += uint64_t{1} << 32;
  else if (candidate > highest_ + kHalf && candidate >= (uint64_t{1} << 32))
    candidate -= uint64_t{1} << 32;
  return candidate;
}

bool ReplayWindow::test_bit(uint64_t index) const {
  uint64_t slot = index % size();
  return (bits_[slot / 64] >> (slot % 64)) & 1;
}

void ReplayWindow::set_bit(uint64_t index, bool value) {
  uint64_t slot = index % size();
  uint64_t mask = uint64_t{1} << (slot % 64);
  if (value)
    bits_[slot / 64] |= mask;
  else
    bits_[slot / 64] &= ~mask;
}

ReplayVerdict ReplayWindow::check(uint32_t sequence) const {
  if (empty_) return ReplayVerdict::kFresh;
  uint64_t index = extend(sequence);
  if (index > highest_) return ReplayVerdict::kFresh;
  if (highest_ - index >= size()) return ReplayVerdict::kTooOld;
  return test_bit(index) ? ReplayVerdict::kDuplicate : ReplayVerdict::kFresh;
}

void ReplayWindow::accept(uint32_t sequence) {
  uint64_t index = extend(sequence);
  if (empty_) {
    highest_ = index;
    empty_ = false;
  } else if (index > highest_) {
    uint64_t advance = index - highest_;
    if (advance >= size()) {
      std::fill(bits_.begin(), bits_.end(), 0);
    } else {
      for (uint64_t i = highest_ + 1; i < index; ++i) set_bit(i, false);
    }
    highest_ = index;
  }
  set_bit(index, true);
}

}  // namespace wzp::crypto
