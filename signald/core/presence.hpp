// Who is online: each authenticated fingerprint and its connections
// (devices).
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "signald/core/outbox.hpp"

namespace wzp::signald {

// Tells linked relays of this relay's users coming, going and renaming;
// Federation implements it.
class PresenceLinks {
 public:
  virtual ~PresenceLinks() = default;
  virtual void presence_changed(const signal::PresenceUser &user, bool online) = 0;
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

}  // namespace wzp::signald
