#include "signald/core/rooms.hpp"

#include <algorithm>

#include "libwzp/wire/header.hpp"

namespace wzp::signald {

namespace {

quality::Micros micros(SteadyTime now) {
  return std::chrono::duration_cast<quality::Micros>(now.time_since_epoch());
}

// Clients start at the controller's initial tier and hear of the room's only
// when it differs.
const quality::Tier kStartingTier = quality::ControllerConfig{}.initial;
// A participant who stops sending says nothing about what the others
// receive: after the controller's silence grace it leaves the weakest link
// (before the controller's silence rule could step it down) until it
// reports again.
const quality::Micros kSilenceGrace = quality::ControllerConfig{}.silence_grace;

}  // namespace

Rooms::JoinResult Rooms::join(const std::string &room_id, ConnectionId conn,
                              const std::string &fingerprint, const signal::PublicKey &public_key,
                              const std::vector<std::string> &allow, SteadyTime now) {
  if (by_conn_.contains(conn)) return JoinResult::kAlreadyInRoom;
  auto [it, created] = rooms_.try_emplace(room_id);
  Room &room = it->second;
  if (created) {
    room.id = room_id;
    room.allow = allow;
    if (!room.allow.empty()) room.allow.push_back(fingerprint);
  } else if (!room.allow.empty() &&
             std::find(room.allow.begin(), room.allow.end(), fingerprint) == room.allow.end()) {
    return JoinResult::kNotAllowed;
  }
  if (room.participants.size() >= kMaxRoomParticipants) return JoinResult::kFull;

  // The joiner learns who is here (to distribute its sender key to them);
  // everyone learns of the joiner.
  const auto count = static_cast<uint32_t>(room.participants.size() + 1);
  for (const auto &other : room.participants) {
    outbox_.send(conn,
                 signal::RoomEvent{room.id, other.fingerprint, true, count, other.public_key});
  }
  const uint32_t quality_id = room.next_quality_id++;
  room.participants.push_back({conn, fingerprint, public_key, quality_id, now});
  by_conn_[conn] = &room;
  for (const auto &p : room.participants) {
    outbox_.send(p.conn, signal::RoomEvent{room.id, fingerprint, true, count, public_key});
  }
  // A joiner has reported nothing yet, so it counts at the starting tier
  // until its reports say otherwise.
  if (auto changed = room.quality.join(quality_id, micros(now))) {
    broadcast_directive(room, *changed, "participant joined");
  } else if (room.quality.room_tier() != kStartingTier) {
    outbox_.send(conn, signal::QualityDirective{room.id, room.quality.room_tier(), "weakest link"});
  }
  return JoinResult::kJoined;
}

void Rooms::remove(Room &room, ConnectionId conn) {
  auto it = std::find_if(room.participants.begin(), room.participants.end(),
                         [conn](const Participant &p) { return p.conn == conn; });
  if (it == room.participants.end()) return;
  std::string fingerprint = it->fingerprint;
  const auto changed = room.quality.leave(it->quality_id);
  room.participants.erase(it);
  by_conn_.erase(conn);
  const auto count = static_cast<uint32_t>(room.participants.size());
  for (const auto &p : room.participants) {
    outbox_.send(p.conn, signal::RoomEvent{room.id, fingerprint, false, count});
  }
  if (room.participants.empty() && !room.reserved) {
    std::string id = room.id;  // erase() must not see a key inside the element
    rooms_.erase(id);
    return;
  }
  if (changed) broadcast_directive(room, *changed, "weakest link left");
}

bool Rooms::leave(ConnectionId conn, const std::string &room_id) {
  auto it = by_conn_.find(conn);
  if (it == by_conn_.end() || it->second->id != room_id) return false;
  remove(*it->second, conn);
  return true;
}

void Rooms::leave_any(ConnectionId conn) {
  auto it = by_conn_.find(conn);
  if (it != by_conn_.end()) remove(*it->second, conn);
}

std::optional<signal::Error> Rooms::relay_signal(ConnectionId from, signal::RoomSignal message) {
  auto it = by_conn_.find(from);
  if (it == by_conn_.end() || it->second->id != message.room) {
    return make_error("not_in_room", "not in that room");
  }
  const Room &room = *it->second;
  auto sender = std::find_if(room.participants.begin(), room.participants.end(),
                             [from](const Participant &p) { return p.conn == from; });
  message.from = sender->fingerprint;
  bool delivered = false;
  for (const auto &p : room.participants) {
    if (p.conn == from || (!message.to.empty() && p.fingerprint != message.to)) continue;
    outbox_.send(p.conn, message);
    delivered = true;
  }
  if (!delivered && !message.to.empty()) {
    return make_error("not_in_room", message.to + " is not in this room");
  }
  return std::nullopt;
}

void Rooms::reserve(const std::string &room_id, std::vector<std::string> allow) {
  Room &room = rooms_[room_id];
  room.id = room_id;
  room.allow = std::move(allow);
  room.reserved = true;
}

void Rooms::release(const std::string &room_id) {
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return;
  for (const auto &p : it->second.participants) by_conn_.erase(p.conn);
  rooms_.erase(it);
}

void Rooms::broadcast_directive(const Room &room, quality::Tier tier, const std::string &reason) {
  for (const auto &p : room.participants) {
    outbox_.send(p.conn, signal::QualityDirective{room.id, tier, reason});
  }
}

void Rooms::on_datagram(ConnectionId from, std::span<const uint8_t> datagram, SteadyTime now) {
  ++counters_.datagrams_received;
  auto it = by_conn_.find(from);
  if (it == by_conn_.end()) return counters_.drop(DropReason::kNotInRoom);
  if (datagram.size() > wire::kMaxPacketSize) return counters_.drop(DropReason::kOversized);
  auto kind = wire::peek_kind(datagram);
  if (!kind) return counters_.drop(DropReason::kBadHeader);
  // Rooms route whole packets with full headers only (docs/PROTOCOL.md):
  // a mini header cannot be checked without its stream's context.
  if (*kind != wire::PacketKind::kFull) return counters_.drop(DropReason::kNotFullHeader);
  wire::PacketView view;
  if (wire::parse_full(datagram, view) != wire::WireError::kOk) {
    return counters_.drop(DropReason::kBadHeader);
  }
  Room &room = *it->second;
  if (view.report) {
    auto sender = std::find_if(room.participants.begin(), room.participants.end(),
                               [from](const Participant &p) { return p.conn == from; });
    // The report describes what reaches the sender from the room, so the
    // worst receiver sets the tier everyone sends at.
    if (sender != room.participants.end()) {
      sender->last_report = now;
      std::optional<quality::Tier> rejoined;
      if (!sender->counted) {
        // Back from silence: it counts again, from the starting tier.
        sender->counted = true;
        rejoined = room.quality.join(sender->quality_id, micros(now));
      }
      auto changed = room.quality.on_report(sender->quality_id, micros(now),
                                            quality::PathObservation::from(*view.report));
      if (changed || rejoined) {
        broadcast_directive(room, room.quality.room_tier(), "weakest link");
      }
    }
  }
  for (const auto &p : room.participants) {
    if (p.conn == from) continue;
    outbox_.forward(p.conn, datagram);
    ++counters_.datagrams_forwarded;
    counters_.bytes_forwarded += datagram.size();
  }
}

void Rooms::tick(SteadyTime now) {
  for (auto &[id, room] : rooms_) {
    bool changed = false;
    for (auto &p : room.participants) {
      if (p.counted && now - p.last_report > kSilenceGrace) {
        p.counted = false;
        changed |= room.quality.leave(p.quality_id).has_value();
      }
    }
    if (changed) broadcast_directive(room, room.quality.room_tier(), "weakest link silent");
    if (auto tier = room.quality.tick(micros(now)))
      broadcast_directive(room, *tier, "weakest link");
  }
}

}  // namespace wzp::signald
