// Which FEC blocks a decoder is done with. Block ids are 16 bits and wrap,
// so age is a signed distance from the newest id seen; a packet for a block
// already finished (retired) or too far behind the newest is late, never a
// block to open again.
#pragma once

#include <bitset>
#include <cstdint>

namespace wzp::fec {

class BlockHistory {
 public:
  // Block ids this far behind the newest are long gone whatever the table says.
  static constexpr int kDepth = 1024;

  static int16_t distance(uint16_t a, uint16_t b) { return static_cast<int16_t>(a - b); }

  void reset() { retired_.reset(); }
  // The first block of a stream.
  void start_at(uint16_t block_id) { newest_ = block_id; }
  uint16_t newest() const { return newest_; }
  // How far `block_id` lies ahead of the newest (negative: behind).
  int16_t ahead_of_newest(uint16_t block_id) const { return distance(block_id, newest_); }
  bool late(uint16_t block_id) const {
    return ahead_of_newest(block_id) <= -kDepth || retired_[block_id];
  }
  // A newer block: the ids it passes are free again for when they wrap round.
  void advance(uint16_t block_id) {
    int ahead = ahead_of_newest(block_id);
    if (ahead <= 0) return;
    if (ahead >= kDepth) {
      retired_.reset();
    } else {
      for (int i = 1; i <= ahead; ++i) retired_.reset(static_cast<uint16_t>(newest_ + i));
    }
    newest_ = block_id;
  }
  void retire(uint16_t block_id) { retired_.set(block_id); }

 private:
  uint16_t newest_ = 0;
  std::bitset<65536> retired_;
};

}  // namespace wzp::fec
