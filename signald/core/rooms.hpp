// SFU rooms: participants join by hashed room name (optionally restricted to
// an allow-list), and every media datagram one participant sends is
// forwarded unchanged to all the others. Only the cleartext header is read:
// to check that the packet is routable and to take the sender's piggybacked
// quality report, from which the room's weakest link sets a quality
// directive for everyone.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "signald/core/metrics.hpp"
#include "signald/core/outbox.hpp"

namespace wzp::signald {

inline constexpr size_t kMaxRoomParticipants = 50;

// Which tier a participant's own report asks for. A link degrades at once
// and recovers only after kRecoveryReports better reports in a row, so a
// room does not flap between tiers.
signal::QualityTier classify(double loss_fraction, uint32_t rtt_ms);
inline constexpr uint32_t kRecoveryReports = 10;

class Rooms {
 public:
  Rooms(Outbox &outbox, Counters &counters) : outbox_(outbox), counters_(counters) {}

  enum class JoinResult { kJoined, kAlreadyInRoom, kNotAllowed, kFull };
  // The first participant's allow-list (plus itself) governs the room;
  // later joiners' lists are ignored.
  JoinResult join(const std::string &room, ConnectionId conn, const std::string &fingerprint,
                  const std::vector<std::string> &allow);
  // Leaves the connection's room, if any; false if it was in none or not in `room`.
  bool leave(ConnectionId conn, const std::string &room);
  void leave_any(ConnectionId conn);

  // A room that exists before anyone joins and stays while its call lasts:
  // the relay for a direct call, open to the two parties only.
  void reserve(const std::string &room, std::vector<std::string> allow);
  // Ends a reserved room; its participants are removed.
  void release(const std::string &room);

  void on_datagram(ConnectionId from, std::span<const uint8_t> datagram);

  size_t room_count() const { return rooms_.size(); }
  size_t participant_count() const { return by_conn_.size(); }
  bool contains(ConnectionId conn) const { return by_conn_.contains(conn); }

 private:
  struct Participant {
    ConnectionId conn;
    std::string fingerprint;
    signal::QualityTier tier = signal::QualityTier::kGood;
    uint32_t better_reports = 0;
  };
  struct Room {
    std::string id;
    std::vector<std::string> allow;  // empty: anyone
    std::vector<Participant> participants;
    signal::QualityTier directive = signal::QualityTier::kGood;
    bool reserved = false;
  };

  void remove(Room &room, ConnectionId conn);
  void update_quality(Room &room, Participant &participant, signal::QualityTier reported);

  Outbox &outbox_;
  Counters &counters_;
  std::unordered_map<std::string, Room> rooms_;
  std::unordered_map<ConnectionId, Room *> by_conn_;  // element pointers are stable
};

}  // namespace wzp::signald
