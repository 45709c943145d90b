// Anti-replay sliding window over one stream's 32-bit sequence numbers,
// extended to 64 bits (nearest to the highest seen) so the stream may wrap.
// Reordered packets within the window are accepted once each.
#pragma once

#include <cstdint>
#include <vector>

namespace wzp::crypto {

enum class ReplayVerdict : uint8_t { kFresh, kDuplicate, kTooOld };

class ReplayWindow {
 public:
  static constexpr uint32_t kDefaultSize = 1024;

  // `size` is rounded up to a multiple of 64 (at least 64). Allocates here,
  // never per packet.
  explicit ReplayWindow(uint32_t size = kDefaultSize);
  void reset();
  uint32_t size() const { return static_cast<uint32_t>(bits_.size() * 64); }

  // Check before authenticating; accept only after the packet authenticated,
  // so a forged packet cannot move the window.
  ReplayVerdict check(uint32_t sequence) const;
  void accept(uint32_t sequence);

 private:
  uint64_t extend(uint32_t sequence) const;
  bool test_bit(uint64_t index) const;
  void set_bit(uint64_t index, bool value);

  std::vector<uint64_t> bits_;
  uint64_t highest_ = 0;
  bool empty_ = true;
};

}  // namespace wzp::crypto
