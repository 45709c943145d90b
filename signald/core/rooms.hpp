// SFU rooms: participants join by hashed room name (optionally restricted to
// an allow-list), and every media datagram one participant sends is
// forwarded unchanged to all the others, within what its room's tier lets
// one sender cost them (libwzp/quality SenderPolicer). Only the cleartext
// header is read: to check that the packet is routable and to take the
// sender's piggybacked quality report, which feeds the room's libwzp/quality RoomQuality: its
// weakest link sets a quality directive for everyone. A report of more loss
// than the relay saw on its way (libwzp/quality/plausible_loss.hpp) is
// clamped first, so one member's lie cannot pull everyone down.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "libwzp/quality/plausible_loss.hpp"
#include "libwzp/quality/report_cadence.hpp"
#include "libwzp/quality/room.hpp"
#include "libwzp/quality/sender_policer.hpp"
#include "libwzp/wire/header.hpp"
#include "signald/core/metrics.hpp"
#include "signald/core/outbox.hpp"

namespace wzp::signald {

inline constexpr size_t kMaxRoomParticipants = 50;

using RoomKey = std::array<uint8_t, 16>;  // a room id's 32 hex digits as bytes

// 32 lowercase hex digits, as every room id is.
bool is_room_id(std::string_view text);

// What rooms need from the links to other relays; Federation implements it.
// Open rooms (no allow-list) span relays; a call's relay room spans only
// the relays on the call's path (reserve_linked).
class RoomLinks {
 public:
  virtual ~RoomLinks() = default;
  // A member of this relay joined or left an open room.
  virtual void member_changed(const std::string &room, const std::string &fingerprint,
                              const signal::PublicKey &public_key, bool joined) = 0;
  // A member behind a link that went down: the relays that know it through
  // this one hear that it is gone (a withdrawal, not its own relay's word).
  virtual void member_unreachable(const std::string &room, const std::string &fingerprint) = 0;
  // One copy of a local member's datagram for a relay with members in the
  // room. Called per packet: no allocation.
  virtual void forward(PeerId peer, const RoomKey &room, std::span<const uint8_t> datagram) = 0;
  // A local member's room signal for a relay with members in the room.
  virtual void relay_signal(PeerId peer, const signal::RoomSignal &message) = 0;
  // A member's quality report (as this relay took it, checked against its
  // leg) for a relay with members in the room, whose directives count it.
  virtual void report(PeerId peer, const std::string &room, const std::string &fingerprint,
                      const quality::PathObservation &report) = 0;
  // False in a full mesh of links (a cluster): what an open room's members
  // send reaches every relay from their own, so nothing goes on.
  virtual bool passes_on() const = 0;
};

class Rooms {
 public:
  Rooms(Outbox &outbox, Counters &counters) : outbox_(outbox), counters_(counters) {}

  enum class JoinResult { kJoined, kAlreadyInRoom, kNotAllowed, kFull };
  // The first participant's allow-list (plus itself) governs the room;
  // later joiners' lists are ignored. `card` (the joiner's member card, never
  // read) goes out with every room_event announcing the joiner.
  JoinResult join(const std::string &room, ConnectionId conn, const std::string &fingerprint,
                  const signal::PublicKey &public_key, const std::vector<std::string> &allow,
                  const signal::Bytes &card, SteadyTime now);
  // Leaves the connection's room, if any; false if it was in none or not in `room`.
  bool leave(ConnectionId conn, const std::string &room);
  // The connection is gone: leaves its room, if any, and forgets its budget.
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

  // Federation: members on linked relays, and what they send. A remote
  // member is known through one link, the first that announced it (its
  // route); false when an announcement changed nothing, so it goes no
  // further (multi-hop).
  struct Member {
    std::string room;
    std::string fingerprint;
    signal::PublicKey public_key;
    std::optional<PeerId> via;  // its route, for a remote member
  };
  void set_links(RoomLinks *links) { links_ = links; }
  bool remote_joined(PeerId peer, const std::string &room, const std::string &fingerprint,
                     const signal::PublicKey &public_key);
  // A leave from the member's own relay is taken from any link; a
  // `withdrawal` (a relay on the way lost its route) only from the route.
  bool remote_left(PeerId peer, const std::string &room, const std::string &fingerprint,
                   bool withdrawal);
  // The member of an open room here or behind a link (then with `via`).
  std::optional<Member> federated_member(const std::string &room,
                                         const std::string &fingerprint) const;
  // The members known through `peer` leave; the other links hear of it.
  void peer_lost(PeerId peer);
  // Fans a linked relay's datagram out to this relay's members of the room
  // and on to the room's other links, if `peer` is the route to its sender.
  void on_remote_datagram(PeerId peer, const RoomKey &room, std::span<const uint8_t> datagram);
  // Delivers a remote member's signal to its addressee(s) here and passes
  // it on towards those behind other links; false if the sender is not
  // known through `peer`.
  bool on_remote_signal(PeerId peer, const signal::RoomSignal &message);
  // A remote member's quality report, from the link that is its route: it
  // counts in the room's weakest link here as a local member's does, and
  // goes on to the room's other links; false if no such member.
  bool on_remote_report(PeerId peer, const std::string &room, const std::string &fingerprint,
                        const quality::PathObservation &report, SteadyTime now);
  // The members of open rooms, here and behind links, announced to a relay on linking.
  std::vector<Member> federated_members() const;
  // A direct call's relay room whose other party is behind a link (or, on
  // a relay in between, both are): reserved like reserve(), with those
  // parties as remote members. False if a room of that id exists.
  struct RemoteParty {
    PeerId peer;
    std::string fingerprint;
    signal::PublicKey public_key;
  };
  bool reserve_linked(const std::string &room, std::vector<std::string> allow,
                      const std::vector<RemoteParty> &remote);
  bool exists(const std::string &room) const { return rooms_.contains(room); }

