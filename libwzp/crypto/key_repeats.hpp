// When a sender key message goes out again as a key datagram
// (wire/key_datagram.hpp, docs/rooms.md "Keys that do not wait"). The
// signaling stream delivers every key, but in order: behind a lost packet
// it waits for loss detection, which at 50 % bursty loss took 1.5-2.4 s.
// A datagram copy is not held by what was lost before it, and several
// copies spread over the key's first second make it likely that one
// lands; the recipient takes the first and ignores the rest. There is no
// acknowledgement to stop on (the relay forwards, the recipient only
// reads), so the copies are few and fixed. Clock-free: times are arguments.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "libwzp/crypto/identity.hpp"

namespace wzp::crypto {

class KeyRepeats {
 public:
  using Nanos = std::chrono::nanoseconds;
  // A copy at once and then over the first second: copies 100 ms or more
  // apart fall in different loss bursts (a burst is a few packets, 10-40 ms).
  static constexpr std::array<Nanos, 5> kCopiesAt = {
      std::chrono::milliseconds(0), std::chrono::milliseconds(100), std::chrono::milliseconds(250),
      std::chrono::milliseconds(500), std::chrono::milliseconds(1000)};
  // Rooms hold at most 64 members: one key per recipient is pending.
  static constexpr size_t kMaxPending = 64;

  // A key message for `to` went out as a room signal at `now`: its copies
  // follow. A newer key for the same member replaces the older one (the
  // older is stale for it); beyond kMaxPending the oldest is dropped.
  void add(const Fingerprint &to, std::span<const uint8_t> message, Nanos now) {
    forget(to);
    if (pending_.size() == kMaxPending) pending_.erase(pending_.begin());
    pending_.push_back({to, {message.begin(), message.end()}, now, 0});
  }
  // The member left: its key is of no use to it any more.
  void forget(const Fingerprint &to) {
    std::erase_if(pending_, [&](const Pending &p) { return p.to == to; });
  }
  // The messages with a copy due at `now`, each once however late the
  // call (a late poll does not send a burst of copies); a key whose last
  // copy is given is done.
  std::vector<std::vector<uint8_t>> due(Nanos now) {
    std::vector<std::vector<uint8_t>> out;
    for (Pending &p : pending_) {
      if (now - p.since < kCopiesAt[p.copies]) continue;
      out.push_back(p.message);
      // Skip the copies a late poll missed: they would leave together.
      while (p.copies < kCopiesAt.size() && now - p.since >= kCopiesAt[p.copies]) ++p.copies;
    }
    std::erase_if(pending_, [](const Pending &p) { return p.copies == kCopiesAt.size(); });
    return out;
  }
  size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    Fingerprint to;
    std::vector<uint8_t> message;
    Nanos since;
    size_t copies;  // copies given
  };
  std::vector<Pending> pending_;
};

}  // namespace wzp::crypto
