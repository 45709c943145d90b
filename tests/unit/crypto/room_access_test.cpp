// Room invites and what they derive: the invite text round trip and each way
// it is refused, the room id and proof key (a known answer computed
// independently with Python's hmac/hashlib, docs/crypto.md "Room access"),
// and that the name alone yields neither.
#include "libwzp/crypto/room_access.hpp"

#include <gtest/gtest.h>

#include "libwzp/base/hex.hpp"
#include "libwzp/crypto/identity.hpp"

namespace wzp::crypto {
namespace {

RoomInvite counting_invite(std::string name) {
  RoomInvite invite{std::move(name), {}};
  for (size_t i = 0; i < invite.secret.size(); ++i) invite.secret[i] = static_cast<uint8_t>(i);
  return invite;
}

std::string parse_error(std::string_view text) {
  std::string error;
  EXPECT_FALSE(parse_room_invite(text, &error)) << text;
  return error;
}

TEST(RoomAccess, InviteTextRoundTrips) {
  RoomInvite invite = counting_invite("friday standup");
  std::string text = format_room_invite(invite);
  EXPECT_EQ(text, "wzp-room:friday%20standup#AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
  EXPECT_EQ(parse_room_invite(text), invite);
  // Pasted with whitespace around, escapes in lower case, a raw space.
  EXPECT_EQ(parse_room_invite("  \t" + text + "\n"), invite);
  EXPECT_EQ(
      parse_room_invite("wzp-room:friday%2fstandup#AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")
          ->name,
      "friday/standup");
  EXPECT_EQ(
      parse_room_invite("wzp-room:friday standup#AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"),
      invite);
  // Any name a person may give, and fresh invites, survive the trip.
  for (const std::string &name : std::vector<std::string>{"ops", "a#b%c", "Café ☕", "~-._",
                                                          std::string(kMaxRoomNameSize, 'x')}) {
    RoomInvite fresh = new_room_invite(name);
    EXPECT_EQ(parse_room_invite(format_room_invite(fresh)), fresh) << name;
  }
  EXPECT_NE(new_room_invite("ops").secret, new_room_invite("ops").secret);
}

TEST(RoomAccess, BadInvitesAreRefusedWithTheirReason) {
  const std::string secret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
  EXPECT_EQ(parse_error(""), "an invite starts with 'wzp-room:'");
  EXPECT_EQ(parse_error("friday standup"), "an invite starts with 'wzp-room:'");
  EXPECT_EQ(parse_error("wzp-room:ops"), "the invite has no '#' before its secret");
  EXPECT_EQ(parse_error("wzp-room:#" + secret), "the room name is empty");
  EXPECT_EQ(parse_error("wzp-room:o%2#" + secret),
            "bad escape at character 11 of the invite (a '%' takes two hex digits)");
  EXPECT_EQ(parse_error("wzp-room:o%zz#" + secret),
            "bad escape at character 11 of the invite (a '%' takes two hex digits)");
  EXPECT_EQ(parse_error("wzp-room:ops%#" + secret),
            "bad escape at character 13 of the invite (a '%' takes two hex digits)");
  EXPECT_EQ(parse_error("wzp-room:o%1bps#" + secret),
            "the room name has a control character at byte 2");
  EXPECT_EQ(parse_error("wzp-room:" + std::string(kMaxRoomNameSize + 1, 'x') + "#" + secret),
            "the room name is longer than 256 bytes");
  const std::string bad_secret = "the invite's secret is not 43 characters of base64url (32 bytes)";
  EXPECT_EQ(parse_error("wzp-room:ops#"), bad_secret);
  EXPECT_EQ(parse_error("wzp-room:ops#" + secret.substr(1)), bad_secret);
  EXPECT_EQ(parse_error("wzp-room:ops#" + secret + "A"), bad_secret);
  EXPECT_EQ(parse_error("wzp-room:ops#" + secret.substr(0, 42) + "+"), bad_secret);  // not url-safe
  EXPECT_EQ(parse_error("wzp-room:ops#" + secret.substr(0, 42) + "="), bad_secret);
  // The last character carries 2 unused bits; they must be zero.
  EXPECT_EQ(parse_error("wzp-room:ops#" + secret.substr(0, 42) + "9"), bad_secret);
  EXPECT_EQ(parse_error("wzp-room:ops#" + secret + "#" + secret), bad_secret);
}

TEST(RoomAccess, DerivesTheKnownRoomIdAndProofKey) {
  RoomAccess access = room_access(counting_invite("friday standup"));
  EXPECT_EQ(access.hex_id(), "311e3c3bf9ea1c7b9347d99af42a350c");
  EXPECT_EQ(base::to_hex(access.proof_key),
            "bf863e41fa04a3a57010d014c32aa3946d6b4f86be7e2656c4a9cf8fcf9f2010");
  EXPECT_FALSE(access.open);
  RoomAccess open = open_room_access("friday standup");
  EXPECT_EQ(open.hex_id(), "c9ecdeb724ef803c97c72aee6499c41e");
  EXPECT_TRUE(open.open);
}

// The relay sees the room id only; from the name it cannot find the room:
// neither Warzone's room hash of the name nor the open room of that name is
// the id, and another secret or another name gives another id and key.
TEST(RoomAccess, TheNameAloneGivesNeitherTheRoomIdNorTheProofKey) {
  RoomInvite invite = new_room_invite("friday standup");
  RoomAccess access = room_access(invite);
  EXPECT_NE(access.hex_id(), hash_room_name("friday standup"));
  EXPECT_NE(access.id, open_room_access("friday standup").id);
  EXPECT_NE(access.proof_key, open_room_access("friday standup").proof_key);
  RoomInvite other_secret = new_room_invite("friday standup");
  EXPECT_NE(room_access(other_secret).id, access.id);
  EXPECT_NE(room_access(other_secret).proof_key, access.proof_key);
  RoomInvite other_name = invite;
  other_name.name = "friday standup 2";
  EXPECT_NE(room_access(other_name).id, access.id);
  EXPECT_NE(room_access(other_name).proof_key, access.proof_key);
  // Everyone with the invite derives the same room.
  RoomAccess again = room_access(*parse_room_invite(format_room_invite(invite)));
  EXPECT_EQ(again.id, access.id);
  EXPECT_EQ(again.proof_key, access.proof_key);
}

TEST(RoomAccess, AProofVerifiesOnlyUnderItsKeyAndOverItsBytes) {
  RoomAccess access = room_access(new_room_invite("ops"));
  std::vector<uint8_t> bytes = {1, 2, 3, 4};
  auto proof = room_proof(access, bytes);
  EXPECT_TRUE(verify_room_proof(access, bytes, proof));
  RoomAccess other = room_access(new_room_invite("ops"));
  EXPECT_FALSE(verify_room_proof(other, bytes, proof));
  bytes[0] ^= 1;
  EXPECT_FALSE(verify_room_proof(access, bytes, proof));
}

}  // namespace
}  // namespace wzp::crypto
