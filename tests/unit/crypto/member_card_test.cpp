// Member cards: round trip, and each way a card is refused.
#include "libwzp/crypto/member_card.hpp"

#include <gtest/gtest.h>

namespace wzp::crypto {
namespace {

const RoomId kRoom = room_id_of(hash_room_name("ops"));

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
  EXPECT_EQ(card.room_id, kRoom);
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
  auto elsewhere = make_member_card(f.alice, room_id_of(hash_room_name("elsewhere")), 1);
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
  bad_magic[3] = 2;
  EXPECT_EQ(f.open(bad_magic, f.alice, card), RoomError::kMalformed);
  EXPECT_EQ(room_payload_kind(bad_magic), RoomPayload::kUnknown);
}

}  // namespace
}  // namespace wzp::crypto
