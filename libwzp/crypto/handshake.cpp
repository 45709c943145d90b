#include "libwzp/crypto/handshake.hpp"

#include <sodium.h>

#include <algorithm>

#include "libwzp/base/bytes.hpp"
#include "libwzp/crypto/hkdf.hpp"

namespace wzp::crypto {
namespace {

constexpr uint8_t kMagic[3] = {'W', 'Z', 'H'};
constexpr char kSignatureContext[] = "wzp-handshake-v1";

class Writer {
 public:
  explicit Writer(std::vector<uint8_t> &out) : out_(out) { out_.clear(); }
  void bytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void u8(uint8_t v) { out_.push_back(v); }
  void u64(uint64_t v) {
    uint8_t b[8];
    base::put_u64(b, v);
    bytes(b);
  }
  void list(const std::vector<uint8_t> &items) {
    u8(static_cast<uint8_t>(items.size()));
    bytes(items);
  }

 private:
  std::vector<uint8_t> &out_;
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}
  bool ok() const { return ok_; }
  size_t position() const { return pos_; }
  bool at_end() const { return pos_ == in_.size(); }
  template <size_t N>
  void bytes(std::array<uint8_t, N> &out) {
    if (!take(N)) return;
    std::copy_n(in_.data() + pos_ - N, N, out.begin());
  }
  uint8_t u8() { return take(1) ? in_[pos_ - 1] : 0; }
  uint64_t u64() { return take(8) ? base::get_u64(in_.data() + pos_ - 8) : 0; }
  void list(std::vector<uint8_t> &out) {
    uint8_t n = u8();
    if (n > kMaxListSize) ok_ = false;
    if (!ok_ || !take(n)) return;
    out.assign(in_.data() + pos_ - n, in_.data() + pos_);
  }

