// Member cards: round trip, and each way a card is refused, the proof of
// the room secret included.
#include "libwzp/crypto/member_card.hpp"

#include <gtest/gtest.h>

#include "libwzp/base/bytes.hpp"

namespace wzp::crypto {
namespace {

const RoomAccess kRoom = room_access(new_room_invite("ops"));

struct Fixture {
  Identity alice = Identity::generate();
  Identity mallory = Identity::generate();
  RoomError open(std::span<const uint8_t> bytes, const Identity &announced, MemberCard &card) {
    return open_member_card(bytes, kRoom, announced.signing_public_key(), announced.fingerprint(),
                            card);
  }
};

TEST(MemberCard, RoundTrip) {
  Fixture f;
  auto bytes = make_member_card(f.alice, kRoom, 1234567);
  ASSERT_EQ(bytes.size(), kMemberCardSize);
  EXPECT_EQ(room_payload_kind(bytes), RoomPayload::kMemberCard);
  MemberCard card;
  ASSERT_EQ(f.open(bytes, f.alice, card), RoomError::kOk);
  EXPECT_EQ(card.room_id, kRoom.id);
  EXPECT_EQ(card.member.signing_key, f.alice.signing_public_key());
  EXPECT_EQ(card.member.agreement_key, f.alice.agreement_public_key());
  EXPECT_EQ(card.member.sender_id, sender_id_of(f.alice.fingerprint()));
  EXPECT_EQ(card.issued_ms, 1234567u);
}

TEST(MemberCard, SenderIdIsTheFingerprintsFirstFourBytes) {
  Fingerprint fingerprint{0x12, 0x34, 0x56, 0x78, 0x9a};
  EXPECT_EQ(sender_id_of(fingerprint), 0x12345678u);
  EXPECT_EQ(sender_id_of(Fingerprint{}), 1u);  // 0 is never used
}

TEST(MemberCard, RefusesCardsThatDoNotCheckOut) {
  Fixture f;
  auto bytes = make_member_card(f.alice, kRoom, 1);
  MemberCard card;
  // Another room.
  auto elsewhere = make_member_card(f.alice, room_access(new_room_invite("elsewhere")), 1);
  EXPECT_EQ(f.open(elsewhere, f.alice, card), RoomError::kWrongRoom);
  // Mallory's own valid card passed off as Alice's.
  auto forged = make_member_card(f.mallory, kRoom, 1);
  EXPECT_EQ(f.open(forged, f.alice, card), RoomError::kKeyMismatch);
  // The announced key does not hash to the announced fingerprint.
  EXPECT_EQ(
      open_member_card(bytes, kRoom, f.alice.signing_public_key(), f.mallory.fingerprint(), card),
      RoomError::kKeyMismatch);
  // Alice's key with Mallory's agreement key swapped in.
  auto swapped = bytes;
  std::copy(f.mallory.agreement_public_key().begin(), f.mallory.agreement_public_key().end(),
            swapped.begin() + 52);
  EXPECT_EQ(f.open(swapped, f.alice, card), RoomError::kBadSignature);
  auto bad_signature = bytes;
  bad_signature.back() ^= 1;
  EXPECT_EQ(f.open(bad_signature, f.alice, card), RoomError::kBadSignature);
  // A signed card claiming a sender id that is not the fingerprint's.
  auto other_id = bytes;
  other_id[84] ^= 0xff;
  Signature resigned = f.alice.sign(std::span(other_id).first(kMemberCardSize - 64));
  std::copy(resigned.begin(), resigned.end(), other_id.end() - 64);
  EXPECT_EQ(f.open(other_id, f.alice, card), RoomError::kMalformed);
  // Wrong size, wrong magic.
  auto short_card = bytes;
  short_card.pop_back();
  EXPECT_EQ(f.open(short_card, f.alice, card), RoomError::kMalformed);
  auto bad_magic = bytes;
  bad_magic[3] = 3;
  EXPECT_EQ(f.open(bad_magic, f.alice, card), RoomError::kMalformed);
  EXPECT_EQ(room_payload_kind(bad_magic), RoomPayload::kUnknown);
}

// The card as the first version made it: no proof of the room secret.
std::vector<uint8_t> first_version_card(const Identity &who, const RoomId &room) {
  std::vector<uint8_t> out(kMemberCardV1Size);
  uint8_t *p = out.data();
  const uint8_t magic[4] = {'W', 'Z', 'C', 1};
  std::copy(magic, magic + 4, p);
  std::copy(room.begin(), room.end(), p + 4);
  std::copy(who.signing_public_key().begin(), who.signing_public_key().end(), p + 20);
  std::copy(who.agreement_public_key().begin(), who.agreement_public_key().end(), p + 52);
  base::put_be(p + 84, sender_id_of(who.fingerprint()), 4);
  base::put_be(p + 88, 1, 8);
  Signature signature = who.sign(std::span(out).first(kMemberCardV1Size - 64));
  std::copy(signature.begin(), signature.end(), p + kMemberCardV1Size - 64);
  return out;
}

// Issue 13: the relay announces whom it likes, so a card must prove the room
// secret. The relay knows the room id (it is on the wire) but not the secret.
TEST(MemberCard, RefusesCardsThatDoNotProveTheRoomSecret) {
  Fixture f;
  MemberCard card;
  // Without a proof: a first-version card, validly signed, for the room.
  auto unproven = first_version_card(f.alice, kRoom.id);
  EXPECT_EQ(room_payload_kind(unproven), RoomPayload::kMemberCard);
  EXPECT_EQ(f.open(unproven, f.alice, card), RoomError::kNoRoomProof);
  // Made with the right room id but another secret's proof key: what a relay
  // (or anyone who saw the room id) can make for an identity it holds.
  RoomAccess wrong_secret = room_access(new_room_invite("ops"));
  wrong_secret.id = kRoom.id;
  EXPECT_EQ(f.open(make_member_card(f.mallory, wrong_secret, 1), f.mallory, card),
            RoomError::kNoRoomProof);
  // Or the open room's key, which anyone derives from the name.
  RoomAccess guessed = open_room_access("ops");
  guessed.id = kRoom.id;
  EXPECT_EQ(f.open(make_member_card(f.mallory, guessed, 1), f.mallory, card),
            RoomError::kNoRoomProof);
  // A proof over a tampered card: Alice's card with a later issue time,
  // signed again by her key but with the old proof.
  auto bytes = make_member_card(f.alice, kRoom, 1);
  auto later = bytes;
  later[95] ^= 0x10;
  Signature resigned = f.alice.sign(std::span(later).first(kMemberCardSize - 64));
  std::copy(resigned.begin(), resigned.end(), later.end() - 64);
  EXPECT_EQ(f.open(later, f.alice, card), RoomError::kNoRoomProof);
  // Alice's proof copied onto Mallory's own card, which Mallory signs.
  auto copied = make_member_card(f.mallory, wrong_secret, 1);
  std::copy(bytes.begin() + 96, bytes.begin() + 128, copied.begin() + 96);
  resigned = f.mallory.sign(std::span(copied).first(kMemberCardSize - 64));
  std::copy(resigned.begin(), resigned.end(), copied.end() - 64);
  EXPECT_EQ(f.open(copied, f.mallory, card), RoomError::kNoRoomProof);
  // The proof itself altered.
  auto bad_proof = bytes;
  bad_proof[100] ^= 1;
  resigned = f.alice.sign(std::span(bad_proof).first(kMemberCardSize - 64));
  std::copy(resigned.begin(), resigned.end(), bad_proof.end() - 64);
  EXPECT_EQ(f.open(bad_proof, f.alice, card), RoomError::kNoRoomProof);
  // With the invite, the same card opens.
  EXPECT_EQ(f.open(bytes, f.alice, card), RoomError::kOk);
}

}  // namespace
}  // namespace wzp::crypto
