// Room sender keys: exchange, join ratchet, leave rotation, key message checks.
#include "libwzp/crypto/room.hpp"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "libwzp/wire/header.hpp"

namespace wzp::crypto {
namespace {

const std::string kRoom = hash_room_name("ops");

struct Member {
  explicit Member(uint32_t sender_id)
      : identity(Identity::generate()), keys(identity, sender_id, kRoom), id(sender_id) {}
  RoomMember public_part() const {
    return {identity.signing_public_key(), identity.agreement_public_key(), id};
  }
  Identity identity;
  RoomKeys keys;
  uint32_t id;
  uint32_t next_sequence = 1;
};

// Stream id = 100 x sender id, routed in every receiver.
void route_all(std::vector<Member *> members) {
  for (Member *m : members) {
    for (Member *other : members)
      m->keys.session()->receiver.route_stream(other->id * 100, other->id);
  }
}

// `newcomer` meets each of `others`: both add each other and exchange key messages.
void meet(Member &newcomer, std::vector<Member *> others) {
  for (Member *other : others) {
    auto to_other = newcomer.keys.add_member(other->public_part(), 0);
    auto to_newcomer = other->keys.add_member(newcomer.public_part(), 0);
    ASSERT_EQ(other->keys.accept(to_other), RoomError::kOk);
    ASSERT_EQ(newcomer.keys.accept(to_newcomer), RoomError::kOk);
  }
}

std::vector<uint8_t> send(Member &from, size_t payload = 40) {
  wire::MediaHeader header;
  header.stream_id = from.id * 100;
  header.sequence = from.next_sequence++;
  std::vector<uint8_t> bytes(wire::kFullHeaderSize + payload + kTagSize, 0x5a);
  size_t header_size = wire::write_full(header, nullptr, bytes);
  auto result = from.keys.session()->sender->seal(
      header.stream_id, header.sequence, 0, &bytes[3], 0, std::span(bytes).first(header_size),
      std::span(bytes).subspan(header_size, payload), bytes.data() + header_size + payload);
  EXPECT_EQ(result.status, SealStatus::kOk);
  return bytes;
}

OpenStatus receive(Member &at, std::vector<uint8_t> bytes) {
  wire::PacketView view;
  EXPECT_EQ(wire::parse_full(std::span(bytes).first(bytes.size() - kTagSize), view),
            wire::WireError::kOk);
  size_t header_size = view.header_bytes.size();
  size_t payload = bytes.size() - header_size - kTagSize;
  return at.keys.session()
      ->receiver
      .open(view.header.stream_id, view.header.sequence, view.header.key_epoch, 0,
            std::span(bytes).first(header_size), std::span(bytes).subspan(header_size, payload),
            bytes.data() + header_size + payload)
      .status;
}

TEST(Room, MembersReadEachOther) {
  Member a(1), b(2), c(3);
  meet(b, {&a});
  meet(c, {&a, &b});
  route_all({&a, &b, &c});
  EXPECT_EQ(receive(b, send(a)), OpenStatus::kOk);
  EXPECT_EQ(receive(c, send(a)), OpenStatus::kOk);
  EXPECT_EQ(receive(a, send(c)), OpenStatus::kOk);
  EXPECT_EQ(receive(c, send(b)), OpenStatus::kOk);
}

TEST(Room, LeaverCannotReadWhatFollows) {
  Member a(1), b(2), c(3);
  meet(b, {&a});
  meet(c, {&a, &b});
  route_all({&a, &b, &c});
  ASSERT_EQ(receive(c, send(a)), OpenStatus::kOk);
  auto from_a = a.keys.remove_member(c.identity.fingerprint());
  b.keys.remove_member(c.identity.fingerprint());
  ASSERT_EQ(from_a.size(), 1u);
  ASSERT_EQ(b.keys.accept(from_a[0]), RoomError::kOk);
  auto after = send(a);
  EXPECT_EQ(receive(b, after), OpenStatus::kOk);
  // C still holds A's old key and its ratchet: neither opens the fresh key.
  EXPECT_NE(receive(c, after), OpenStatus::kOk);
  // A no longer accepts C's packets.
  EXPECT_EQ(receive(a, send(c)), OpenStatus::kUnknownSender);
}

TEST(Room, NewcomerCannotReadWhatCameBefore) {
  Member a(1), b(2), d(4);
  meet(b, {&a});
  route_all({&a, &b, &d});
  auto before = send(a);
  ASSERT_EQ(receive(b, before), OpenStatus::kOk);
  meet(d, {&a, &b});
  route_all({&a, &b, &d});
  auto after = send(a);
  EXPECT_EQ(receive(d, after), OpenStatus::kOk);
  EXPECT_EQ(receive(b, after), OpenStatus::kOk);  // B follows A's ratchet by itself
  EXPECT_EQ(receive(d, before), OpenStatus::kUnknownEpoch);
}

TEST(Room, KeyMessagesAreChecked) {
  Member a(1), b(2), c(3);
  meet(b, {&a});
  c.keys.add_member(a.public_part(), 0);
  auto for_b = a.keys.add_member(b.public_part(), 0);
  EXPECT_EQ(b.keys.accept(for_b), RoomError::kOk);
  EXPECT_EQ(b.keys.accept(for_b), RoomError::kStale);  // replay
  EXPECT_EQ(c.keys.accept(for_b), RoomError::kNotForUs);
  auto for_c = a.keys.add_member(c.public_part(), 0);
  Member stranger(9);
  stranger.keys.add_member(a.public_part(), 0);
  EXPECT_EQ(b.keys.accept(stranger.keys.add_member(b.public_part(), 0)), RoomError::kUnknownMember);
  auto tampered = for_c;
  tampered[70] ^= 1;  // inside the sealed key
  EXPECT_EQ(c.keys.accept(tampered), RoomError::kBadSignature);
  for_c.pop_back();
  EXPECT_EQ(c.keys.accept(for_c), RoomError::kMalformed);
  Identity other_room_owner = Identity::generate();
  RoomKeys elsewhere(a.identity, 1, hash_room_name("elsewhere"));
  EXPECT_EQ(c.keys.accept(elsewhere.add_member(c.public_part(), 0)), RoomError::kWrongRoom);
}

}  // namespace
}  // namespace wzp::crypto
