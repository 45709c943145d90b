// SFU rooms: participants join by hashed room name (optionally restricted to
// an allow-list), and every media datagram one participant sends is
// forwarded unchanged to all the others. Only the cleartext header is read:
// to check that the packet is routable and to take the sender's piggybacked
// quality report, which feeds the room's libwzp/quality RoomQuality: its
// weakest link sets a quality directive for everyone.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "libwzp/quality/room.hpp"
#include "signald/core/metrics.hpp"
#include "signald/core/outbox.hpp"

namespace wzp::signald {

inline constexpr size_t kMaxRoomParticipants = 50;

class Rooms {
 public:
  Rooms(Outbox &outbox, Counters &counters) : outbox_(outbox), counters_(counters) {}

  enum class JoinResult { kJoined, kAlreadyInRoom, kNotAllowed, kFull };
  // The first participant's allow-list (plus itself) governs the room;
  // later joiners' lists are ignored.
  JoinResult join(const std::string &room, ConnectionId conn, const std::string &fingerprint,
                  const signal::PublicKey &public_key, const std::vector<std::string> &allow,
                  SteadyTime now);
  // Leaves the connection's room, if any; false if it was in none or not in `room`.
  bool leave(ConnectionId conn, const std::string &room);
  void leave_any(ConnectionId conn);
  // Forwards a member's room signal (with `from` filled in) to its addressee,
  // or to every other member; the error to send back otherwise.
  std::optional<signal::Error> relay_signal(ConnectionId from, signal::RoomSignal message);

  // A room that exists before anyone joins and stays while its call lasts:
  // the relay for a direct call, open to the two parties only.
  void reserve(const std::string &room, std::vector<std::string> allow);
  // Ends a reserved room; its participants are removed.
  void release(const std::string &room);

  // `now` times the reports a datagram carries (libwzp/quality reads no clock).
  void on_datagram(ConnectionId from, std::span<const uint8_t> datagram, SteadyTime now);
  // Lets time act on every room's quality: a participant that has reported
  // nothing for the controller's silence grace stops counting in its room's
  // weakest link (until it reports again), and probes end.
  void tick(SteadyTime now);

  size_t room_count() const { return rooms_.size(); }
  size_t participant_count() const { return by_conn_.size(); }
  bool contains(ConnectionId conn) const { return by_conn_.contains(conn); }

 private:
  struct Participant {
    ConnectionId conn;
    std::string fingerprint;
    signal::PublicKey public_key;
    uint32_t quality_id;     // the participant's key in Room::quality
    SteadyTime last_report;  // or the join
    bool counted = true;     // in Room::quality; a silent participant is not
  };
  struct Room {
    std::string id;
    std::vector<std::string> allow;  // empty: anyone
    std::vector<Participant> participants;
    quality::RoomQuality quality;
    uint32_t next_quality_id = 0;
    bool reserved = false;
  };

  void remove(Room &room, ConnectionId conn);
  void broadcast_directive(const Room &room, quality::Tier tier, const std::string &reason);

  Outbox &outbox_;
  Counters &counters_;
  std::unordered_map<std::string, Room> rooms_;
  std::unordered_map<ConnectionId, Room *> by_conn_;  // element pointers are stable
};

}  // namespace wzp::signald
