#include "libwzp/crypto/room.hpp"

#include <sodium.h>

#include <algorithm>

#include "libwzp/base/bytes.hpp"
#include "libwzp/base/hex.hpp"
#include "libwzp/crypto/hkdf.hpp"

namespace wzp::crypto {
namespace {

constexpr size_t kSealedSize = kSecretSize + crypto_box_SEALBYTES;
constexpr size_t kSignedSize = kSenderKeyMessageSize - 64;
static_assert(kSealedSize == 80);

using base::get_u32;
using base::put_u32;

}  // namespace

RoomId room_id_of(std::string_view room_hash) {
  RoomId id{};
  if (!base::from_hex(room_hash, id)) {
    Hash h = sha256(label(room_hash));
    std::copy_n(h.begin(), id.size(), id.begin());
  }
  return id;
}

Fingerprint key_message_sender(std::span<const uint8_t> message) {
  Fingerprint sender;
  std::copy_n(message.begin() + 20, sender.size(), sender.begin());
  return sender;
}

Fingerprint key_message_recipient(std::span<const uint8_t> message) {
  Fingerprint recipient;
  std::copy_n(message.begin() + 36, recipient.size(), recipient.begin());
  return recipient;
}

const char *to_string(RoomError error) {
  switch (error) {
    case RoomError::kOk:
      return "ok";
    case RoomError::kMalformed:
      return "malformed sender key message";
    case RoomError::kWrongRoom:
      return "sender key message for another room";
    case RoomError::kNotForUs:
      return "sender key message addressed to another member";
    case RoomError::kUnknownMember:
      return "sender key message from a non-member";
    case RoomError::kBadSignature:
      return "sender key message signature does not verify";
    case RoomError::kCannotOpen:
      return "sender key does not open with our key";
    case RoomError::kStale:
      return "sender key epoch already superseded (replay?)";
    case RoomError::kKeyMismatch:
      return "member card key does not match the key the relay announced";
    case RoomError::kSenderIdTaken:
      return "member card sender id already held by another member";
    case RoomError::kNoRoomProof:
      return "member card does not prove the room secret";
  }
  return "unknown";
}

RoomKeys::RoomKeys(const Identity &me, uint32_t my_sender_id, std::string_view room_hash,
                   SendConfig send_config, ReceiveConfig receive_config)
    : me_(me), my_sender_id_(my_sender_id) {
  room_id_ = room_id_of(room_hash);
  TrafficSecret secret;
  randombytes_buf(secret.data(), secret.size());
  session_ = std::make_shared<MediaSession>(receive_config);
  session_->sender = std::make_unique<MediaSender>(secret, 0, send_config);
  sodium_memzero(secret.data(), secret.size());
}

std::vector<uint8_t> RoomKeys::key_message_for(const RoomMember &member) const {
  auto [epoch, secret] = session_->sender->current_secret();
  std::vector<uint8_t> out(kSenderKeyMessageSize);
  uint8_t *p = out.data();
  std::copy(kSenderKeyMagic.begin(), kSenderKeyMagic.end(), p);
  std::copy(room_id_.begin(), room_id_.end(), p + 4);
  std::copy(me_.fingerprint().begin(), me_.fingerprint().end(), p + 20);
  Fingerprint recipient = member.fingerprint();
  std::copy(recipient.begin(), recipient.end(), p + 36);
  put_u32(p + 52, my_sender_id_);
  put_u32(p + 56, epoch);
  crypto_box_seal(p + 60, secret.data(), secret.size(), member.agreement_key.data());
  sodium_memzero(secret.data(), secret.size());
  Signature signature = me_.sign(std::span(out).first(kSignedSize));
  std::copy(signature.begin(), signature.end(), p + kSignedSize);
  return out;
}

std::vector<uint8_t> RoomKeys::add_member(const RoomMember &member, uint64_t now_ns, bool ratchet) {
  Fingerprint fingerprint = member.fingerprint();
  std::erase_if(members_, [&](const RoomMember &m) { return m.fingerprint() == fingerprint; });
  members_.push_back(member);
  if (ratchet) session_->sender->rekey_now(now_ns);
  return key_message_for(member);
}

std::vector<std::vector<uint8_t>> RoomKeys::remove_member(const Fingerprint &member) {
  for (const auto &m : members_) {
    if (m.fingerprint() == member) session_->receiver.remove_sender(m.sender_id);
  }
  std::erase_if(members_, [&](const RoomMember &m) { return m.fingerprint() == member; });
  TrafficSecret fresh;
  randombytes_buf(fresh.data(), fresh.size());
  session_->sender->install(session_->sender->epoch() + 1, fresh);
  sodium_memzero(fresh.data(), fresh.size());
  std::vector<std::vector<uint8_t>> messages;
  for (const auto &m : members_) messages.push_back(key_message_for(m));
  return messages;
}

std::optional<std::vector<uint8_t>> RoomKeys::key_message(const Fingerprint &member) const {
  for (const auto &m : members_) {
    if (m.fingerprint() == member) return key_message_for(m);
  }
  return std::nullopt;
}

RoomError RoomKeys::accept(std::span<const uint8_t> message) {
  if (message.size() != kSenderKeyMessageSize ||
      !std::equal(kSenderKeyMagic.begin(), kSenderKeyMagic.end(), message.begin())) {
    return RoomError::kMalformed;
  }
  const uint8_t *p = message.data();
  if (!std::equal(room_id_.begin(), room_id_.end(), p + 4)) return RoomError::kWrongRoom;
  if (!std::equal(me_.fingerprint().begin(), me_.fingerprint().end(), p + 36)) {
    return RoomError::kNotForUs;
  }
  auto sender = std::find_if(members_.begin(), members_.end(), [&](const RoomMember &m) {
    Fingerprint f = m.fingerprint();
    return std::equal(f.begin(), f.end(), p + 20);
  });
  if (sender == members_.end()) return RoomError::kUnknownMember;
  Signature signature;
  std::copy_n(p + kSignedSize, signature.size(), signature.begin());
  if (!verify_signature(sender->signing_key, message.first(kSignedSize), signature)) {
    return RoomError::kBadSignature;
  }
  if (get_u32(p + 52) != sender->sender_id) return RoomError::kUnknownMember;
  uint32_t epoch = get_u32(p + 56);
  TrafficSecret secret;
  if (!me_.open_sealed(message.subspan(60, kSealedSize), secret)) return RoomError::kCannotOpen;
  MediaReceiver &receiver = session_->receiver;
  // First key from this member: start there. Later keys must be newer.
  bool ok = receiver.install_epoch(sender->sender_id, epoch, secret) ||
            (!receiver.has_sender(sender->sender_id) &&
             receiver.add_sender(sender->sender_id, epoch, secret));
  sodium_memzero(secret.data(), secret.size());
  return ok ? RoomError::kOk : RoomError::kStale;
}

}  // namespace wzp::crypto
