// A room member card: who a member is to the others in one room. It carries
// the X25519 key sender keys are sealed to and the sender id the member's
// packets are routed by, a proof that the member holds the room secret
// (room_access.hpp), and is signed with the member's Ed25519 key. Receivers
// check it against the key the relay announced in room_event, so the relay
// can route cards but not forge or swap them, nor make one for a member it
// invents. Layout: docs/crypto.md, "Member cards".
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "libwzp/crypto/identity.hpp"
#include "libwzp/crypto/room.hpp"
#include "libwzp/crypto/room_access.hpp"

namespace wzp::crypto {

inline constexpr size_t kMemberCardSize = 4 + 16 + 32 + 32 + 4 + 8 + kRoomProofSize + 64;
// The first version, without a proof: still recognised, to refuse it as
// unproven (kNoRoomProof) rather than as noise.
inline constexpr size_t kMemberCardV1Size = 4 + 16 + 32 + 32 + 4 + 8 + 64;

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

// Our card for a room, with the proof made under `room`'s proof key; the
// sender id is sender_id_of(our fingerprint).
std::vector<uint8_t> make_member_card(const Identity &me, const RoomAccess &room,
                                      uint64_t issued_ms);

// Parses and checks a card: size and magic (kMalformed; a first-version card
// has no proof: kNoRoomProof), room (kWrongRoom), the signing key against
// the announced key and fingerprint (kKeyMismatch), the signature
// (kBadSignature), that the sender id is the one derived from the
// fingerprint (kMalformed) and the proof of the room secret (kNoRoomProof).
RoomError open_member_card(std::span<const uint8_t> bytes, const RoomAccess &room,
                           const SigningPublicKey &announced_key,
                           const Fingerprint &announced_fingerprint, MemberCard &card);

// What a room signal's payload is, by its magic.
enum class RoomPayload : uint8_t { kUnknown, kMemberCard, kSenderKey };
RoomPayload room_payload_kind(std::span<const uint8_t> payload);

}  // namespace wzp::crypto
