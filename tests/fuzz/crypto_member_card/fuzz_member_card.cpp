// Member cards and sender key messages arrive from other room members
// through the relay: the card parser and the membership state machine that
// dispatches room signals must refuse anything malformed without harm.
#include <cstddef>
#include <cstdint>

#include "libwzp/crypto/member_card.hpp"
#include "libwzp/crypto/room_membership.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::crypto;
  static const Identity me = Identity::from_seed(Seed{1});
  static const Identity member = Identity::from_seed(Seed{2});
  static const std::string room = hash_room_name("fuzz");
  static RoomMembership *membership = [] {
    auto *m = new RoomMembership(me, room, 1);
    m->on_event(me.fingerprint(), true, me.signing_public_key());
    m->on_event(member.fingerprint(), true, member.signing_public_key());
    m->on_signal(member.fingerprint(), make_member_card(member, room_id_of(room), 1));
    return m;
  }();
  std::span<const uint8_t> input(data, size);
  MemberCard card;
  open_member_card(input, room_id_of(room), member.signing_public_key(), member.fingerprint(),
                   card);
  membership->on_signal(member.fingerprint(), input);
  return 0;
}
