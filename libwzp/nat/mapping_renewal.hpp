// When to ask the gateway again for a port mapping it granted, on explicit
// times (docs/nat.md, "Renewal"). A call can outlive its mapping's lease,
// and a callee waiting for calls usually does: RFC 6886 3.3 and RFC 6887
// 11.2.1 have the client renew before the lifetime ends. We ask at half of
// what is left, and after a failed attempt again at half of what is left
// then (never sooner than `min_retry`), so a gateway that is briefly away
// is asked a few more times before the lease runs out. Once it has run out
// the mapping is lapsed: nothing is asked any more; the direct path's own
// checks, not this, decide whether packets still get through.
#pragma once

#include <chrono>

namespace wzp::nat {

class MappingRenewal {
 public:
  using Time = std::chrono::steady_clock::time_point;
  static constexpr std::chrono::milliseconds kMinRetry{1000};

  // A lease of `lifetime` granted at `granted`.
  MappingRenewal(Time granted, std::chrono::seconds lifetime);

  // When to ask next; Time::max() once lapsed.
  Time next() const { return next_; }
  bool due(Time now) const { return now >= next_; }
  bool lapsed(Time now) const { return now >= expires_; }
  Time expires() const { return expires_; }

  // The gateway granted the lease again, for `lifetime` from `now`.
  void renewed(Time now, std::chrono::seconds lifetime);
  // The gateway refused or did not answer; the old lease still runs.
  void failed(Time now);

 private:
  void schedule(Time now);

  Time expires_;
  Time next_;
};

}  // namespace wzp::nat
