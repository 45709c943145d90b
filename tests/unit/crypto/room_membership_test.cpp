// The room membership state machine through a relay simulated in memory
// (room_events in the daemon's order, room_signals queued): who can read
// whom after joins in any order, leaves, rejoins, and forged or replayed
// signals, keys in datagrams and when their copies go. Reading is proven by
// sealing and opening real packets.
#include "libwzp/crypto/room_membership.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <vector>

#include "libwzp/crypto/key_repeats.hpp"
#include "libwzp/wire/header.hpp"

namespace wzp::crypto {
namespace {

const RoomAccess kRoom = room_access(new_room_invite("ops"));

struct Peer {
  Identity identity = Identity::generate();
  std::unique_ptr<RoomMembership> membership;
  uint32_t next_sequence = 1;
  std::vector<uint32_t> readable, gone;
  std::vector<Fingerprint> admitted;
  std::vector<RoomError> refused;
  const Fingerprint &fingerprint() const { return identity.fingerprint(); }
  uint32_t sender_id() const { return sender_id_of(identity.fingerprint()); }
};

struct Signal {
  Peer *to;
  Fingerprint from;
  std::vector<uint8_t> payload;
};

// The daemon's side: announces joins and leaves in its order and relays
// signals (addressed, or to everyone else), delivering them when asked.
struct Relay {
  bool expect_no_refusal = true;  // else refusals are kept in Peer::refused
  // Hand each joiner's card out with its room_events, as wzp-signald does
  // (an older daemon or a linked relay does not).
  bool carry_cards = false;
  std::vector<Peer *> present;
  std::deque<Signal> queue;
  std::vector<Signal> delivered;  // everything ever delivered, for replays

