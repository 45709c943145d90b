// Who is online: each authenticated fingerprint and its connections
// (devices).
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "signald/core/outbox.hpp"

namespace wzp::signald {

// Tells linked relays of this relay's users coming, going and renaming;
// Federation implements it.
class PresenceLinks {
 public:
  virtual ~PresenceLinks() = default;
  // A user of this relay (no `origin`), or one behind a link that went
  // away, signed in to relay `origin` (a withdrawal: this relay lost its
  // route, the user's own relay did not say it left).
  virtual void presence_changed(const signal::PresenceUser &user, bool online,
                                const std::optional<std::string> &origin) = 0;
  // False in a full mesh of links (a cluster), where no news comes round a
  // loop: a user another relay reports as its own has moved there.
  virtual bool passes_on() const = 0;
};

class Presence {
 public:
  // Returns the fingerprint's device count after the change.
  size_t add(const std::string &fingerprint, ConnectionId conn) {
    auto &devices = online_[fingerprint];
    devices.push_back(conn);
    return devices.size();
  }
  size_t remove(const std::string &fingerprint, ConnectionId conn) {
    auto it = online_.find(fingerprint);
    if (it == online_.end()) return 0;
    std::erase(it->second, conn);
    size_t left = it->second.size();
    if (left == 0) online_.erase(it);
    return left;
  }
  // The fingerprint's connections; empty when offline.
  const std::vector<ConnectionId> &devices(const std::string &fingerprint) const {
    static const std::vector<ConnectionId> kNone;
    auto it = online_.find(fingerprint);
    return it == online_.end() ? kNone : it->second;
  }
  bool online(const std::string &fingerprint) const { return online_.contains(fingerprint); }
  // Sorted by fingerprint.
  const std::map<std::string, std::vector<ConnectionId>> &all() const { return online_; }

 private:
  std::map<std::string, std::vector<ConnectionId>> online_;
};

// At most one presence update per user per `interval`, so a user who
// changes fast (alias claim and release in a loop, reconnects) costs every
// other user one update per interval, not one per change. The first change
// after a quiet interval goes at once; later ones are held until the
// interval since the last update ends, and then the user's state at that
// time goes (the latest wins). Clock-free: the caller passes the time.
class PresenceCoalescer {
 public:
  explicit PresenceCoalescer(SteadyTime::duration interval) : interval_(interval) {}

  // `fingerprint` changed at `now`: true to send its update now, false if it
  // is held for due().
  bool changed(const std::string &fingerprint, SteadyTime now) {
    auto [it, first] = users_.try_emplace(fingerprint, Entry{now, false});
    if (first || now - it->second.last_sent >= interval_) {
      it->second = Entry{now, false};
      return true;
    }
    it->second.held = true;
    return false;
  }

  // A held change of `fingerprint` sent out of turn at `now`: true if one
  // was held, which then counts as sent.
  bool take(const std::string &fingerprint, SteadyTime now) {
    auto it = users_.find(fingerprint);
    if (it == users_.end() || !it->second.held) return false;
    it->second = Entry{now, false};
    return true;
  }

  // The users whose held changes are due at `now`, each counted as sent
  // then; forgets users quiet for an interval.
  std::vector<std::string> due(SteadyTime now) {
    std::vector<std::string> ready;
    for (auto it = users_.begin(); it != users_.end();) {
      const bool quiet = now - it->second.last_sent >= interval_;
      if (quiet && it->second.held) {
        ready.push_back(it->first);
        it->second = Entry{now, false};
        ++it;
      } else if (quiet) {
        it = users_.erase(it);
      } else {
        ++it;
      }
    }
    return ready;
  }

  size_t tracked() const { return users_.size(); }

 private:
  struct Entry {
    SteadyTime last_sent;
    bool held;  // a change not yet sent
  };
  SteadyTime::duration interval_;
  std::map<std::string, Entry> users_;
};

}  // namespace wzp::signald
