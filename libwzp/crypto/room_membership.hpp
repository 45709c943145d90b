// The key side of being in a room, as a state machine without clock or I/O:
// fed the relay's room_events and the room_signals other members send, it
// says which room_signals to send and when a member's packets become
// readable. The exchange (docs/rooms.md, "Keys in a room"):
//
//   - our member card goes with our room_join and the relay hands it out
//     with the room_events announcing us; once our own join is announced
//     it also goes to everyone as a room signal, and a member who joins
//     after us gets it addressed to it (the relay may not carry cards:
//     an older daemon, a member on a linked relay);
//   - a card that comes with a member's room_event is taken as if the
//     member had sent it, so our key is on its way one crossing sooner;
//     the same card again, by either way, changes nothing;
//   - a member's card (checked against the key the relay announced, and
//     proving the room secret: the relay decides whom it announces, not who
//     is a member) earns it a sealed key message with our sender key: for a
//     member who joined after us our key ratchets first, so it cannot read
//     what came before;
//   - a member whose copy of our key fell more than one ratchet step behind
//     (several joins at once) gets a fresh key message;
//   - a leave rotates our key and hands it to everyone who stays;
//   - a key message may also come in a key datagram (copies of the one
//     sent as a room signal, so it does not wait behind the stream's lost
//     packets): the first copy of a key counts, the others change nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "libwzp/crypto/member_card.hpp"
#include "libwzp/crypto/room.hpp"

namespace wzp::crypto {

struct OutgoingRoomSignal {
  std::optional<Fingerprint> to;  // none: every other member
  std::vector<uint8_t> payload;
};

// What one input led to.
struct MembershipStep {
  std::vector<OutgoingRoomSignal> send;
  std::vector<Fingerprint> admitted;   // members whose first card (and proof) was accepted
  std::vector<uint32_t> readable;      // sender ids whose first key was just installed
  std::vector<uint32_t> gone;          // sender ids of members who left (remove their streams)
  RoomError refused = RoomError::kOk;  // why the input was refused, if it was
  // The key message we took last from that member, again: a key
  // datagram's copy, its room signal, or a replay of it. Changes nothing.
  bool repeated = false;
};

class RoomMembership {
 public:
  // Rooms hold at most 50 participants (docs/signal.md).
  static constexpr uint32_t kMaxMembers = 64;

  // `room` is the room (room_access.hpp); `issued_ms` stamps our card (Unix
  // ms): a member keeps the newest card.
  RoomMembership(const Identity &me, const RoomAccess &room, uint64_t issued_ms,
                 SendConfig send_config = {});

  // A room_event: `key` is the Ed25519 key the relay announced for `who`,
  // `their_card` the member card it joined with, if the relay carried one.
  // Our own leave ends the membership (make a new one to join again).
  MembershipStep on_event(const Fingerprint &who, bool joined,
                          const std::optional<SigningPublicKey> &key,
                          std::span<const uint8_t> their_card = {});
  // We join again after our connection to the relay ended without our
  // leave (its node died; we redialed another node): the others saw us
  // leave and forgot our key, so every member is forgotten here too and
  // the relay's new announcements start the exchange over, our card and
  // key going to each as on a first join. Our key stays (the pipelines
  // keep session()); the others' keys, which they rotated, go.
  void rejoin();
  // Our member card, for our room_join.
  std::vector<uint8_t> card() const { return make_member_card(me_, room_, issued_ms_); }
  // A room_signal's payload, `from` as the relay authenticated it.
  MembershipStep on_signal(const Fingerprint &from, std::span<const uint8_t> payload);
  // A sender key message from a key datagram (wire/key_datagram.hpp): the
  // relay does not vouch for its sender, the message's signature does. Only
  // from a member the relay announced and whose card we hold, so that the
  // signature can be checked (before it: refused, the room signal brings
  // the key).
  MembershipStep on_key_datagram(std::span<const uint8_t> message);

  const std::shared_ptr<MediaSession> &session() const { return keys_.session(); }
  uint32_t my_sender_id() const { return my_sender_id_; }
  bool in_room() const { return in_room_; }
  // Members the relay announced, and of those the ones whose card (with its
  // proof of the room secret) we accepted: only these are the members' word.
  size_t member_count() const { return members_.size(); }
  size_t admitted_count() const;
  // Whether we hold `who`'s key (can read its packets).
  bool can_read(const Fingerprint &who) const;

 private:
  struct Member {
    Fingerprint fingerprint{};
    SigningPublicKey signing_key{};
    bool joined_after_us = false;
    std::optional<MemberCard> card;
    bool readable = false;
    uint32_t epoch_handed = 0;       // our epoch in the last key message it got
    std::vector<uint8_t> early_key;  // its key message that came before its card
    std::vector<uint8_t> last_key;   // the key message we took last: its copies change nothing
  };
  Member *find(const Fingerprint &who);
  MembershipStep accept_card(Member &member, std::span<const uint8_t> payload);
  MembershipStep accept_sender_key(Member &member, std::span<const uint8_t> payload);
  void send_key(MembershipStep &step, Member &member, std::vector<uint8_t> message);

  const Identity &me_;
  RoomAccess room_;
  uint32_t my_sender_id_;
  uint64_t issued_ms_;
  RoomKeys keys_;
  bool in_room_ = false;
  std::vector<Member> members_;
};

}  // namespace wzp::crypto
