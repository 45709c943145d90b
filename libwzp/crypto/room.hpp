// Room keys, SFrame-like: every member sends under its own sender key and
// hands that key to each other member in a signed, sealed key message.
// A join ratchets the sender's key forward (the newcomer cannot read what
// came before); a leave rotates to a fresh random key (the leaver cannot
// read what follows). Message layout: docs/crypto.md, "Room keys".
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "libwzp/crypto/identity.hpp"
#include "libwzp/crypto/session.hpp"

namespace wzp::crypto {

inline constexpr size_t kSenderKeyMessageSize = 4 + 16 + 16 + 16 + 4 + 4 + 80 + 64;
inline constexpr std::array<uint8_t, 4> kSenderKeyMagic = {'W', 'Z', 'R', 1};

// The 16 bytes a room is known by on the wire (RoomAccess::id, room_access.hpp)
// from its 32 hex digits (anything that is not 32 hex digits is hashed).
using RoomId = std::array<uint8_t, 16>;
RoomId room_id_of(std::string_view room_hash);

struct RoomMember {
  SigningPublicKey signing_key{};
  AgreementPublicKey agreement_key{};
  uint32_t sender_id = 0;  // unique in the room; the receiver's routing key
  Fingerprint fingerprint() const { return fingerprint_of(signing_key); }
};

enum class RoomError : uint8_t {
  kOk,
  kMalformed,      // wrong size or magic
  kWrongRoom,      // for another room
  kNotForUs,       // addressed to another member
  kUnknownMember,  // the sender is not (or no longer) a member
  kBadSignature,   // not signed by that member
  kCannotOpen,     // the sealed key does not open with our key
  kStale,          // an epoch we already have or passed: a replayed key message
  kKeyMismatch,    // a member card whose key is not the one the relay announced
  kSenderIdTaken,  // a member card whose sender id another member already holds
  kNoRoomProof,    // a member card that does not prove the room secret
};
const char *to_string(RoomError error);

// Who sent a sender key message and to whom (valid only for a message of
// kSenderKeyMessageSize bytes; nothing is verified).
Fingerprint key_message_sender(std::span<const uint8_t> message);
Fingerprint key_message_recipient(std::span<const uint8_t> message);

class RoomKeys {
 public:
  // `room_hash` is the room id in hex (RoomAccess::hex_id()). Our own key
  // starts random at epoch 0.
  RoomKeys(const Identity &me, uint32_t my_sender_id, std::string_view room_hash,
           SendConfig send_config = {}, ReceiveConfig receive_config = {});

  // A member joined: ratchet our key forward and return the key message for
  // the newcomer (the others follow the ratchet on their own). A member who
  // was there before us needs no ratchet (`ratchet` false): we sent nothing
  // it should not read.
  std::vector<uint8_t> add_member(const RoomMember &member, uint64_t now_ns, bool ratchet = true);
  // A member left: forget its key, rotate ours to a fresh random key and
  // return one key message per remaining member.
  std::vector<std::vector<uint8_t>> remove_member(const Fingerprint &member);
  // A key message from another member.
  RoomError accept(std::span<const uint8_t> message);
  // A fresh key message with our current key for a known member (after our
  // key moved on more than one ratchet step since the member last got it).
  std::optional<std::vector<uint8_t>> key_message(const Fingerprint &member) const;
  uint32_t epoch() const { return session_->sender->epoch(); }

  // Hand this to wzpencrypt / wzpdecrypt (plugins/gstwzp/wzpcryptcontext.h).
  const std::shared_ptr<MediaSession> &session() const { return session_; }

 private:
  std::vector<uint8_t> key_message_for(const RoomMember &member) const;

  const Identity &me_;
  uint32_t my_sender_id_;
  RoomId room_id_{};
  std::vector<RoomMember> members_;
  std::shared_ptr<MediaSession> session_;
};

}  // namespace wzp::crypto
