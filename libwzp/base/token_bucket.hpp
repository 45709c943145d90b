// A token bucket: `rate` messages a second on average, bursts up to
// `burst`. Clock-free: the caller passes the time. One per connection in
// wzp-signald and in wzp-web.
#pragma once

#include <algorithm>
#include <chrono>

namespace wzp::base {

class TokenBucket {
 public:
  TokenBucket(double rate_per_second, double burst, std::chrono::steady_clock::time_point now)
      : rate_(rate_per_second), burst_(burst), tokens_(burst), last_(now) {}

  bool take(std::chrono::steady_clock::time_point now) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    if (elapsed > 0) {
      tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
      last_ = now;
    }
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace wzp::base