  void route(Peer &from, MembershipStep step) {
    if (expect_no_refusal) {
      EXPECT_EQ(step.refused, RoomError::kOk) << to_string(step.refused);
    }
    if (step.refused != RoomError::kOk) from.refused.push_back(step.refused);
    from.admitted.insert(from.admitted.end(), step.admitted.begin(), step.admitted.end());
    from.readable.insert(from.readable.end(), step.readable.begin(), step.readable.end());
    from.gone.insert(from.gone.end(), step.gone.begin(), step.gone.end());
    for (auto &out : step.send) {
      for (Peer *p : present) {
        bool addressed = out.to ? *out.to == p->fingerprint() : p != &from;
        if (addressed) queue.push_back({p, from.fingerprint(), out.payload});
      }
    }
  }
  void announce(Peer &to, Peer &who, bool joined) {
    std::vector<uint8_t> card;
    if (carry_cards && joined && &to != &who) card = who.membership->card();
    route(to, to.membership->on_event(who.fingerprint(), joined, who.identity.signing_public_key(),
                                      card));
  }
  void join(Peer &p, const RoomAccess &room = kRoom) {
    p.membership = std::make_unique<RoomMembership>(p.identity, room, 1);
    announce_join(p);
  }
  // A join with the membership `p` already has (RoomMembership::rejoin).
  void announce_join(Peer &p) {
    for (Peer *q : present) announce(p, *q, true);
    present.push_back(&p);
    for (Peer *q : present) announce(*q, p, true);
  }
  void leave(Peer &p) {
    std::erase(present, &p);
    for (Peer *q : present) announce(*q, p, false);
  }
  // Delivers the signals queued now (not those they lead to): one crossing.
  void deliver_once() {
    std::deque<Signal> now;
    now.swap(queue);
    for (Signal &s : now) {
      delivered.push_back(s);
      route(*s.to, s.to->membership->on_signal(s.from, s.payload));
    }
  }
  // Delivers queued signals oldest first, or newest first to shake the order.
  void deliver(bool newest_first = false) {
    while (!queue.empty()) {
      Signal s = newest_first ? queue.back() : queue.front();
      newest_first ? queue.pop_back() : queue.pop_front();
      delivered.push_back(s);
      route(*s.to, s.to->membership->on_signal(s.from, s.payload));
    }
  }
};

std::vector<uint8_t> send(Peer &from, size_t payload = 40) {
  wire::MediaHeader header;
  header.stream_id = from.sender_id();
  header.sequence = from.next_sequence++;
  std::vector<uint8_t> bytes(wire::kFullHeaderSize + payload + kTagSize, 0x5a);
  size_t header_size = wire::write_full(header, nullptr, bytes);
  auto result = from.membership->session()->sender->seal(
      header.stream_id, header.sequence, 0, &bytes[3], 0, std::span(bytes).first(header_size),
      std::span(bytes).subspan(header_size, payload), bytes.data() + header_size + payload);
  EXPECT_EQ(result.status, SealStatus::kOk);
  return bytes;
}

OpenStatus receive(Peer &at, std::vector<uint8_t> bytes) {
  wire::PacketView view;
  EXPECT_EQ(wire::parse_full(std::span(bytes).first(bytes.size() - kTagSize), view),
            wire::WireError::kOk);
  size_t header_size = view.header_bytes.size();
  size_t payload = bytes.size() - header_size - kTagSize;
  return at.membership->session()
      ->receiver
      .open(view.header.stream_id, view.header.sequence, view.header.key_epoch, 0,
            std::span(bytes).first(header_size), std::span(bytes).subspan(header_size, payload),
            bytes.data() + header_size + payload)
      .status;
}

// Every member reads a packet from every other.
void expect_all_read_each_other(std::vector<Peer *> peers) {
  for (Peer *from : peers) {
    auto packet = send(*from);
    for (Peer *to : peers) {
      if (to == from) continue;
      EXPECT_TRUE(to->membership->can_read(from->fingerprint()));
      EXPECT_EQ(receive(*to, packet), OpenStatus::kOk);
    }
  }
}

TEST(RoomMembership, MembersJoiningOneByOneReadEachOther) {
  Relay relay;
  Peer a, b, c;
  relay.join(a);
  relay.deliver();
  relay.join(b);
  relay.deliver();
  relay.join(c);
  relay.deliver();
  expect_all_read_each_other({&a, &b, &c});
  EXPECT_EQ(a.readable.size(), 2u);
  EXPECT_EQ(a.membership->member_count(), 2u);
}

TEST(RoomMembership, JoinsAtOnceInEitherDeliveryOrder) {
  for (bool newest_first : {false, true}) {
    Relay relay;
    Peer a, b, c, d;
    relay.join(a);
    relay.join(b);
    relay.join(c);
    relay.join(d);  // A ratchets three times before anyone's key is out
    relay.deliver(newest_first);
    expect_all_read_each_other({&a, &b, &c, &d});
    expect_all_read_each_other({&a, &b, &c, &d});
  }
}

// With the cards in the join events, each side's key is out as the events
// arrive: one crossing of room signals and both read each other, where
// without them the cards cross first and the keys a second time.
TEST(RoomMembership, CardsInJoinEventsSaveACrossing) {
  for (bool carry_cards : {false, true}) {
    Relay relay;
    relay.carry_cards = carry_cards;
    Peer a, b, c;
    relay.join(a);
    relay.deliver();
    relay.join(b);
    relay.join(c);
    relay.deliver_once();
    for (Peer *from : {&a, &b, &c}) {
      for (Peer *to : {&a, &b, &c}) {
        if (to == from) continue;
        EXPECT_EQ(to->membership->can_read(from->fingerprint()), carry_cards)
            << "cards carried: " << carry_cards;
      }
    }
    relay.deliver();
    expect_all_read_each_other({&a, &b, &c});
    // Each card came twice (event and room signal): no refusal, and every
    // member was admitted once.
    for (Peer *p : {&a, &b, &c}) {
      EXPECT_TRUE(p->refused.empty());
      EXPECT_EQ(p->admitted.size(), 2u);
    }
  }
}

// A card the relay spoils on the way is refused; the member's own card, as
// a room signal, still admits it.
TEST(RoomMembership, ASpoiledCardInAJoinEventIsRefusedAndTheSignalStillAdmits) {
  Relay relay;
  Peer a, b;
  relay.join(a);
  relay.deliver();
  b.membership = std::make_unique<RoomMembership>(b.identity, kRoom, 1);
  auto spoiled = a.membership->card();
  spoiled[60] ^= 1;
  auto step =
      b.membership->on_event(a.fingerprint(), true, a.identity.signing_public_key(), spoiled);
  EXPECT_EQ(step.refused, RoomError::kBadSignature);
  EXPECT_TRUE(step.send.empty());
  EXPECT_EQ(b.membership->member_count(), 1u);
  relay.present.push_back(&b);
  relay.announce(b, b, true);
  relay.announce(a, b, true);
  relay.deliver();
  expect_all_read_each_other({&a, &b});
}

TEST(RoomMembership, NewcomerCannotReadWhatCameBefore) {
  Relay relay;
  Peer a, b, c;
  relay.join(a);
  relay.join(b);
  relay.deliver();
  auto before = send(a);
  ASSERT_EQ(receive(b, before), OpenStatus::kOk);
  relay.join(c);
  relay.deliver();
  expect_all_read_each_other({&a, &b, &c});
  EXPECT_NE(receive(c, before), OpenStatus::kOk);
}

TEST(RoomMembership, LeaveRotatesKeysAndRejoinWorks) {
  Relay relay;
  Peer a, b, c;
  relay.join(a);
  relay.join(b);
  relay.join(c);
  relay.deliver();
  expect_all_read_each_other({&a, &b, &c});
  relay.leave(c);
  EXPECT_EQ(a.gone, std::vector<uint32_t>{c.sender_id()});
  relay.deliver();
  expect_all_read_each_other({&a, &b});
  // C kept its old state: A's rotated key is not in it.
  EXPECT_NE(receive(c, send(a)), OpenStatus::kOk);
  EXPECT_FALSE(a.membership->can_read(c.fingerprint()));
  // C comes back with a fresh membership and is part of the room again.
  relay.join(c);
  relay.deliver();
  expect_all_read_each_other({&a, &b, &c});
}

TEST(RoomMembership, AMemberWhoseRelayDiedRejoinsWithItsMediaSession) {
  Relay relay;
  Peer a, b, c;
  relay.join(a);
  relay.join(b);
  relay.join(c);
  relay.deliver();
  // C's node dies: the others see C leave, C sees nothing.
  relay.leave(c);
  relay.deliver();
  expect_all_read_each_other({&a, &b});
  EXPECT_FALSE(a.membership->can_read(c.fingerprint()));
  // C redials another node and joins again with the same membership, so
  // its pipelines keep their media session.
  const auto session = c.membership->session();
  c.membership->rejoin();
  EXPECT_FALSE(c.membership->in_room());
  relay.announce_join(c);
  relay.deliver();
  EXPECT_EQ(c.membership->session(), session);
  expect_all_read_each_other({&a, &b, &c});
}

TEST(RoomMembership, OwnLeaveEndsTheMembership) {
  Relay relay;
  Peer a, b;
  relay.join(a);
  relay.join(b);
  relay.deliver();
  auto step = a.membership->on_event(a.fingerprint(), false, a.identity.signing_public_key());
  EXPECT_EQ(step.gone, std::vector<uint32_t>{b.sender_id()});
  EXPECT_FALSE(a.membership->in_room());
  EXPECT_EQ(a.membership->member_count(), 0u);
}

TEST(RoomMembership, ForgedAndReplayedSignalsAreRefused) {
  Relay relay;
  Peer a, b, c;
  relay.join(a);
  relay.join(b);
  relay.join(c);
  relay.deliver();
  RoomMembership &at_a = *a.membership;
  Signal b_card, c_key_to_a;
  for (const Signal &s : relay.delivered) {
    if (s.to == &a && s.from == b.fingerprint() &&
        room_payload_kind(s.payload) == RoomPayload::kMemberCard) {
      b_card = s;
    }
    if (s.to == &a && s.from == c.fingerprint() &&
        room_payload_kind(s.payload) == RoomPayload::kSenderKey) {
      c_key_to_a = s;
    }
  }
  ASSERT_FALSE(b_card.payload.empty());
  ASSERT_FALSE(c_key_to_a.payload.empty());
  // Replays of what A already accepted: the same card changes nothing (it
  // comes twice anyway: with B's join event and as B's room signal), an
  // older one is stale, as is an old key message.
  auto again = at_a.on_signal(b.fingerprint(), b_card.payload);
  EXPECT_EQ(again.refused, RoomError::kOk);
  EXPECT_TRUE(again.send.empty() && again.admitted.empty() && again.readable.empty());
  RoomMembership b_earlier(b.identity, kRoom, 0);
  EXPECT_EQ(at_a.on_signal(b.fingerprint(), b_earlier.card()).refused, RoomError::kStale);
  // The key message A holds, again: nothing changes (it comes as a room
  // signal and in key datagrams); an older one is stale (below, keys in
  // datagrams).
  auto key_again = at_a.on_signal(c.fingerprint(), c_key_to_a.payload);
  EXPECT_EQ(key_again.refused, RoomError::kOk);
  EXPECT_TRUE(key_again.repeated);
  EXPECT_TRUE(key_again.send.empty() && key_again.readable.empty());
  // B's card relayed as if C sent it; C's key message relayed as B's.
  EXPECT_EQ(at_a.on_signal(c.fingerprint(), b_card.payload).refused, RoomError::kKeyMismatch);
  EXPECT_EQ(at_a.on_signal(b.fingerprint(), c_key_to_a.payload).refused, RoomError::kUnknownMember);
  // A tampered card, a stranger, garbage.
  auto tampered = b_card.payload;
  tampered[60] ^= 1;
  EXPECT_EQ(at_a.on_signal(b.fingerprint(), tampered).refused, RoomError::kBadSignature);
  Peer stranger;
  auto stranger_card = make_member_card(stranger.identity, kRoom, 1);
  EXPECT_EQ(at_a.on_signal(stranger.fingerprint(), stranger_card).refused,
            RoomError::kUnknownMember);
  std::vector<uint8_t> garbage(100, 0x42);
  EXPECT_EQ(at_a.on_signal(b.fingerprint(), garbage).refused, RoomError::kMalformed);
  // An announcement whose key does not hash to the fingerprint.
  EXPECT_EQ(at_a.on_event(stranger.fingerprint(), true, b.identity.signing_public_key()).refused,
            RoomError::kKeyMismatch);
  EXPECT_EQ(at_a.on_event(stranger.fingerprint(), true, std::nullopt).refused,
            RoomError::kKeyMismatch);
  // None of it changed what A reads.
  expect_all_read_each_other({&a, &b, &c});
}

// Keys in datagrams (docs/rooms.md, "Keys that do not wait"): each key
// message also comes as datagram copies. Whichever lands first makes its
// sender readable; later copies and the room signal change nothing; an
// older key (a replay after a rotation), a forged copy, one addressed to
// another member and one from a member never announced are refused.
TEST(RoomMembership, AKeyDatagramsFirstCopyCountsAndTheRestChangeNothing) {
  Relay relay;
  relay.carry_cards = true;
  Peer a, b, c;
  relay.join(a);
  relay.join(b);
  std::vector<Signal> keys;  // the first key message to each of A and B
  for (const Signal &s : relay.queue) {
    bool first = std::none_of(keys.begin(), keys.end(), [&](auto &k) { return k.to == s.to; });
    if (first && room_payload_kind(s.payload) == RoomPayload::kSenderKey) keys.push_back(s);
  }
  ASSERT_EQ(keys.size(), 2u);
  for (const Signal &key : keys) {
    MembershipStep first = key.to->membership->on_key_datagram(key.payload);
    EXPECT_EQ(first.refused, RoomError::kOk) << to_string(first.refused);
    EXPECT_FALSE(first.repeated);
    EXPECT_EQ(first.readable, std::vector<uint32_t>{sender_id_of(key.from)});
    MembershipStep copy = key.to->membership->on_key_datagram(key.payload);
    EXPECT_EQ(copy.refused, RoomError::kOk);
    EXPECT_TRUE(copy.repeated);
    EXPECT_TRUE(copy.readable.empty() && copy.send.empty());
  }
  expect_all_read_each_other({&a, &b});
  relay.deliver();  // the room signals after their copies: refused nothing (Relay::route)
  expect_all_read_each_other({&a, &b});

  const Signal &b_to_a = keys[0].to == &a ? keys[0] : keys[1];
  relay.join(c);
  relay.deliver();
  // B's key for A, at C.
  EXPECT_EQ(c.membership->on_key_datagram(b_to_a.payload).refused, RoomError::kNotForUs);
  relay.leave(c);
  relay.deliver();  // A and B rotate
  expect_all_read_each_other({&a, &b});
  EXPECT_EQ(a.membership->on_key_datagram(b_to_a.payload).refused, RoomError::kStale);
  auto forged = b_to_a.payload;
  forged[70] ^= 1;
  EXPECT_EQ(a.membership->on_key_datagram(forged).refused, RoomError::kBadSignature);
  auto unannounced = b_to_a.payload;
  unannounced[20] ^= 1;  // the sender's fingerprint
  EXPECT_EQ(a.membership->on_key_datagram(unannounced).refused, RoomError::kUnknownMember);
  EXPECT_EQ(a.membership->on_key_datagram(std::vector<uint8_t>(204, 0x42)).refused,
            RoomError::kMalformed);
  expect_all_read_each_other({&a, &b});
}

// Issue 13: the relay announces Mallory, an identity it holds, in a room
// whose id it knows but whose secret it does not. Her card is refused by
// every member, none seals its key to her, and she opens nothing.
TEST(RoomMembership, AMemberTheRelayAddsWithoutTheSecretGetsNoKey) {
  Relay relay;
  relay.expect_no_refusal = false;
  Peer a, b, mallory;
  relay.join(a);
  relay.join(b);
  RoomAccess relays_guess = room_access(new_room_invite("ops"));
  relays_guess.id = kRoom.id;
  relay.join(mallory, relays_guess);
  size_t keys_to_mallory = 0;
  for (const Signal &s : relay.queue) {
    keys_to_mallory += s.to == &mallory && room_payload_kind(s.payload) == RoomPayload::kSenderKey;
  }
  relay.deliver();
  for (const Signal &s : relay.delivered) {
    keys_to_mallory += s.to == &mallory && room_payload_kind(s.payload) == RoomPayload::kSenderKey;
  }
  EXPECT_EQ(keys_to_mallory, 0u);
  for (Peer *member : {&a, &b}) {
    EXPECT_EQ(member->refused, std::vector<RoomError>{RoomError::kNoRoomProof});
    EXPECT_FALSE(member->membership->can_read(mallory.fingerprint()));
    EXPECT_EQ(std::count(member->admitted.begin(), member->admitted.end(), mallory.fingerprint()),
              0);
    EXPECT_NE(receive(mallory, send(*member)), OpenStatus::kOk);
  }
  EXPECT_EQ(a.membership->member_count(), 2u);  // the relay's word
  EXPECT_EQ(a.membership->admitted_count(), 1u);
  EXPECT_EQ(a.admitted, std::vector<Fingerprint>{b.fingerprint()});
  EXPECT_EQ(b.admitted, std::vector<Fingerprint>{a.fingerprint()});
  expect_all_read_each_other({&a, &b});
  // She keeps sending cards: each is refused again, and still no key.
  auto card = make_member_card(mallory.identity, relays_guess, 2);
  MembershipStep step = a.membership->on_signal(mallory.fingerprint(), card);
  EXPECT_EQ(step.refused, RoomError::kNoRoomProof);
  EXPECT_TRUE(step.send.empty());
}

// An open room (joined by name, `wzp room join --open`) is what it says:
// anyone who knows the name, the relay if it guesses it, is admitted.
TEST(RoomMembership, InAnOpenRoomAnyoneWhoKnowsTheNameIsAdmitted) {
  Relay relay;
  Peer a, b, guesser;
  const RoomAccess open = open_room_access("friday standup");
  relay.join(a, open);
  relay.join(b, open);
  relay.join(guesser, open_room_access("friday standup"));
  relay.deliver();
  expect_all_read_each_other({&a, &b, &guesser});
}

// When a room key goes out again as a key datagram (KeyRepeats): copies
// at 0, 100, 250, 500 and 1000 ms after the key, each once however the
// polls fall, a newer key replacing the older for its member, a member who
// left getting none, and the pending keys bounded.
Fingerprint member(uint8_t n) {
  Fingerprint f{};
  f[0] = n;
  return f;
}

std::vector<uint8_t> message(uint8_t n) { return std::vector<uint8_t>(204, n); }

TEST(KeyRepeats, CopiesComeAtTheirTimesOnceEachThenStop) {
  KeyRepeats repeats;
  repeats.add(member(1), message(1), std::chrono::milliseconds(1000));
  std::vector<int> copies_at;  // ms after the key, polled every 10 ms for 2 s
  for (int t = 0; t <= 2000; t += 10) {
    for (const auto &m : repeats.due(std::chrono::milliseconds(1000 + t))) {
      EXPECT_EQ(m, message(1));
      copies_at.push_back(t);
    }
  }
  EXPECT_EQ(copies_at, (std::vector<int>{0, 100, 250, 500, 1000}));
  EXPECT_EQ(repeats.pending(), 0u);
}

TEST(KeyRepeats, ALatePollSendsOneCopyNotTheOnesItMissed) {
  KeyRepeats repeats;
  repeats.add(member(1), message(1), std::chrono::milliseconds(0));
  EXPECT_EQ(repeats.due(std::chrono::milliseconds(0)).size(), 1u);
  EXPECT_EQ(repeats.due(std::chrono::milliseconds(99)).size(), 0u);
  EXPECT_EQ(repeats.due(std::chrono::milliseconds(600)).size(), 1u);  // 100, 250 and 500 were due
  EXPECT_EQ(repeats.due(std::chrono::milliseconds(999)).size(), 0u);
  EXPECT_EQ(repeats.due(std::chrono::milliseconds(5000)).size(), 1u);
  EXPECT_EQ(repeats.pending(), 0u);
}

TEST(KeyRepeats, ANewerKeyReplacesTheOlderAndALeaverGetsNone) {
  KeyRepeats repeats;
  repeats.add(member(1), message(1), std::chrono::milliseconds(0));
  repeats.add(member(2), message(2), std::chrono::milliseconds(0));
  EXPECT_EQ(repeats.due(std::chrono::milliseconds(0)).size(), 2u);
  // A rotation 300 ms later: member 1's copies start over with the new key.
  repeats.add(member(1), message(3), std::chrono::milliseconds(300));
  repeats.forget(member(2));
  EXPECT_EQ(repeats.due(std::chrono::milliseconds(300)),
            std::vector<std::vector<uint8_t>>{message(3)});
  EXPECT_EQ(repeats.pending(), 1u);
}

TEST(KeyRepeats, PendingKeysAreBounded) {
  KeyRepeats repeats;
  for (int i = 0; i < 100; ++i) {
    repeats.add(member(static_cast<uint8_t>(i)), message(static_cast<uint8_t>(i)),
                std::chrono::milliseconds(i));
  }
  EXPECT_EQ(repeats.pending(), KeyRepeats::kMaxPending);
  auto due = repeats.due(std::chrono::milliseconds(100));
  ASSERT_EQ(due.size(), KeyRepeats::kMaxPending);
  EXPECT_EQ(due.front(), message(100 - KeyRepeats::kMaxPending));  // the oldest went
}

}  // namespace
}  // namespace wzp::crypto