 private:
  bool take(size_t n) {
    if (!ok_ || in_.size() - pos_ < n) return ok_ = false;
    pos_ += n;
    return true;
  }
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

std::vector<uint8_t> signed_message(std::span<const uint8_t> signed_part) {
  std::vector<uint8_t> message(kSignatureContext, kSignatureContext + sizeof kSignatureContext - 1);
  message.insert(message.end(), signed_part.begin(), signed_part.end());
  return message;
}

bool signature_ok(const HandshakeMessage &m) {
  return verify_signature(m.sender, signed_message(m.signed_part), m.signature);
}

void append_signature(const Identity &me, std::vector<uint8_t> &message) {
  Signature signature = me.sign(signed_message(message));
  message.insert(message.end(), signature.begin(), signature.end());
}

// Everything the two sides derive from one handshake (docs/crypto.md).
struct Schedule {
  TrafficSecret caller_to_callee, callee_to_caller;
  Hash confirm_callee, confirm_caller;
  void wipe() { sodium_memzero(this, sizeof *this); }
};

bool derive(std::span<const uint8_t, 32> ephemeral_secret, const EphemeralKey &peer,
            std::span<const uint8_t> offer, std::span<const uint8_t> signed_answer, Schedule &out) {
  uint8_t shared[32];
  if (crypto_scalarmult(shared, ephemeral_secret.data(), peer.data()) != 0) return false;
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(&state, offer.data(), offer.size());
  crypto_hash_sha256_update(&state, signed_answer.data(), signed_answer.size());
  Hash transcript;
  crypto_hash_sha256_final(&state, transcript.data());
  Hash prk = hkdf_extract(transcript, shared);
  sodium_memzero(shared, sizeof shared);
  hkdf_expand(prk, label("wzp call caller to callee"), out.caller_to_callee);
  hkdf_expand(prk, label("wzp call callee to caller"), out.callee_to_caller);
  hkdf_expand(prk, label("wzp confirm callee"), out.confirm_callee);
  hkdf_expand(prk, label("wzp confirm caller"), out.confirm_caller);
  sodium_memzero(prk.data(), prk.size());
  return true;
}

bool contains(const std::vector<uint8_t> &list, uint8_t item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

const char *to_string(HandshakeError error) {
  switch (error) {
    case HandshakeError::kOk:
      return "ok";
    case HandshakeError::kMalformed:
      return "malformed handshake message";
    case HandshakeError::kUnexpectedType:
      return "unexpected handshake message type";
    case HandshakeError::kBadSignature:
      return "handshake signature does not verify";
    case HandshakeError::kWrongPeer:
      return "handshake signed by an unexpected identity";
    case HandshakeError::kNotForUs:
      return "offer is addressed to another identity";
    case HandshakeError::kWrongCall:
      return "answer does not belong to our offer";
    case HandshakeError::kReplay:
      return "replayed offer";
    case HandshakeError::kStale:
      return "offer timestamp outside the allowed clock skew";
    case HandshakeError::kNoCommonVersion:
      return "no common protocol version";
    case HandshakeError::kNoCommonProfile:
      return "no common quality profile";
    case HandshakeError::kDowngrade:
      return "answer chose less than the best common option";
    case HandshakeError::kWeakKey:
      return "ephemeral key of low order";
    case HandshakeError::kConfirmFailed:
      return "key confirmation failed";
    case HandshakeError::kBadState:
      return "handshake message out of order";
  }
  return "unknown";
}

HandshakeError parse_handshake(std::span<const uint8_t> bytes, HandshakeMessage &out) {
  if (bytes.size() < 4 || !std::equal(kMagic, kMagic + 3, bytes.begin())) {
    return HandshakeError::kMalformed;
  }
  uint8_t type = bytes[3];
  if (type < 1 || type > 3) return HandshakeError::kMalformed;
  out = HandshakeMessage{};
  out.type = static_cast<HandshakeType>(type);
  Reader r(bytes.subspan(4));
  r.bytes(out.call_id);
  if (out.type == HandshakeType::kConfirm) {
    r.bytes(out.confirm);
    return r.ok() && r.at_end() ? HandshakeError::kOk : HandshakeError::kMalformed;
  }
  out.timestamp_ms = r.u64();
  r.bytes(out.sender);
  if (out.type == HandshakeType::kOffer) r.bytes(out.recipient);
  if (out.type == HandshakeType::kAnswer) r.bytes(out.offer_hash);
  r.bytes(out.ephemeral);
  r.list(out.offerings.versions);
  r.list(out.offerings.codecs);
  r.list(out.offerings.profiles);
  if (out.type == HandshakeType::kAnswer) {
    out.chosen_version = r.u8();
    out.chosen_profile = r.u8();
  }
  out.signed_part = bytes.first(std::min(bytes.size(), 4 + r.position()));
  r.bytes(out.signature);
  if (out.type == HandshakeType::kAnswer) r.bytes(out.confirm);
  return r.ok() && r.at_end() ? HandshakeError::kOk : HandshakeError::kMalformed;
}

HandshakeError negotiate(const Offerings &caller, const Offerings &callee, Negotiated &out) {
  out = Negotiated{};
  bool found = false;
  for (uint8_t v : caller.versions) {
    if (contains(callee.versions, v) && (!found || v > out.version)) {
      out.version = v;
      found = true;
    }
  }
  if (!found) return HandshakeError::kNoCommonVersion;
  auto profile = std::find_if(caller.profiles.begin(), caller.profiles.end(),
                              [&](uint8_t p) { return contains(callee.profiles, p); });
  if (profile == caller.profiles.end()) return HandshakeError::kNoCommonProfile;
  out.profile = *profile;
  for (uint8_t c : caller.codecs) {
    if (contains(callee.codecs, c)) out.codecs.push_back(c);
  }
  return HandshakeError::kOk;
}

void CallKeys::wipe() {
  sodium_memzero(send.data(), send.size());
  sodium_memzero(receive.data(), receive.size());
}

std::shared_ptr<MediaSession> make_call_session(const CallKeys &keys, SendConfig send_config,
                                                ReceiveConfig receive_config) {
  auto session = std::make_shared<MediaSession>(receive_config);
  session->sender = std::make_unique<MediaSender>(keys.send, 0, send_config);
  session->receiver.add_sender(0, 0, keys.receive);
  return session;
}

ReplayGuard::ReplayGuard(uint64_t max_skew_ms, size_t capacity)
    : max_skew_ms_(max_skew_ms), capacity_(capacity) {}

HandshakeError ReplayGuard::admit(const HandshakeMessage &offer, uint64_t now_ms) {
  uint64_t distance =
      offer.timestamp_ms > now_ms ? offer.timestamp_ms - now_ms : now_ms - offer.timestamp_ms;
  if (distance > max_skew_ms_) return HandshakeError::kStale;
  while (!seen_.empty() && seen_.front().first + 2 * max_skew_ms_ < now_ms) seen_.pop_front();
  Hash id = sha256(offer.signed_part);
  for (const auto &entry : seen_) {
    if (entry.second == id) return HandshakeError::kReplay;
  }
  // Full: refuse rather than forget, or an old offer could come back.
  if (seen_.size() >= capacity_) return HandshakeError::kReplay;
  seen_.emplace_back(now_ms, id);
  return HandshakeError::kOk;
}

HandshakeInitiator::HandshakeInitiator(const Identity &me, const CallId &call_id,
                                       const Fingerprint &callee, Offerings offerings,
                                       uint64_t now_ms)
    : me_(me), call_id_(call_id), callee_(callee), offerings_(std::move(offerings)) {
  EphemeralKey ephemeral;
  crypto_box_keypair(ephemeral.data(), ephemeral_secret_.data());
  Writer w(offer_);
  w.bytes(kMagic);
  w.u8(static_cast<uint8_t>(HandshakeType::kOffer));
  w.bytes(call_id_);
  w.u64(now_ms);
  w.bytes(me_.signing_public_key());
  w.bytes(callee_);
  w.bytes(ephemeral);
  w.list(offerings_.versions);
  w.list(offerings_.codecs);
  w.list(offerings_.profiles);
  append_signature(me_, offer_);
}

HandshakeInitiator::~HandshakeInitiator() {
  sodium_memzero(ephemeral_secret_.data(), ephemeral_secret_.size());
}

HandshakeError HandshakeInitiator::on_answer(std::span<const uint8_t> answer,
                                             std::vector<uint8_t> &confirm, CallKeys &keys) {
  if (done_) return HandshakeError::kBadState;
  HandshakeMessage m;
  if (auto error = parse_handshake(answer, m); error != HandshakeError::kOk) return error;
  if (m.type != HandshakeType::kAnswer) return HandshakeError::kUnexpectedType;
  if (m.call_id != call_id_ || m.offer_hash != sha256(offer_)) return HandshakeError::kWrongCall;
  if (!signature_ok(m)) return HandshakeError::kBadSignature;
  if (fingerprint_of(m.sender) != callee_) return HandshakeError::kWrongPeer;
  Negotiated negotiated;
  if (auto error = negotiate(offerings_, m.offerings, negotiated); error != HandshakeError::kOk) {
    return error;
  }
  if (m.chosen_version != negotiated.version || m.chosen_profile != negotiated.profile) {
    return HandshakeError::kDowngrade;
  }
  Schedule schedule;
  std::span<const uint8_t> signed_answer = answer.first(m.signed_part.size() + sizeof(Signature));
  if (!derive(ephemeral_secret_, m.ephemeral, offer_, signed_answer, schedule)) {
    return HandshakeError::kWeakKey;
  }
  if (sodium_memcmp(schedule.confirm_callee.data(), m.confirm.data(), kHashSize) != 0) {
    schedule.wipe();
    return HandshakeError::kConfirmFailed;
  }
  keys.send = schedule.caller_to_callee;
  keys.receive = schedule.callee_to_caller;
  keys.negotiated = std::move(negotiated);
  keys.peer = callee_;
  Writer w(confirm);
  w.bytes(kMagic);
  w.u8(static_cast<uint8_t>(HandshakeType::kConfirm));
  w.bytes(call_id_);
  w.bytes(schedule.confirm_caller);
  schedule.wipe();
  sodium_memzero(ephemeral_secret_.data(), ephemeral_secret_.size());
  done_ = true;
  return HandshakeError::kOk;
}

HandshakeResponder::HandshakeResponder(const Identity &me, Offerings offerings, ReplayGuard &guard)
    : me_(me), offerings_(std::move(offerings)), guard_(guard) {}

HandshakeResponder::~HandshakeResponder() {
  pending_.wipe();
  sodium_memzero(expected_confirm_.data(), expected_confirm_.size());
}

HandshakeError HandshakeResponder::on_offer(std::span<const uint8_t> offer, uint64_t now_ms,
                                            const Fingerprint *expected_caller,
                                            std::vector<uint8_t> &answer) {
  if (state_ != State::kWaitOffer) return HandshakeError::kBadState;
  HandshakeMessage m;
  if (auto error = parse_handshake(offer, m); error != HandshakeError::kOk) return error;
  if (m.type != HandshakeType::kOffer) return HandshakeError::kUnexpectedType;
  if (!signature_ok(m)) return HandshakeError::kBadSignature;
  if (m.recipient != me_.fingerprint()) return HandshakeError::kNotForUs;
  Fingerprint caller = fingerprint_of(m.sender);
  if (expected_caller && caller != *expected_caller) return HandshakeError::kWrongPeer;
  Negotiated negotiated;
  if (auto error = negotiate(m.offerings, offerings_, negotiated); error != HandshakeError::kOk) {
    return error;
  }
  if (auto error = guard_.admit(m, now_ms); error != HandshakeError::kOk) return error;

  std::array<uint8_t, 32> ephemeral_secret;
  EphemeralKey ephemeral;
  crypto_box_keypair(ephemeral.data(), ephemeral_secret.data());
  Writer w(answer);
  w.bytes(kMagic);
  w.u8(static_cast<uint8_t>(HandshakeType::kAnswer));
  w.bytes(m.call_id);
  w.u64(now_ms);
  w.bytes(me_.signing_public_key());
  w.bytes(sha256(offer));
  w.bytes(ephemeral);
  w.list(offerings_.versions);
  w.list(offerings_.codecs);
  w.list(offerings_.profiles);
  w.u8(negotiated.version);
  w.u8(negotiated.profile);
  append_signature(me_, answer);
  Schedule schedule;
  bool ok = derive(ephemeral_secret, m.ephemeral, offer, answer, schedule);
  sodium_memzero(ephemeral_secret.data(), ephemeral_secret.size());
  if (!ok) {
    answer.clear();
    return HandshakeError::kWeakKey;
  }
  answer.insert(answer.end(), schedule.confirm_callee.begin(), schedule.confirm_callee.end());
  pending_.send = schedule.callee_to_caller;
  pending_.receive = schedule.caller_to_callee;
  pending_.negotiated = std::move(negotiated);
  pending_.peer = caller;
  expected_confirm_ = schedule.confirm_caller;
  call_id_ = m.call_id;
  schedule.wipe();
  state_ = State::kWaitConfirm;
  return HandshakeError::kOk;
}

HandshakeError HandshakeResponder::on_confirm(std::span<const uint8_t> confirm, CallKeys &keys) {
  if (state_ != State::kWaitConfirm) return HandshakeError::kBadState;
  HandshakeMessage m;
  if (auto error = parse_handshake(confirm, m); error != HandshakeError::kOk) return error;
  if (m.type != HandshakeType::kConfirm) return HandshakeError::kUnexpectedType;
  if (m.call_id != call_id_) return HandshakeError::kWrongCall;
  if (sodium_memcmp(expected_confirm_.data(), m.confirm.data(), kHashSize) != 0) {
    return HandshakeError::kConfirmFailed;
  }
  keys = pending_;
  pending_.wipe();
  state_ = State::kDone;
  return HandshakeError::kOk;
}

}  // namespace wzp::crypto
