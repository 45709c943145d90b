#include "tests/fuzz/crypto_seeds/crypto_seeds.hpp"

#include "libwzp/crypto/handshake.hpp"
#include "libwzp/crypto/identity_file.hpp"
#include "libwzp/crypto/member_card.hpp"
#include "libwzp/crypto/padding.hpp"
#include "libwzp/crypto/room.hpp"
#include "libwzp/crypto/room_membership.hpp"
#include "libwzp/crypto/session.hpp"
#include "libwzp/wire/header.hpp"
#include "tests/fuzz/crypto_parties.hpp"

namespace wzp::fuzz {
namespace {

using namespace wzp::crypto;

const Identity &caller() {
  static const Identity identity = Identity::from_seed(Seed{9});
  return identity;
}

RoomMember as_member(const Identity &identity, uint32_t sender_id) {
  return {identity.signing_public_key(), identity.agreement_public_key(), sender_id};
}

// An offer to the callee, its answer and the confirmation that completes it.
void add_handshake(std::vector<CorpusSeed> &out, const std::string &suffix, Offerings offerings) {
  HandshakeInitiator initiator(caller(), CallId{static_cast<uint8_t>(suffix.size())},
                               callee().fingerprint(), std::move(offerings), kHandshakeNowMs);
  ReplayGuard guard;
  HandshakeResponder responder(callee(), callee_offerings(), guard);
  std::vector<uint8_t> answer, confirm;
  CallKeys keys;
  responder.on_offer(initiator.offer(), kHandshakeNowMs, nullptr, answer);
  initiator.on_answer(answer, confirm, keys);
  out.push_back({"crypto_handshake", "offer" + suffix, initiator.offer()});
  out.push_back({"crypto_handshake", "answer" + suffix, answer});
  out.push_back({"crypto_handshake", "confirm" + suffix, confirm});
}

// A sealed media packet from the receiver's one sender; with a size class,
// padded to it as wzpencrypt's `padding` does.
std::vector<uint8_t> sealed_packet(MediaSender &sender, uint32_t stream, uint32_t sequence,
                                   size_t payload_size, bool with_report, size_t size_class = 0) {
  wire::MediaHeader header;
  header.codec = wire::codec::kOpus;
  header.stream_id = stream;
  header.sequence = sequence;
  header.timestamp = sequence * 960;
  const wire::QualityReport report = wire::QualityReport::from(0.05, 80, 10, 24);
  const size_t header_size = wire::full_header_size(with_report);
  const size_t plaintext_size =
      padded_payload_size(header_size, payload_size, size_class, wire::kMaxPacketSize)
          .value_or(payload_size);
  std::vector<uint8_t> bytes(header_size + plaintext_size + kTagSize);
  wire::write_full(header, with_report ? &report : nullptr, bytes);
  for (size_t i = 0; i < payload_size; ++i) bytes[header_size + i] = static_cast<uint8_t>(i * 7);
  std::span<uint8_t> plaintext(bytes.data() + header_size, plaintext_size);
  if (plaintext_size != payload_size) {
    wire::set_padded(bytes, true);
    pad(plaintext, payload_size);
  }
  const SealResult sealed =
      sender.seal(stream, sequence, 0, &bytes[3], 0, {bytes.data(), header_size}, plaintext,
                  bytes.data() + bytes.size() - kTagSize);
  if (sealed.status != SealStatus::kOk) bytes.clear();  // refused by every check
  return bytes;
}

// RoomMembership as fuzz_member_card sets it up.
std::unique_ptr<RoomMembership> member_card_target() {
  const Identity &me = room_me(), &member = room_member();
  auto membership = std::make_unique<RoomMembership>(me, room(), kRoomMeCardIssuedMs);
  membership->on_event(me.fingerprint(), true, me.signing_public_key());
  membership->on_event(member.fingerprint(), true, member.signing_public_key());
  membership->on_signal(member.fingerprint(), make_member_card(member, room(), 1));
  return membership;
}

}  // namespace

std::vector<std::string> crypto_seed_targets() {
  return {"crypto_handshake", "crypto_identity_file", "crypto_member_card", "crypto_packet",
          "crypto_room"};
}

std::vector<CorpusSeed> make_crypto_seeds() {
  std::vector<CorpusSeed> out;
  add_handshake(out, "", callee_offerings());
  add_handshake(out, "_several_choices", {{3, 1}, {2, 1, 5}, {4, 0}});

  std::vector<uint8_t> identity(kIdentityFileSize);
  seal_identity(Seed{5}, "fuzz", KdfParams{.opslimit = 1, .memlimit_kib = 8},
                std::span<uint8_t, kIdentityFileSize>(identity));
  out.push_back({"crypto_identity_file", "minimal_kdf", identity});

  // The member's card and its key message to us, as fuzz_member_card's room
  // knows them (sender ids derived from the fingerprints).
  const Identity &me = room_me(), &member = room_member();
  out.push_back({"crypto_member_card", "card", make_member_card(member, room(), 2)});
  RoomKeys member_keys(member, sender_id_of(member.fingerprint()), room_hash());
  out.push_back({"crypto_member_card", "sender_key",
                 member_keys.add_member(as_member(me, sender_id_of(me.fingerprint())), 0)});

  // Key messages to us as fuzz_room's RoomKeys knows the member: one on the
  // join, one at a later epoch after a third member joined.
  RoomKeys room_keys(member, kRoomMemberSenderId, room_hash());
  out.push_back(
      {"crypto_room", "key_message", room_keys.add_member(as_member(me, kRoomMeSenderId), 0)});
  room_keys.add_member(as_member(caller(), 3), 0);
  out.push_back(
      {"crypto_room", "key_message_later_epoch", *room_keys.key_message(me.fingerprint())});

  MediaSender sender(kPacketSecret);
  out.push_back({"crypto_packet", "sealed_1", sealed_packet(sender, 0, 1, 40, false)});
  out.push_back({"crypto_packet", "sealed_2", sealed_packet(sender, 0, 2, 160, true)});
  // Sequence 2^32 - 1 is the first packet of its own stream: after 2 on the
  // same stream it would not be newer, and the sender would refuse it.
  out.push_back(
      {"crypto_packet", "sealed_4294967295", sealed_packet(sender, 1, 4294967295u, 0, false)});
  out.push_back({"crypto_packet", "sealed_other_stream", sealed_packet(sender, 9, 5, 1200, true)});
  out.push_back({"crypto_packet", "sealed_padded_3", sealed_packet(sender, 0, 3, 40, true, 64)});
  return out;
}

bool passes_first_check(const std::string &target, const std::string &name,
                        std::span<const uint8_t> bytes, std::string &why) {
  if (target == "crypto_handshake") {
    HandshakeMessage message;
    HandshakeError error = parse_handshake(bytes, message);
    if (error == HandshakeError::kOk && message.type == HandshakeType::kOffer) {
      // An offer must also be one the fuzzer's responder answers.
      ReplayGuard guard;
      HandshakeResponder responder(callee(), callee_offerings(), guard);
      std::vector<uint8_t> answer;
      error = responder.on_offer(bytes, kHandshakeNowMs, nullptr, answer);
    }
    why = to_string(error);
    return error == HandshakeError::kOk;
  }
  if (target == "crypto_identity_file") {
    IdentityFileHeader header;
    const IdentityFileError error = parse_identity_header(bytes, header);
    why = to_string(error);
    return error == IdentityFileError::kOk;
  }
  if (target == "crypto_member_card") {
    if (room_payload_kind(bytes) == RoomPayload::kMemberCard) {
      MemberCard card;
      const RoomError error = open_member_card(bytes, room(), room_member().signing_public_key(),
                                               room_member().fingerprint(), card);
      why = to_string(error);
      return error == RoomError::kOk;
    }
    const MembershipStep step = member_card_target()->on_signal(room_member().fingerprint(), bytes);
    why = step.refused == RoomError::kOk && step.readable.empty() ? "accepted but not readable"
                                                                  : to_string(step.refused);
    return step.refused == RoomError::kOk && !step.readable.empty();
  }
  if (target == "crypto_room") {
    RoomKeys keys(room_me(), kRoomMeSenderId, room_hash());
    keys.add_member(as_member(room_member(), kRoomMemberSenderId), 0);
    const RoomError error = keys.accept(bytes);
    why = to_string(error);
    return error == RoomError::kOk;
  }
  if (target == "crypto_packet") {
    MediaReceiver receiver(kPacketReceiveConfig);
    receiver.add_sender(0, 0, kPacketSecret);
    std::vector<uint8_t> buffer(bytes.begin(), bytes.end());
    wire::PacketView view;
    if (buffer.size() < kTagSize ||
        wire::parse_full({buffer.data(), buffer.size() - kTagSize}, view) != wire::WireError::kOk) {
      why = "not a media packet";
      return false;
    }
    const size_t header_size = view.header_bytes.size();
    std::span<uint8_t> payload(buffer.data() + header_size, buffer.size() - header_size - kTagSize);
    const OpenResult result = receiver.open(view.header.stream_id, view.header.sequence,
                                            view.header.key_epoch, buffer.size(), view.header_bytes,
                                            payload, buffer.data() + buffer.size() - kTagSize);
    why = to_string(result.status);
    if (result.status == OpenStatus::kOk && view.header.padded && !unpadded_size(payload)) {
      why = "malformed padding";
      return false;
    }
    return result.status == OpenStatus::kOk;
  }
  why = "no first check known for " + target + " (" + name + ")";
  return false;
}

}  // namespace wzp::fuzz
