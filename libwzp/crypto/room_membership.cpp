#include "libwzp/crypto/room_membership.hpp"

#include <algorithm>
#include <iterator>

namespace wzp::crypto {
namespace {

ReceiveConfig room_receive_config() {
  ReceiveConfig config;
  config.max_senders = RoomMembership::kMaxMembers;
  return config;
}

MembershipStep refused(RoomError error) {
  MembershipStep step;
  step.refused = error;
  return step;
}

}  // namespace

RoomMembership::RoomMembership(const Identity &me, const RoomAccess &room, uint64_t issued_ms,
                               SendConfig send_config)
    : me_(me),
      room_(room),
      my_sender_id_(sender_id_of(me.fingerprint())),
      issued_ms_(issued_ms),
      keys_(me, my_sender_id_, room.hex_id(), send_config, room_receive_config()) {}

RoomMembership::Member *RoomMembership::find(const Fingerprint &who) {
  auto it = std::find_if(members_.begin(), members_.end(),
                         [&](const Member &m) { return m.fingerprint == who; });
  return it == members_.end() ? nullptr : &*it;
}

bool RoomMembership::can_read(const Fingerprint &who) const {
  return std::any_of(members_.begin(), members_.end(),
                     [&](const Member &m) { return m.fingerprint == who && m.readable; });
}

size_t RoomMembership::admitted_count() const {
  return std::count_if(members_.begin(), members_.end(),
                       [](const Member &m) { return m.card.has_value(); });
}

MembershipStep RoomMembership::on_event(const Fingerprint &who, bool joined,
                                        const std::optional<SigningPublicKey> &key,
                                        std::span<const uint8_t> their_card) {
  MembershipStep step;
  if (who == me_.fingerprint()) {
    if (joined && !in_room_) {
      in_room_ = true;
      step.send.push_back({std::nullopt, card()});
    } else if (!joined && in_room_) {
      in_room_ = false;
      for (const Member &m : members_) {
        if (m.card) step.gone.push_back(m.card->member.sender_id);
      }
      members_.clear();
    }
    return step;
  }
  Member *member = find(who);
  if (joined) {
    if (!key || fingerprint_of(*key) != who) return refused(RoomError::kKeyMismatch);
    if (member != nullptr) {
      // A repeated announcement changes nothing; another key for the same
      // fingerprint cannot be (it is the key's hash) and was refused above.
      return step;
    }
    if (members_.size() >= kMaxMembers) return refused(RoomError::kUnknownMember);
    members_.push_back({who, *key, in_room_, std::nullopt, false, 0, {}, {}});
    if (in_room_) step.send.push_back({who, card()});
    if (!their_card.empty()) {
      // The relay vouches for nothing here: the card is checked as if the
      // member had sent it, and a bad one leaves the member to send its own.
      MembershipStep carded = accept_card(members_.back(), their_card);
      step.send.insert(step.send.end(), std::make_move_iterator(carded.send.begin()),
                       std::make_move_iterator(carded.send.end()));
      step.admitted = std::move(carded.admitted);
      step.readable = std::move(carded.readable);
      step.refused = carded.refused;
    }
    return step;
  }
  if (member == nullptr) return step;
  bool had_card = member->card.has_value();
  if (had_card) step.gone.push_back(member->card->member.sender_id);
  std::erase_if(members_, [&](const Member &m) { return m.fingerprint == who; });
  if (had_card) {
    // Rotation: the leaver cannot read what we send from now on.
    for (auto &message : keys_.remove_member(who)) {
      Member *recipient = find(key_message_recipient(message));
      if (recipient != nullptr) send_key(step, *recipient, std::move(message));
    }
  }
  return step;
}

void RoomMembership::rejoin() {
  in_room_ = false;
  // Their keys went on without us (each rotated when we left): what we
  // hold of them is stale, and the next key each sends starts over.
  for (const Member &m : members_) {
    if (m.card) keys_.session()->receiver.remove_sender(m.card->member.sender_id);
  }
  members_.clear();
}

MembershipStep RoomMembership::on_signal(const Fingerprint &from,
                                         std::span<const uint8_t> payload) {
  Member *member = find(from);
  switch (room_payload_kind(payload)) {
    case RoomPayload::kMemberCard:
      return member ? accept_card(*member, payload) : refused(RoomError::kUnknownMember);
    case RoomPayload::kSenderKey:
      return member ? accept_sender_key(*member, payload) : refused(RoomError::kUnknownMember);
    case RoomPayload::kUnknown:
      break;
  }
  return refused(RoomError::kMalformed);
}

MembershipStep RoomMembership::on_key_datagram(std::span<const uint8_t> message) {
  if (room_payload_kind(message) != RoomPayload::kSenderKey) return refused(RoomError::kMalformed);
  Member *member = find(key_message_sender(message));
  if (member == nullptr) return refused(RoomError::kUnknownMember);
  // Before the sender's card nothing can verify the key, and the relay did
  // not check who sent the datagram (as it does a room signal): a forged
  // one would displace the early key the genuine signal left. The signal
  // brings the key then.
  if (!member->card) return refused(RoomError::kUnknownMember);
  return accept_sender_key(*member, message);
}

MembershipStep RoomMembership::accept_card(Member &member, std::span<const uint8_t> payload) {
  MemberCard card;
  RoomError error = open_member_card(payload, room_, member.signing_key, member.fingerprint, card);
  if (error != RoomError::kOk) return refused(error);
  // The card we hold, again (it comes with the member's room_event and as
  // its room signal): nothing to do. An older one is a replay.
  if (member.card && card.issued_ms == member.card->issued_ms) return {};
  if (member.card && card.issued_ms < member.card->issued_ms) return refused(RoomError::kStale);
  uint32_t id = card.member.sender_id;
  bool taken = id == my_sender_id_ || std::any_of(members_.begin(), members_.end(), [&](auto &m) {
                 return &m != &member && m.card && m.card->member.sender_id == id;
               });
  if (taken) return refused(RoomError::kSenderIdTaken);

  MembershipStep step;
  if (!member.card) step.admitted.push_back(member.fingerprint);
  // Only a member's first card moves our key on; a newer card (same keys,
  // later stamp) just gets the current key again.
  bool ratchet = member.joined_after_us && !member.card;
  member.card = card;
  keys_.session()->receiver.route_stream(id, id);
  send_key(step, member, keys_.add_member(card.member, 0, ratchet));
  if (!member.early_key.empty()) {
    std::vector<uint8_t> early = std::move(member.early_key);
    member.early_key.clear();
    MembershipStep keyed = accept_sender_key(member, early);
    step.readable = keyed.readable;
    step.refused = keyed.refused;
  }
  if (ratchet) {
    // The others follow one ratchet step on their own, not two.
    for (Member &other : members_) {
      if (&other == &member || !other.card || other.epoch_handed + 1 >= keys_.epoch()) continue;
      if (auto message = keys_.key_message(other.fingerprint)) {
        send_key(step, other, std::move(*message));
      }
    }
  }
  return step;
}

MembershipStep RoomMembership::accept_sender_key(Member &member, std::span<const uint8_t> payload) {
  if (key_message_sender(payload) != member.fingerprint) return refused(RoomError::kUnknownMember);
  if (!member.card) {
    // The relay may deliver a key before the card it answers; keep the latest.
    member.early_key.assign(payload.begin(), payload.end());
    return {};
  }
  // The same message again: a key datagram's copy, or the room signal after
  // a copy. An older one is a replay (kStale below).
  if (std::ranges::equal(payload, member.last_key)) {
    MembershipStep step;
    step.repeated = true;
    return step;
  }
  RoomError error = keys_.accept(payload);
  if (error != RoomError::kOk) return refused(error);
  member.last_key.assign(payload.begin(), payload.end());
  MembershipStep step;
  if (!member.readable) {
    member.readable = true;
    step.readable.push_back(member.card->member.sender_id);
  }
  return step;
}

void RoomMembership::send_key(MembershipStep &step, Member &member, std::vector<uint8_t> message) {
  member.epoch_handed = keys_.epoch();
  step.send.push_back({member.fingerprint, std::move(message)});
}

}  // namespace wzp::crypto
