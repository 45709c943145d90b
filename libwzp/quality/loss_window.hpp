// Loss over recent time from a transport's running totals (datagrams
// acknowledged, datagrams declared lost). The connection's lifetime ratio
// would hide a path that changed: after a minute of 70 % loss a path that
// cleared still reads 60 % for a long while, and the ladder would not climb.
#pragma once

#include <cstdint>
#include <optional>

namespace wzp::quality {

class LossWindow {
 public:
  // A figure needs at least `min_settled` datagrams settled (acknowledged or
  // lost) since the last one: fewer say too little.
  explicit LossWindow(uint64_t min_settled = 20) : min_settled_(min_settled) {}

  // The share lost since the last figure returned; nullopt while too few
  // datagrams settled (they count towards the next figure). Totals that go
  // backwards (a new connection) start the window over.
  std::optional<double> update(uint64_t acked_total, uint64_t lost_total);

 private:
  uint64_t min_settled_;
  uint64_t acked_base_ = 0;
  uint64_t lost_base_ = 0;
};

}  // namespace wzp::quality
