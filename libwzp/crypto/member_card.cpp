#include "libwzp/crypto/member_card.hpp"

#include <algorithm>

#include "libwzp/base/bytes.hpp"

namespace wzp::crypto {
namespace {

constexpr uint8_t kCardMagic[4] = {'W', 'Z', 'C', 2};
constexpr uint8_t kCardV1Magic[4] = {'W', 'Z', 'C', 1};
constexpr size_t kSignedSize = kMemberCardSize - 64;
// Offsets of the fields.
constexpr size_t kRoomAt = 4, kSigningAt = 20, kAgreementAt = 52, kSenderIdAt = 84, kIssuedAt = 88,
                 kProofAt = 96;
static_assert(kProofAt + kRoomProofSize == kSignedSize);

using base::get_be;
using base::put_be;

}  // namespace

uint32_t sender_id_of(const Fingerprint &fingerprint) {
  auto id = static_cast<uint32_t>(get_be(fingerprint.data(), 4));
  return id == 0 ? 1 : id;
}

std::vector<uint8_t> make_member_card(const Identity &me, const RoomAccess &room,
                                      uint64_t issued_ms) {
  std::vector<uint8_t> out(kMemberCardSize);
  uint8_t *p = out.data();
  std::copy(kCardMagic, kCardMagic + 4, p);
  std::copy(room.id.begin(), room.id.end(), p + kRoomAt);
  std::copy(me.signing_public_key().begin(), me.signing_public_key().end(), p + kSigningAt);
  std::copy(me.agreement_public_key().begin(), me.agreement_public_key().end(), p + kAgreementAt);
  put_be(p + kSenderIdAt, sender_id_of(me.fingerprint()), 4);
  put_be(p + kIssuedAt, issued_ms, 8);
  auto proof = room_proof(room, std::span(out).first(kProofAt));
  std::copy(proof.begin(), proof.end(), p + kProofAt);
  Signature signature = me.sign(std::span(out).first(kSignedSize));
  std::copy(signature.begin(), signature.end(), p + kSignedSize);
  return out;
}

RoomError open_member_card(std::span<const uint8_t> bytes, const RoomAccess &room,
                           const SigningPublicKey &announced_key,
                           const Fingerprint &announced_fingerprint, MemberCard &card) {
  if (room_payload_kind(bytes) != RoomPayload::kMemberCard) return RoomError::kMalformed;
  if (bytes.size() == kMemberCardV1Size) return RoomError::kNoRoomProof;
  const uint8_t *p = bytes.data();
  if (!std::equal(room.id.begin(), room.id.end(), p + kRoomAt)) return RoomError::kWrongRoom;
  SigningPublicKey signing_key;
  std::copy_n(p + kSigningAt, signing_key.size(), signing_key.begin());
  if (signing_key != announced_key || fingerprint_of(signing_key) != announced_fingerprint) {
    return RoomError::kKeyMismatch;
  }
  Signature signature;
  std::copy_n(p + kSignedSize, signature.size(), signature.begin());
  if (!verify_signature(signing_key, bytes.first(kSignedSize), signature)) {
    return RoomError::kBadSignature;
  }
  auto sender_id = static_cast<uint32_t>(get_be(p + kSenderIdAt, 4));
  if (sender_id != sender_id_of(announced_fingerprint)) return RoomError::kMalformed;
  // Signed, so the member made it; only a member who holds the room secret
  // can have made the proof.
  if (!verify_room_proof(room, bytes.first(kProofAt),
                         bytes.subspan(kProofAt).first<kRoomProofSize>())) {
    return RoomError::kNoRoomProof;
  }
  card.room_id = room.id;
  card.member.signing_key = signing_key;
  std::copy_n(p + kAgreementAt, card.member.agreement_key.size(),
              card.member.agreement_key.begin());
  card.member.sender_id = sender_id;
  card.issued_ms = get_be(p + kIssuedAt, 8);
  return RoomError::kOk;
}

RoomPayload room_payload_kind(std::span<const uint8_t> payload) {
  if (payload.size() == kMemberCardSize &&
      std::equal(kCardMagic, kCardMagic + 4, payload.begin())) {
    return RoomPayload::kMemberCard;
  }
  if (payload.size() == kMemberCardV1Size &&
      std::equal(kCardV1Magic, kCardV1Magic + 4, payload.begin())) {
    return RoomPayload::kMemberCard;
  }
  if (payload.size() == kSenderKeyMessageSize &&
      std::equal(kSenderKeyMagic.begin(), kSenderKeyMagic.end(), payload.begin())) {
    return RoomPayload::kSenderKey;
  }
  return RoomPayload::kUnknown;
}

}  // namespace wzp::crypto
