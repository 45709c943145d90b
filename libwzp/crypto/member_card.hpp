// A room member card: who a member is to the others in one room. It carries
// the X25519 key sender keys are sealed to and the sender id the member's
// packets are routed by, signed with the member's Ed25519 key. Receivers
// check it against the key the relay announced in room_event, so the relay
// can route cards but not forge or swap them. Layout: docs/crypto.md,
// "Room keys".
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "libwzp/crypto/identity.hpp"
#include "libwzp/crypto/room.hpp"

namespace wzp::crypto {

inline constexpr size_t kMemberCardSize = 4 + 16 + 32 + 32 + 4 + 8 + 64;

struct MemberCard {
  RoomId room_id{};
  RoomMember member;
  uint64_t issued_ms = 0;  // when the card was made (Unix ms): a newer card replaces an older one
};

// The sender id (= media stream id) of a fingerprint: its first four bytes,
// big-endian, never 0. Fingerprints are SHA-256 output, so two of 50 members
// collide with probability about 3e-7; a card whose id another member holds
// is refused (kSenderIdTaken) and that member is not heard.
uint32_t sender_id_of(const Fingerprint &fingerprint);

// Our card for a room; the sender id is sender_id_of(our fingerprint).
std::vector<uint8_t> make_member_card(const Identity &me, const RoomId &room, uint64_t issued_ms);

// Parses and checks a card: size and magic (kMalformed), room (kWrongRoom),
// the signing key against the announced key and fingerprint (kKeyMismatch),
// the signature (kBadSignature) and that the sender id is the one derived
// from the fingerprint (kMalformed).
RoomError open_member_card(std::span<const uint8_t> bytes, const RoomId &room,
                           const SigningPublicKey &announced_key,
                           const Fingerprint &announced_fingerprint, MemberCard &card);

// What a room signal's payload is, by its magic.
enum class RoomPayload : uint8_t { kUnknown, kMemberCard, kSenderKey };
RoomPayload room_payload_kind(std::span<const uint8_t> payload);

}  // namespace wzp::crypto