  size_t room_count() const { return rooms_.size(); }
  size_t participant_count() const { return by_conn_.size(); }
  size_t remote_participant_count() const {
    size_t count = 0;
    for (const auto &[id, room] : rooms_) count += room.remote.size();
    return count;
  }
  bool contains(ConnectionId conn) const { return by_conn_.contains(conn); }

 private:
  // What a connection may send the others, from its first join until it
  // disconnects: leaving and joining again does not refill it.
  struct Budget {
    quality::SenderPolicer policer;
    uint64_t dropped = 0;  // datagrams over it
  };
  struct Participant {
    ConnectionId conn;
    std::string fingerprint;
    signal::PublicKey public_key;
    signal::Bytes card;      // as it joined with it: opaque, handed out in its room_events
    uint32_t quality_id;     // the participant's key in Room::quality
    SteadyTime last_report;  // or the join, or the end of its time alone
    Budget *budget;          // its connection's, in budgets_ (elements are stable)
    bool counted = true;     // in Room::quality; a silent participant is not

    // Its media reaching the relay, and the check of its reports against
    // what the relay saw of the others' media on the way to it.
    quality::StreamArrivals arrivals;
    quality::LossCheck loss_check{quality::RelayView{}};
    uint64_t implausible_reports = 0;  // clamped
    // Each report comes in a burst of copies: one burst counts once.
    quality::ReportLimiter reports;
    // Its leg as the relay counts it (RoomQuality::on_leg): the datagrams
    // to it settled before it joined, and its audio the relay policed
    // (which did cross the leg).
    quality::PacketCounts delivered_at_join;
    uint64_t policed = 0;
  };
  struct RemoteMember {
    PeerId peer;
    std::string fingerprint;
    signal::PublicKey public_key;
    uint32_t sender_id;                // the stream id of its media
    quality::StreamArrivals arrivals;  // its media reaching this relay
    uint32_t quality_id = 0;           // its key in Room::quality
    bool counted = false;              // in Room::quality: it reported, and not long ago
    SteadyTime last_report{};
  };
  struct Room {
    std::string id;
    RoomKey key{};
    std::vector<std::string> allow;  // empty: anyone
    std::vector<Participant> participants;
    quality::RoomQuality quality;
    uint32_t next_quality_id = 0;
    bool reserved = false;
    std::vector<RemoteMember> remote;
    std::vector<PeerId> linked_peers;  // the distinct peers in `remote`
    quality::PacketCounts arrivals;    // every sender's media reaching the relay
    bool federated() const { return !reserved && allow.empty(); }
    uint32_t size() const { return static_cast<uint32_t>(participants.size() + remote.size()); }
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };

  Room &room_for(const std::string &id);
  void remove(Room &room, ConnectionId conn);
  void erase_if_empty(Room &room);
  void relink(Room &room);
  // Why a datagram cannot be forwarded, or nullopt with its header in `view`.
  std::optional<DropReason> check_routable(std::span<const uint8_t> datagram,
                                           wire::PacketView &view) const;
  // Why the room's tier last changed, naming the member it is down to.
  std::string change_reason(const Room &room) const;
  void broadcast_directive(const Room &room, quality::Tier tier, const std::string &reason);
  // The relay's running totals of what `member`'s reports describe: the
  // others' media reaching the relay, the relay's datagrams reaching the
  // member; nullopt where the transport cannot tell the latter.
  std::optional<quality::RelayView> relay_totals(const Room &room, const Participant &member) const;
  // Clamps a report of more loss than the relay saw, and counts it.
  void check_report(const Room &room, Participant &member, quality::PathObservation &report);

  Outbox &outbox_;
  Counters &counters_;
  RoomLinks *links_ = nullptr;
  std::unordered_map<std::string, Room, StringHash, std::equal_to<>> rooms_;
  std::unordered_map<ConnectionId, Room *> by_conn_;  // element pointers are stable
  std::unordered_map<ConnectionId, Budget> budgets_;
};

}  // namespace wzp::signald
