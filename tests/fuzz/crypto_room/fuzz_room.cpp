// Sender key messages arrive from other room members through the relay.
#include <cstddef>
#include <cstdint>

#include "libwzp/crypto/room.hpp"
#include "tests/fuzz/crypto_parties.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::crypto;
  static RoomKeys *keys = [] {
    const Identity &member = wzp::fuzz::room_member();
    auto *k =
        new RoomKeys(wzp::fuzz::room_me(), wzp::fuzz::kRoomMeSenderId, wzp::fuzz::room_hash());
    k->add_member({member.signing_public_key(), member.agreement_public_key(),
                   wzp::fuzz::kRoomMemberSenderId},
                  0);
    return k;
  }();
  keys->accept({data, size});
  return 0;
}
