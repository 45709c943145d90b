// Host candidates that appear while a call lasts (docs/nat.md,
// "Re-gathering"): a phone joins a Wi-Fi, a laptop's address is renewed,
// an IPv6 prefix changes. On explicit times: the client lists its
// interfaces when due() and hands the host candidates it finds to update(),
// which says which of them the peer has not been offered yet.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

#include "libwzp/nat/candidate.hpp"

namespace wzp::nat {

class HostWatch {
 public:
  using Time = std::chrono::steady_clock::time_point;
  // How often the interfaces are listed (a getifaddrs netlink dump): a new
  // address reaches the peer within this and a signaling round trip.
  static constexpr std::chrono::milliseconds kInterval{500};

  explicit HostWatch(Time start) : next_(start + kInterval) {}

  bool due(Time now) const { return now >= next_; }
  // `hosts`, listed at `now` (host_candidates()), against `offered`, every
  // candidate the peer was sent: the hosts not among them, highest priority
  // first, at most as many as `limit` leaves room for. An address that went
  // away and came back was offered already; one that went away stays
  // offered (the peer cannot be told to forget it; its check fails).
  std::vector<Candidate> update(Time now, const std::vector<Candidate> &hosts,
                                const std::vector<Candidate> &offered, size_t limit);

 private:
  Time next_;
};

}  // namespace wzp::nat
