// Sender key messages arrive from other room members through the relay.
#include <cstddef>
#include <cstdint>

#include "libwzp/crypto/room.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::crypto;
  static const Identity me = Identity::from_seed(Seed{1});
  static const Identity member = Identity::from_seed(Seed{2});
  static const std::string room = hash_room_name("fuzz");
  static RoomKeys *keys = [] {
    auto *k = new RoomKeys(me, 1, room);
    k->add_member({member.signing_public_key(), member.agreement_public_key(), 2}, 0);
    return k;
  }();
  keys->accept({data, size});
  return 0;
}
