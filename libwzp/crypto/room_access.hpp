// Who may be in a room: the room secret, shared out of band as an invite,
// and what members derive from it. The relay (untrusted) decides who it
// announces in a room, so it must not be what admits a member: a member's
// card carries a proof that it holds the room secret (member_card.hpp), and
// no sender key is sealed to a member without one. The room id the relay
// sees is derived from the secret too, so the name alone neither finds nor
// pre-creates the room. Layout and derivation: docs/crypto.md, "Room access".
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "libwzp/crypto/room.hpp"

namespace wzp::crypto {

inline constexpr size_t kRoomSecretSize = 32;
using RoomSecret = std::array<uint8_t, kRoomSecretSize>;
inline constexpr size_t kRoomProofSize = 32;  // HMAC-SHA256
using RoomProofKey = std::array<uint8_t, 32>;

// Room names are shown on terminals and typed by people: at most this many
// bytes, no control characters.
inline constexpr size_t kMaxRoomNameSize = 256;

struct RoomInvite {
  std::string name;
  RoomSecret secret{};
  bool operator==(const RoomInvite &) const = default;
};

// What being in one room takes: the id the relay knows it by and the key
// whose MACs prove to the other members that we hold the room secret.
struct RoomAccess {
  RoomId id{};
  RoomProofKey proof_key{};
  // An open room's proof key is derived from the name alone: anyone who
  // knows the name, the relay included if it guesses it, can add members.
  bool open = false;
  // The room id as room_join carries it: 32 lowercase hex digits.
  std::string hex_id() const;
};

// A new room: `name` with a fresh random secret.
RoomInvite new_room_invite(std::string_view name);

// `wzp-room:<name, percent-encoded>#<secret, 43 characters of unpadded
// base64url>`. Bytes other than A-Z a-z 0-9 - . _ ~ in the name are encoded.
std::string format_room_invite(const RoomInvite &invite);

// Parses what format_room_invite makes (surrounding whitespace and either
// case of hex in an escape are accepted). On failure returns nullopt and says
// why in `error`: a missing `wzp-room:` prefix or `#`, a bad escape (with its
// position), an empty or too long name, a control character in the name, a
// secret that is not 32 bytes of base64url.
std::optional<RoomInvite> parse_room_invite(std::string_view text, std::string *error = nullptr);

// Whether `name` may name a room (not empty, at most kMaxRoomNameSize bytes,
// no control characters); `error` says why not.
bool valid_room_name(std::string_view name, std::string *error = nullptr);

// The room an invite opens.
RoomAccess room_access(const RoomInvite &invite);
// An open room: the same derivation from the name and an all-zero secret,
// which everybody knows.
RoomAccess open_room_access(std::string_view name);

// The proof a member card carries: HMAC-SHA256 under the room's proof key
// over the card's bytes before it.
std::array<uint8_t, kRoomProofSize> room_proof(const RoomAccess &access,
                                               std::span<const uint8_t> card_bytes);
bool verify_room_proof(const RoomAccess &access, std::span<const uint8_t> card_bytes,
                       std::span<const uint8_t, kRoomProofSize> proof);

}  // namespace wzp::crypto
