// The fixed parties the crypto fuzz targets talk as. The seed generator
// (tests/fuzz/crypto_seeds) signs and seals its seeds as the same parties, so
// the seeds pass signature and tag checks and fuzzing starts past them.
#pragma once

#include <cstdint>
#include <string>

#include "libwzp/crypto/handshake.hpp"
#include "libwzp/crypto/identity.hpp"
#include "libwzp/crypto/media.hpp"
#include "libwzp/crypto/room_access.hpp"
#include "libwzp/crypto/session.hpp"

namespace wzp::fuzz {

// crypto_handshake: the responder that receives offers, at clock 0.
inline const crypto::Identity &callee() {
  static const crypto::Identity identity = crypto::Identity::from_seed(crypto::Seed{7});
  return identity;
}
inline crypto::Offerings callee_offerings() { return {{1}, {1}, {0}}; }
inline constexpr uint64_t kHandshakeNowMs = 0;

// crypto_room and crypto_member_card: we are `room_me`, and `room_member` is
// the other member whose cards and key messages arrive.
inline const crypto::Identity &room_me() {
  static const crypto::Identity identity = crypto::Identity::from_seed(crypto::Seed{1});
  return identity;
}
inline const crypto::Identity &room_member() {
  static const crypto::Identity identity = crypto::Identity::from_seed(crypto::Seed{2});
  return identity;
}
// The room both are in, from a fixed invite so seeds stay valid.
inline const crypto::RoomAccess &room() {
  static const crypto::RoomAccess access =
      crypto::room_access(crypto::RoomInvite{"fuzz", crypto::RoomSecret{4}});
  return access;
}
inline const std::string &room_hash() {
  static const std::string hash = room().hex_id();
  return hash;
}
inline constexpr uint32_t kRoomMeSenderId = 1;
inline constexpr uint32_t kRoomMemberSenderId = 2;
inline constexpr uint64_t kRoomMeCardIssuedMs = 1;

// crypto_packet: the one sender (id 0, epoch 0) the receiver knows.
inline constexpr crypto::TrafficSecret kPacketSecret{3};
inline constexpr crypto::ReceiveConfig kPacketReceiveConfig{
    .replay_window = 128, .max_streams = 4, .max_senders = 2};

}  // namespace wzp::fuzz
