// Member cards and sender key messages arrive from other room members
// through the relay: the card parser and the membership state machine that
// dispatches room signals must refuse anything malformed without harm.
#include <cstddef>
#include <cstdint>

#include "libwzp/crypto/member_card.hpp"
#include "libwzp/crypto/room_membership.hpp"
#include "tests/fuzz/crypto_parties.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::crypto;
  const Identity &me = wzp::fuzz::room_me();
  const Identity &member = wzp::fuzz::room_member();
  const RoomAccess &room = wzp::fuzz::room();
  static RoomMembership *membership = [&] {
    auto *m = new RoomMembership(me, room, wzp::fuzz::kRoomMeCardIssuedMs);
    m->on_event(me.fingerprint(), true, me.signing_public_key());
    m->on_event(member.fingerprint(), true, member.signing_public_key());
    m->on_signal(member.fingerprint(), make_member_card(member, room, 1));
    return m;
  }();
  std::span<const uint8_t> input(data, size);
  MemberCard card;
  open_member_card(input, room, member.signing_public_key(), member.fingerprint(), card);
  membership->on_signal(member.fingerprint(), input);
  return 0;
}
