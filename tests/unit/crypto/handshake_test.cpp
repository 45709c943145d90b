// The call handshake end to end, and each way it must fail.
#include "libwzp/crypto/handshake.hpp"

#include <gtest/gtest.h>

namespace wzp::crypto {
namespace {

constexpr uint64_t kNow = 1'800'000'000'000;
constexpr size_t kOfferEphemeralOffset = 76;

const Offerings kCallerOffers{{1, 2, 3}, {0x01, 0x10, 0x16}, {2, 1, 0}};
const Offerings kCalleeOffers{{1, 2}, {0x16, 0x01}, {0, 1}};

// Re-signs a tampered message as `signer`, so the test reaches the check
// after the signature. `tail` is what follows the signature (the answer's
// confirmation).
void resign(std::vector<uint8_t> &message, const Identity &signer, size_t tail = 0) {
  size_t signed_size = message.size() - 64 - tail;
  std::vector<uint8_t> to_sign = {'w', 'z', 'p', '-', 'h', 'a', 'n', 'd',
                                  's', 'h', 'a', 'k', 'e', '-', 'v', '1'};
  to_sign.insert(to_sign.end(), message.begin(), message.begin() + signed_size);
  Signature s = signer.sign(to_sign);
  std::copy(s.begin(), s.end(), message.begin() + signed_size);
}

struct Call {
  Identity caller = Identity::generate();
  Identity callee = Identity::generate();
  CallId call_id{1, 2, 3, 4};
  ReplayGuard guard;
};

TEST(Handshake, BothSidesDeriveMatchingKeysAndNegotiate) {
  Call c;
  HandshakeInitiator initiator(c.caller, c.call_id, c.callee.fingerprint(), kCallerOffers, kNow);
  HandshakeResponder responder(c.callee, kCalleeOffers, c.guard);
  std::vector<uint8_t> answer, confirm;
  ASSERT_EQ(responder.on_offer(initiator.offer(), kNow + 500, &c.caller.fingerprint(), answer),
            HandshakeError::kOk);
  CallKeys caller_keys, callee_keys;
  ASSERT_EQ(initiator.on_answer(answer, confirm, caller_keys), HandshakeError::kOk);
  ASSERT_EQ(responder.on_confirm(confirm, callee_keys), HandshakeError::kOk);
  EXPECT_EQ(caller_keys.send, callee_keys.receive);
  EXPECT_EQ(caller_keys.receive, callee_keys.send);
  EXPECT_NE(caller_keys.send, caller_keys.receive);
  EXPECT_EQ(caller_keys.peer, c.callee.fingerprint());
  EXPECT_EQ(callee_keys.peer, c.caller.fingerprint());
  EXPECT_EQ(caller_keys.negotiated.version, 2);
  EXPECT_EQ(caller_keys.negotiated.profile, 1);  // caller's first that the callee has
  EXPECT_EQ(caller_keys.negotiated.codecs, (std::vector<uint8_t>{0x01, 0x16}));
  EXPECT_EQ(callee_keys.negotiated.version, 2);
  EXPECT_EQ(callee_keys.negotiated.profile, 1);

  // Media sealed by one side's session opens in the other's, both ways.
  auto caller_session = make_call_session(caller_keys);
  auto callee_session = make_call_session(callee_keys);
  for (auto [from, to] :
       {std::pair{caller_session, callee_session}, {callee_session, caller_session}}) {
    std::vector<uint8_t> header = {1, 2, 3, 0}, payload = {9, 8, 7}, original = payload;
    uint8_t tag[kTagSize];
    ASSERT_EQ(from->sender->seal(5, 1, 0, &header[3], 0, header, payload, tag).status,
              SealStatus::kOk);
    EXPECT_EQ(to->receiver.open(5, 1, header[3], 0, header, payload, tag).status, OpenStatus::kOk);
    EXPECT_EQ(payload, original);
  }
}

TEST(Handshake, FreshKeysEveryCall) {
  Call c;
  CallKeys first, second;
  for (CallKeys *keys : {&first, &second}) {
    HandshakeInitiator initiator(c.caller, c.call_id, c.callee.fingerprint(), kCallerOffers, kNow);
    ReplayGuard guard;
    HandshakeResponder responder(c.callee, kCalleeOffers, guard);
    std::vector<uint8_t> answer, confirm;
    ASSERT_EQ(responder.on_offer(initiator.offer(), kNow, nullptr, answer), HandshakeError::kOk);
    ASSERT_EQ(initiator.on_answer(answer, confirm, *keys), HandshakeError::kOk);
  }
  EXPECT_NE(first.send, second.send);
}

TEST(Handshake, TamperedOfferFailsTheSignature) {
  Call c;
  HandshakeInitiator initiator(c.caller, c.call_id, c.callee.fingerprint(), kCallerOffers, kNow);
  const auto offer = initiator.offer();
  for (size_t i = 4; i < offer.size(); ++i) {
    auto bad = offer;
    bad[i] ^= 0x01;
    ReplayGuard guard;
    HandshakeResponder responder(c.callee, kCalleeOffers, guard);
    std::vector<uint8_t> answer;
    HandshakeError error = responder.on_offer(bad, kNow, nullptr, answer);
    // Flipping a list length byte makes the message unparseable instead.
    EXPECT_TRUE(error == HandshakeError::kBadSignature || error == HandshakeError::kMalformed)
        << "byte " << i << ": " << to_string(error);
  }
}

TEST(Handshake, StrippingVersionsFromTheOfferIsCaught) {
  // A man in the middle removes version 2 so the call falls to version 1:
  // the offer's signature covers the list, so the callee refuses it.
  Call c;
  HandshakeInitiator initiator(c.caller, c.call_id, c.callee.fingerprint(), kCallerOffers, kNow);
  auto offer = initiator.offer();
  ASSERT_EQ(offer[108], 3);  // version list length
  offer[108] = 1;
  offer.erase(offer.begin() + 110, offer.begin() + 112);
  HandshakeResponder responder(c.callee, kCalleeOffers, c.guard);
  std::vector<uint8_t> answer;
  EXPECT_EQ(responder.on_offer(offer, kNow, nullptr, answer), HandshakeError::kBadSignature);
}

TEST(Handshake, DowngradedAnswerIsRefused) {
  // Even an answer signed by the real callee must pick the best common
  // version and profile.
  Call c;
  HandshakeInitiator initiator(c.caller, c.call_id, c.callee.fingerprint(), kCallerOffers, kNow);
  HandshakeResponder responder(c.callee, kCalleeOffers, c.guard);
  std::vector<uint8_t> answer, confirm;
  ASSERT_EQ(responder.on_offer(initiator.offer(), kNow, nullptr, answer), HandshakeError::kOk);
  size_t version_at = answer.size() - 32 - 64 - 2;
  ASSERT_EQ(answer[version_at], 2);
  answer[version_at] = 1;
  resign(answer, c.callee, 32);
  CallKeys keys;
  EXPECT_EQ(initiator.on_answer(answer, confirm, keys), HandshakeError::kDowngrade);
}

TEST(Handshake, AnswerFromTheWrongIdentityIsRefused) {
  Call c;
  Identity mallory = Identity::generate();
  HandshakeInitiator initiator(c.caller, c.call_id, c.callee.fingerprint(), kCallerOffers, kNow);
  // Mallory intercepts the offer and answers as herself.
  auto offer = initiator.offer();
  HandshakeResponder fake(mallory, kCalleeOffers, c.guard);
  std::vector<uint8_t> answer, confirm;
  EXPECT_EQ(fake.on_offer(offer, kNow, nullptr, answer), HandshakeError::kNotForUs);
  // Re-addressing the offer to herself breaks the caller's signature...
  auto readdressed = offer;
  std::copy(mallory.fingerprint().begin(), mallory.fingerprint().end(), readdressed.begin() + 60);
  EXPECT_EQ(fake.on_offer(readdressed, kNow, nullptr, answer), HandshakeError::kBadSignature);
  // ...and re-signing it as herself makes her the caller, which the callee
  // refuses when signaling told it who is calling.
  std::copy(c.callee.fingerprint().begin(), c.callee.fingerprint().end(), readdressed.begin() + 60);
  std::copy(mallory.signing_public_key().begin(), mallory.signing_public_key().end(),
            readdressed.begin() + 28);
  resign(readdressed, mallory);
  HandshakeResponder responder(c.callee, kCalleeOffers, c.guard);
  EXPECT_EQ(responder.on_offer(readdressed, kNow, &c.caller.fingerprint(), answer),
            HandshakeError::kWrongPeer);
  // An answer signed by Mallory for the genuine offer: wrong peer for the caller.
  ReplayGuard guard;
  HandshakeResponder real(c.callee, kCalleeOffers, guard);
  ASSERT_EQ(real.on_offer(offer, kNow, nullptr, answer), HandshakeError::kOk);
  std::copy(mallory.signing_public_key().begin(), mallory.signing_public_key().end(),
            answer.begin() + 28);
  resign(answer, mallory, 32);
  CallKeys keys;
  EXPECT_EQ(initiator.on_answer(answer, confirm, keys), HandshakeError::kWrongPeer);
}

TEST(Handshake, ReplayedOfferIsRefused) {
  Call c;
  HandshakeInitiator initiator(c.caller, c.call_id, c.callee.fingerprint(), kCallerOffers, kNow);
  std::vector<uint8_t> answer;
  HandshakeResponder first(c.callee, kCalleeOffers, c.guard);
  ASSERT_EQ(first.on_offer(initiator.offer(), kNow, nullptr, answer), HandshakeError::kOk);
  HandshakeResponder second(c.callee, kCalleeOffers, c.guard);
  EXPECT_EQ(second.on_offer(initiator.offer(), kNow + 1000, nullptr, answer),
            HandshakeError::kReplay);
  // Much later the guard has forgotten it, but then it is stale.
  HandshakeResponder later(c.callee, kCalleeOffers, c.guard);
  EXPECT_EQ(later.on_offer(initiator.offer(), kNow + 3'600'000, nullptr, answer),
            HandshakeError::kStale);
}

TEST(Handshake, AnswerForAnotherOfferIsRefused) {
  Call c;
  HandshakeInitiator mine(c.caller, c.call_id, c.callee.fingerprint(), kCallerOffers, kNow);
  HandshakeInitiator other(c.caller, c.call_id, c.callee.fingerprint(), kCallerOffers, kNow);
  HandshakeResponder responder(c.callee, kCalleeOffers, c.guard);
  std::vector<uint8_t> answer, confirm;
  ASSERT_EQ(responder.on_offer(other.offer(), kNow, nullptr, answer), HandshakeError::kOk);
  CallKeys keys;
  EXPECT_EQ(mine.on_answer(answer, confirm, keys), HandshakeError::kWrongCall);
  EXPECT_EQ(other.on_answer(answer, confirm, keys), HandshakeError::kOk);
  EXPECT_EQ(other.on_answer(answer, confirm, keys), HandshakeError::kBadState);
}

TEST(Handshake, NoCommonVersionOrProfile) {
  Call c;
  std::vector<uint8_t> answer;
  HandshakeInitiator v9(c.caller, c.call_id, c.callee.fingerprint(), {{9}, {1}, {0}}, kNow);
  HandshakeResponder r1(c.callee, kCalleeOffers, c.guard);
  EXPECT_EQ(r1.on_offer(v9.offer(), kNow, nullptr, answer), HandshakeError::kNoCommonVersion);
  HandshakeInitiator p7(c.caller, c.call_id, c.callee.fingerprint(), {{1}, {1}, {7}}, kNow);
  HandshakeResponder r2(c.callee, kCalleeOffers, c.guard);
  EXPECT_EQ(r2.on_offer(p7.offer(), kNow, nullptr, answer), HandshakeError::kNoCommonProfile);
}

TEST(Handshake, LowOrderEphemeralKeyIsRefused) {
  Call c;
  HandshakeInitiator initiator(c.caller, c.call_id, c.callee.fingerprint(), kCallerOffers, kNow);
  auto offer = initiator.offer();
  std::fill(offer.begin() + kOfferEphemeralOffset, offer.begin() + kOfferEphemeralOffset + 32, 0);
  resign(offer, c.caller);
  HandshakeResponder responder(c.callee, kCalleeOffers, c.guard);
  std::vector<uint8_t> answer;
  EXPECT_EQ(responder.on_offer(offer, kNow, nullptr, answer), HandshakeError::kWeakKey);
}

TEST(Handshake, KeyConfirmationMismatchIsCaughtOnBothSides) {
  Call c;
  HandshakeInitiator initiator(c.caller, c.call_id, c.callee.fingerprint(), kCallerOffers, kNow);
  HandshakeResponder responder(c.callee, kCalleeOffers, c.guard);
  std::vector<uint8_t> answer, confirm;
  ASSERT_EQ(responder.on_offer(initiator.offer(), kNow, nullptr, answer), HandshakeError::kOk);
  auto bad_answer = answer;
  bad_answer.back() ^= 1;
  CallKeys keys;
  EXPECT_EQ(initiator.on_answer(bad_answer, confirm, keys), HandshakeError::kConfirmFailed);
  ASSERT_EQ(initiator.on_answer(answer, confirm, keys), HandshakeError::kOk);
  auto bad_confirm = confirm;
  bad_confirm.back() ^= 1;
  CallKeys callee_keys;
  EXPECT_EQ(responder.on_confirm(bad_confirm, callee_keys), HandshakeError::kConfirmFailed);
  EXPECT_EQ(responder.on_confirm(initiator.offer(), callee_keys), HandshakeError::kUnexpectedType);
  EXPECT_EQ(responder.on_confirm(confirm, callee_keys), HandshakeError::kOk);
  EXPECT_EQ(responder.on_confirm(confirm, callee_keys), HandshakeError::kBadState);
}

TEST(Handshake, MalformedMessagesAreRejected) {
  HandshakeMessage m;
  EXPECT_EQ(parse_handshake({}, m), HandshakeError::kMalformed);
  std::vector<uint8_t> junk = {'W', 'Z', 'H', 1, 0, 0};
  EXPECT_EQ(parse_handshake(junk, m), HandshakeError::kMalformed);
  Call c;
  HandshakeInitiator initiator(c.caller, c.call_id, c.callee.fingerprint(), kCallerOffers, kNow);
  auto offer = initiator.offer();
  EXPECT_EQ(parse_handshake(offer, m), HandshakeError::kOk);
  offer.push_back(0);
  EXPECT_EQ(parse_handshake(offer, m), HandshakeError::kMalformed);
  offer.pop_back();
  offer[108] = kMaxListSize + 1;
  EXPECT_EQ(parse_handshake(offer, m), HandshakeError::kMalformed);
  for (size_t n = 0; n < initiator.offer().size(); ++n) {
    EXPECT_EQ(parse_handshake(std::span(initiator.offer()).first(n), m),
              HandshakeError::kMalformed);
  }
}

}  // namespace
}  // namespace wzp::crypto
