#include "signald/core/rooms.hpp"

#include <algorithm>

#include "libwzp/wire/header.hpp"

namespace wzp::signald {

using signal::QualityTier;

signal::QualityTier classify(double loss_fraction, uint32_t rtt_ms) {
  // The lowest tier carries speech through 30 % loss and more only with its
  // heavy FEC; the middle one is for paths that are lossy but usable.
  if (loss_fraction >= 0.30 || rtt_ms >= 800) return QualityTier::kCatastrophic;
  if (loss_fraction >= 0.08 || rtt_ms >= 400) return QualityTier::kDegraded;
  return QualityTier::kGood;
}

Rooms::JoinResult Rooms::join(const std::string &room_id, ConnectionId conn,
                              const std::string &fingerprint,
                              const std::vector<std::string> &allow) {
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
    outbox_.send(conn, signal::RoomEvent{room.id, other.fingerprint, true, count});
  }
  room.participants.push_back({conn, fingerprint});
  by_conn_[conn] = &room;
  for (const auto &p : room.participants) {
    outbox_.send(p.conn, signal::RoomEvent{room.id, fingerprint, true, count});
  }
  if (room.directive != QualityTier::kGood) {
    outbox_.send(conn, signal::QualityDirective{room.id, room.directive, "weakest link"});
  }
  return JoinResult::kJoined;
}

void Rooms::remove(Room &room, ConnectionId conn) {
  auto it = std::find_if(room.participants.begin(), room.participants.end(),
                         [conn](const Participant &p) { return p.conn == conn; });
  if (it == room.participants.end()) return;
  std::string fingerprint = it->fingerprint;
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
  // The weakest link may have left.
  QualityTier worst = QualityTier::kGood;
  for (const auto &p : room.participants) worst = std::max(worst, p.tier);
  if (worst != room.directive) {
    room.directive = worst;
    for (const auto &p : room.participants) {
      outbox_.send(p.conn, signal::QualityDirective{room.id, worst, "weakest link left"});
    }
  }
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

void Rooms::update_quality(Room &room, Participant &participant, QualityTier reported) {
  if (reported >= participant.tier) {
    participant.tier = reported;
    participant.better_reports = 0;
  } else if (++participant.better_reports >= kRecoveryReports) {
    participant.tier = reported;
    participant.better_reports = 0;
  }
  QualityTier worst = QualityTier::kGood;
  for (const auto &p : room.participants) worst = std::max(worst, p.tier);
  if (worst == room.directive) return;
  room.directive = worst;
  for (const auto &p : room.participants) {
    outbox_.send(p.conn, signal::QualityDirective{room.id, worst, "weakest link"});
  }
}

void Rooms::on_datagram(ConnectionId from, std::span<const uint8_t> datagram) {
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
  for (auto &p : room.participants) {
    if (p.conn == from) {
      if (view.report) {
        update_quality(room, p, classify(view.report->loss_fraction(), view.report->rtt_ms));
      }
      continue;
    }
    outbox_.forward(p.conn, datagram);
    ++counters_.datagrams_forwarded;
    counters_.bytes_forwarded += datagram.size();
  }
}

}  // namespace wzp::signald
