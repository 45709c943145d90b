#include "libwzp/quality/loss_window.hpp"

namespace wzp::quality {

std::optional<double> LossWindow::update(uint64_t acked_total, uint64_t lost_total) {
  if (acked_total < acked_base_ || lost_total < lost_base_) acked_base_ = lost_base_ = 0;
  const uint64_t acked = acked_total - acked_base_;
  const uint64_t lost = lost_total - lost_base_;
  if (acked + lost < min_settled_ || acked + lost == 0) return std::nullopt;
  acked_base_ = acked_total;
  lost_base_ = lost_total;
  return static_cast<double>(lost) / static_cast<double>(acked + lost);
}

}  // namespace wzp::quality
