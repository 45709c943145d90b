// Two relays' cores linked in memory: mutual authentication by daemon
// identity, and open rooms spanning both (membership, media, room signals).
#include "signald/core/federation.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <deque>
#include <nlohmann/json.hpp>

#include "libwzp/crypto/member_card.hpp"
#include "libwzp/quality/room.hpp"
#include "libwzp/wire/header.hpp"
#include "tests/unit/signald/harness.hpp"

namespace wzp::signald::testing {
namespace {

using namespace wzp::signal;

const std::string kFederatedRoom = "00112233445566778899aabbccddeeff";
constexpr PeerId kLink = 1;  // each relay's id for its link to the other

struct Pipe : PeerOutbox {
  void send(PeerId, const std::string &text) override { messages.push_back(text); }
  void forward(PeerId, std::span<const uint8_t> datagram) override {
    datagrams.emplace_back(datagram.begin(), datagram.end());
  }
  void close(PeerId, const std::string &reason) override { closed = reason; }
  std::deque<std::string> messages;
  std::deque<std::vector<uint8_t>> datagrams;
  std::optional<std::string> closed;
};

struct Relay {
  Relay(const std::filesystem::path &dir, const std::string &name) {
    std::string error;
    store = Store::open(dir / (name + ".db"), error);
    EXPECT_TRUE(store) << error;
    auto writer_store = Store::open(dir / (name + ".db"), error);
    EXPECT_TRUE(writer_store) << error;
    writer = std::make_unique<StoreWriter>(std::move(writer_store), [] {});
    server =
        std::make_unique<Server>(out, *store, *writer, fingerprint(), kCertificateSha256, nullptr);
  }
  // Waits for the store's writes and sends what waited for them.
  void settle() {
    writer->wait_until_written();
    server->on_store_written(now);
  }
  void trust(const Relay &other) {
    federation =
        std::make_unique<Federation>(pipe, *server, identity, std::vector{other.fingerprint()});
  }
  std::string fingerprint() const { return crypto::format_fingerprint(identity.fingerprint()); }
  ConnectionId login(const crypto::Identity &who) {
    ConnectionId conn = next_conn++;
    server->on_connect(conn, "203.0.113.1:5000", now);
    server->on_message(conn, serialize(Hello{who.signing_public_key(), {}, ""}, {}), now);
    auto challenge = out.last<Challenge>(conn);
    server->on_message(
        conn, serialize(Auth{who.sign(auth_transcript(challenge.nonce, kCertificateSha256))}, {}),
        now);
    settle();
    return conn;
  }
  ConnectionId join(const crypto::Identity &who, std::vector<std::string> allow = {}) {
    ConnectionId conn = login(who);
    server->on_message(conn, serialize(RoomJoin{kFederatedRoom, std::move(allow)}, 1), now);
    return conn;
  }

  crypto::Identity identity = crypto::Identity::generate();
  std::unique_ptr<Store> store;
  std::unique_ptr<StoreWriter> writer;
  Recorder out;
  std::unique_ptr<Server> server;
  Pipe pipe;
  std::unique_ptr<Federation> federation;
  Now now{std::chrono::steady_clock::time_point{} + std::chrono::hours(1), 1700000000};
  ConnectionId next_conn = 1;
};

std::vector<uint8_t> media_packet(uint32_t sequence) {
  wire::MediaHeader header;
  header.codec = wire::codec::kOpus;
  header.stream_id = 3;
  header.sequence = sequence;
  std::vector<uint8_t> packet(wire::kMaxPacketSize);
  packet.resize(wire::write_full(header, nullptr, packet));
  packet.insert(packet.end(), 40, 0xc3);
  return packet;
}

class FederationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = wzp::test::make_temp_dir("signald-federation");
    a_ = std::make_unique<Relay>(dir_, "a");
    b_ = std::make_unique<Relay>(dir_, "b");
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    std::filesystem::remove_all(dir_);
  }
  void link(bool b_trusts_a = true) {
    a_->trust(*b_);
    if (b_trusts_a) {
      b_->trust(*a_);
    } else {
      b_->federation = std::make_unique<Federation>(b_->pipe, *b_->server, b_->identity,
                                                    std::vector<std::string>{});
    }
    a_->federation->on_link_up(kLink, b_->fingerprint(), a_->now.steady);  // A dialed B
    b_->federation->on_link_up(kLink, std::nullopt, b_->now.steady);
    pump();
  }
  // Lets a presence interval pass on both relays, so a user's next change
  // is announced at once (Server PresenceCoalescer).
  void next_presence_interval() {
    for (Relay *relay : {a_.get(), b_.get()}) {
      relay->now.steady += ServerSettings{}.presence_interval;
      relay->now.unix_seconds += 1;
      relay->server->tick(relay->now);
    }
    pump();
  }
  // Delivers what each relay sent the other until both are quiet.
  void pump() {
    for (bool moved = true; moved;) {
      moved = false;
      for (auto [from, to] : {std::pair{a_.get(), b_.get()}, std::pair{b_.get(), a_.get()}}) {
        if (from->pipe.closed || to->pipe.closed) continue;
        while (!from->pipe.messages.empty()) {
          std::string text = std::move(from->pipe.messages.front());
          from->pipe.messages.pop_front();
          to->federation->on_message(kLink, text, to->now);
          moved = true;
        }
        while (!from->pipe.datagrams.empty()) {
          auto datagram = std::move(from->pipe.datagrams.front());
          from->pipe.datagrams.pop_front();
          to->federation->on_datagram(kLink, datagram);
          moved = true;
        }
      }
    }
  }

  std::filesystem::path dir_;
  std::unique_ptr<Relay> a_, b_;
};

size_t count_kind(const Pipe &pipe, const std::string &type) {
  return static_cast<size_t>(std::count_if(
      pipe.messages.begin(), pipe.messages.end(),
      [&](const std::string &text) { return nlohmann::json::parse(text)["type"] == type; }));
}

std::string fingerprint_of(const crypto::Identity &who) {
  return crypto::format_fingerprint(who.fingerprint());
}

TEST_F(FederationTest, RelaysAuthenticateEachOtherByIdentity) {
  link();
  EXPECT_EQ(a_->federation->identity_of(kLink), b_->fingerprint());
  EXPECT_EQ(b_->federation->identity_of(kLink), a_->fingerprint());
  EXPECT_FALSE(a_->pipe.closed);
  EXPECT_FALSE(b_->pipe.closed);
}

TEST_F(FederationTest, AnUntrustedRelayIsRefused) {
  link(false);
  ASSERT_TRUE(b_->pipe.closed);
  EXPECT_NE(b_->pipe.closed->find("not trusted"), std::string::npos) << *b_->pipe.closed;
  EXPECT_FALSE(b_->federation->identity_of(kLink));
  EXPECT_EQ(b_->federation->counters().links_refused, 1u);
}

TEST_F(FederationTest, ALinkThatNeverAuthenticatesIsClosedInTime) {
  b_->trust(*a_);
  const SteadyTime up = b_->now.steady;
  b_->federation->on_link_up(kLink, std::nullopt, up);
  b_->federation->tick(up + kLinkAuthTimeout - std::chrono::milliseconds(1));
  EXPECT_FALSE(b_->pipe.closed);
  b_->federation->tick(up + kLinkAuthTimeout);
  ASSERT_TRUE(b_->pipe.closed);
  EXPECT_NE(b_->pipe.closed->find("did not authenticate"), std::string::npos) << *b_->pipe.closed;
  EXPECT_EQ(b_->federation->counters().links_refused, 1u);
}

TEST_F(FederationTest, AnAuthenticatedLinkIsNotTimedOut) {
  link();
  b_->federation->tick(b_->now.steady + 10 * kLinkAuthTimeout);
  a_->federation->tick(a_->now.steady + 10 * kLinkAuthTimeout);
  EXPECT_FALSE(b_->pipe.closed);
  EXPECT_FALSE(a_->pipe.closed);
  EXPECT_TRUE(b_->federation->identity_of(kLink));
}

TEST_F(FederationTest, ASignatureNotFromTheClaimedIdentityIsRefused) {
  b_->trust(*a_);
  b_->federation->on_link_up(kLink, std::nullopt, b_->now.steady);
  const std::string hello = b_->pipe.messages.front();
  auto nonce_b64 = nlohmann::json::parse(hello)["nonce"].get<std::string>();
  // Claims A's identity, but signs with another key.
  auto impostor = crypto::Identity::generate();
  nlohmann::json claim = {
      {"type", "fed_hello"},
      {"public_key", nlohmann::json::parse(serialize(
                         Hello{a_->identity.signing_public_key(), {}, ""}, {}))["public_key"]},
      {"nonce", nonce_b64}};
  b_->federation->on_message(kLink, claim.dump(), b_->now);
  ASSERT_FALSE(b_->pipe.closed);
  std::vector<uint8_t> nonce(32, 0);  // not B's nonce either
  auto forged = impostor.sign(federation_transcript(nonce, b_->fingerprint()));
  nlohmann::json auth = {
      {"type", "fed_auth"},
      {"signature", nlohmann::json::parse(serialize(Auth{forged}, {}))["signature"]}};
  b_->federation->on_message(kLink, auth.dump(), b_->now);
  ASSERT_TRUE(b_->pipe.closed);
  EXPECT_NE(b_->pipe.closed->find("does not verify"), std::string::npos);
  EXPECT_FALSE(b_->federation->identity_of(kLink));
}

TEST_F(FederationTest, AnOpenRoomSpansBothRelays) {
  link();
  auto alice = crypto::Identity::generate(), bob = crypto::Identity::generate(),
       carol = crypto::Identity::generate();
  ConnectionId ca = a_->join(alice);
  pump();
  ConnectionId cb = b_->join(bob);
  pump();
  ConnectionId cc = b_->join(carol);
  pump();
  // Bob, joining on B, hears of Alice on A (with her key), and she of him.
  auto bob_events = b_->out.to<RoomEvent>(cb);
  ASSERT_GE(bob_events.size(), 2u);
  EXPECT_EQ(bob_events[0].fingerprint, fingerprint_of(alice));
  EXPECT_EQ(bob_events[0].public_key, alice.signing_public_key());
  EXPECT_EQ(bob_events[0].participants, 2u);
  auto alice_events = a_->out.to<RoomEvent>(ca);
  ASSERT_EQ(alice_events.size(), 3u);
  EXPECT_EQ(alice_events[1].fingerprint, fingerprint_of(bob));
  EXPECT_EQ(alice_events[2].fingerprint, fingerprint_of(carol));
  EXPECT_EQ(alice_events[2].participants, 3u);

  // Media: one copy crosses the link, B fans it out to both its members.
  a_->out.clear();
  b_->out.clear();
  const auto packet = media_packet(9);
  a_->server->on_datagram(ca, packet, a_->now.steady);
  ASSERT_EQ(a_->pipe.datagrams.size(), 1u);
  EXPECT_EQ(a_->pipe.datagrams.front().size(), sizeof(RoomKey) + packet.size());
  pump();
  ASSERT_EQ(b_->out.forwarded.size(), 2u);
  for (const auto &[to, bytes] : b_->out.forwarded) {
    EXPECT_TRUE(to == cb || to == cc);
    EXPECT_EQ(bytes, packet);
  }
  // And back: Bob's packet reaches Alice on A and Carol on B.
  b_->out.clear();
  b_->server->on_datagram(cb, packet, b_->now.steady);
  pump();
  ASSERT_EQ(b_->out.forwarded.size(), 1u);
  EXPECT_EQ(b_->out.forwarded[0].first, cc);
  ASSERT_EQ(a_->out.forwarded.size(), 1u);
  EXPECT_EQ(a_->out.forwarded[0], std::make_pair(ca, packet));

  // A room signal addressed across the link, with the sender vouched for.
  b_->server->on_message(
      cb, serialize(RoomSignal{kFederatedRoom, "", fingerprint_of(alice), {1, 2, 3}}, {}), b_->now);
  pump();
  auto signal = a_->out.last<RoomSignal>(ca);
  EXPECT_EQ(signal.from, fingerprint_of(bob));
  EXPECT_EQ(signal.payload, (Bytes{1, 2, 3}));
  EXPECT_TRUE(b_->out.to<RoomSignal>(cc).empty()) << "addressed to Alice only";

  // Leaving on B is seen on A.
  b_->server->on_message(cb, serialize(RoomLeave{kFederatedRoom}, {}), b_->now);
  pump();
  auto left = a_->out.last<RoomEvent>(ca);
  EXPECT_EQ(left.fingerprint, fingerprint_of(bob));
  EXPECT_FALSE(left.joined);
  EXPECT_EQ(left.participants, 2u);
}

// A direct call to a user on the linked relay: the offer rings bob's device
// on B, every message of the handshake crosses, each relay reserves the
// relay room B named (with the party on the other side as a remote member),
// and media and the hangup cross.
TEST_F(FederationTest, ACallCrossesTheLink) {
  link();
  auto alice = crypto::Identity::generate(), bob = crypto::Identity::generate();
  ConnectionId ca = a_->login(alice);
  ConnectionId cb = b_->login(bob);
  pump();
  a_->server->on_message(
      ca, serialize(CallOffer{"c1", "", fingerprint_of(bob), {7}, {"opus"}, {}, {"192.0.2.1:5"}}),
      a_->now);
  pump();
  auto offer = b_->out.last<CallOffer>(cb);
  EXPECT_EQ(offer.caller, fingerprint_of(alice));
  EXPECT_EQ(offer.key_agreement, (Bytes{7}));
  EXPECT_TRUE(offer.candidates.empty()) << "addresses go only in the setup";
  b_->server->on_message(cb, serialize(CallRinging{"c1"}), b_->now);
  pump();
  EXPECT_EQ(a_->out.to<CallRinging>(ca).size(), 1u);
  b_->server->on_message(
      cb, serialize(CallAnswer{"c1", AnswerMode::kAccept, {8}, {"198.51.100.2:6"}}), b_->now);
  pump();
  EXPECT_EQ(a_->out.last<CallAnswer>(ca).key_agreement, (Bytes{8}));
  auto setup_a = a_->out.last<CallSetup>(ca), setup_b = b_->out.last<CallSetup>(cb);
  EXPECT_EQ(setup_a.relay_room, setup_b.relay_room);
  EXPECT_EQ(setup_a.peer_candidates, (std::vector<std::string>{"198.51.100.2:6"}));
  EXPECT_EQ(setup_b.peer_candidates, (std::vector<std::string>{"192.0.2.1:5"}));
  a_->server->on_message(ca, serialize(CallConfirm{"c1", {9}}), a_->now);
  pump();
  EXPECT_EQ(b_->out.last<CallConfirm>(cb).key_agreement, (Bytes{9}));
  // The direct path's steps and late candidates cross the link both ways.
  b_->server->on_message(
      cb, serialize(CallPath{"c1", PathStep::kOffer, "", "", std::string(64, 'a')}), b_->now);
  b_->server->on_message(cb, serialize(CallCandidates{"c1", {"198.51.100.2:7"}}), b_->now);
  pump();
  EXPECT_EQ(a_->out.last<CallPath>(ca).step, PathStep::kOffer);
  EXPECT_EQ(a_->out.last<CallCandidates>(ca).candidates,
            (std::vector<std::string>{"198.51.100.2:7"}));
  a_->server->on_message(
      ca, serialize(CallPath{"c1", PathStep::kNominate, "198.51.100.2:7", "", ""}), a_->now);
  a_->server->on_message(ca, serialize(CallCandidates{"c1", {"192.0.2.1:8"}}), a_->now);
  pump();
  EXPECT_EQ(b_->out.last<CallPath>(cb).candidate, "198.51.100.2:7");
  EXPECT_EQ(b_->out.last<CallCandidates>(cb).candidates, (std::vector<std::string>{"192.0.2.1:8"}));
  EXPECT_EQ(a_->server->gauges().calls_active, 1u);
  EXPECT_EQ(b_->server->gauges().calls_active, 1u);

  // Media through both relays' relay rooms, both ways.
  a_->server->on_message(ca, serialize(RoomJoin{setup_a.relay_room, {}}, 1), a_->now);
  b_->server->on_message(cb, serialize(RoomJoin{setup_b.relay_room, {}}, 1), b_->now);
  a_->out.clear();
  b_->out.clear();
  const auto packet = media_packet(4);
  a_->server->on_datagram(ca, packet, a_->now.steady);
  pump();
  ASSERT_EQ(b_->out.forwarded.size(), 1u);
  EXPECT_EQ(b_->out.forwarded[0], std::make_pair(cb, packet));
  b_->server->on_datagram(cb, packet, b_->now.steady);
  pump();
  ASSERT_EQ(a_->out.forwarded.size(), 1u);
  EXPECT_EQ(a_->out.forwarded[0], std::make_pair(ca, packet));

  b_->server->on_message(cb, serialize(CallHangup{"c1", "normal"}), b_->now);
  pump();
  EXPECT_EQ(a_->out.last<CallHangup>(ca).reason, "normal");
  EXPECT_EQ(a_->server->gauges().calls_active, 0u);
  EXPECT_EQ(a_->server->gauges().rooms, 0u) << "the relay room went with the call";
  EXPECT_EQ(a_->federation->counters().messages_refused, 0u);
  EXPECT_EQ(b_->federation->counters().messages_refused, 0u);

  // A call whose other party's relay is lost ends `relay_lost`, not `gone`:
  // that party may come back through another node.
  a_->server->on_message(
      ca, serialize(CallOffer{"c2", "", fingerprint_of(bob), {7}, {"opus"}, {}, {}}), a_->now);
  pump();
  b_->server->on_message(cb, serialize(CallAnswer{"c2", AnswerMode::kAccept, {8}, {}}), b_->now);
  pump();
  ASSERT_EQ(a_->server->gauges().calls_active, 1u);
  a_->federation->on_link_down(kLink, a_->now);
  EXPECT_EQ(a_->out.last<CallHangup>(ca).reason, "relay_lost");
  EXPECT_EQ(a_->server->gauges().calls_active, 0u);
}

// A relay takes an offer only for a caller its link reported. Alice signs
// out of A and in again within a presence interval: A holds her return
// (PresenceCoalescer), and her offer must not reach B before it; B would
// refuse it (off_route) and the call would never ring.
TEST_F(FederationTest, AnOfferRightAfterTheCallerSignedInAgainRings) {
  link();
  auto alice = crypto::Identity::generate(), bob = crypto::Identity::generate();
  ConnectionId ca = a_->login(alice);
  ConnectionId cb = b_->login(bob);
  pump();
  next_presence_interval();
  a_->server->on_disconnect(ca, a_->now);
  pump();
  ASSERT_FALSE(b_->server->route_to(fingerprint_of(alice))) << "B heard alice leave at once";
  ConnectionId again = a_->login(alice);
  pump();
  a_->server->on_message(
      again, serialize(CallOffer{"c1", "", fingerprint_of(bob), {7}, {"opus"}, {}, {}}), a_->now);
  pump();
  EXPECT_EQ(b_->out.to<CallOffer>(cb).size(), 1u) << "bob's relay refused alice's offer";
  EXPECT_EQ(b_->federation->counters().messages_refused, 0u);
}

// A call bob on B does not answer in time is a missed call on B, where bob
// signs in; an offer to a user busy on B ends `busy`.
TEST_F(FederationTest, ACrossRelayCallTimesOutAsAMissedCallOnTheCalleesRelay) {
  link();
  auto alice = crypto::Identity::generate(), bob = crypto::Identity::generate();
  ConnectionId ca = a_->login(alice);
  ConnectionId cb = b_->login(bob);
  pump();
  a_->server->on_message(ca, serialize(CallOffer{"c2", "", fingerprint_of(bob), {1}, {}, {}, {}}),
                         a_->now);
  pump();
  ASSERT_EQ(b_->out.to<CallOffer>(cb).size(), 1u);
  for (Relay *relay : {a_.get(), b_.get()}) {
    relay->now.steady += CallSettings{}.ring_timeout;
    relay->server->tick(relay->now);
  }
  pump();
  EXPECT_EQ(a_->out.last<CallHangup>(ca).reason, "timeout");
  EXPECT_EQ(b_->out.last<CallHangup>(cb).reason, "timeout");
  b_->settle();
  // Bob's next sign-in on B lists it.
  ConnectionId again = b_->login(bob);
  auto missed = b_->out.last<MissedCalls>(again);
  ASSERT_EQ(missed.calls.size(), 1u);
  EXPECT_EQ(missed.calls[0].caller, fingerprint_of(alice));
}

// A linked relay speaks only for the users it reported: an offer in the
// name of someone else (here alice, signed in on A itself) is refused and
// counted, and rings no one.
TEST_F(FederationTest, AForgedCallerIsRefusedAndCounted) {
  link();
  auto alice = crypto::Identity::generate(), carol = crypto::Identity::generate();
  ConnectionId ca = a_->login(alice);
  ConnectionId cc = a_->login(carol);
  pump();
  auto forged = [&](const crypto::Identity &caller, const std::string &call_id) {
    CallOffer offer{call_id, fingerprint_of(caller), fingerprint_of(carol), {1}, {}, {}, {}};
    auto key = caller.signing_public_key();
    std::string key_text(sodium_base64_encoded_len(key.size(), sodium_base64_VARIANT_ORIGINAL), 0);
    sodium_bin2base64(key_text.data(), key_text.size(), key.data(), key.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    key_text.pop_back();
    return nlohmann::json{
        {"type", "fed_call"}, {"message", serialize(offer)}, {"public_key", key_text}}
        .dump();
  };
  const uint64_t refused = a_->federation->counters().messages_refused;
  a_->federation->on_message(kLink, forged(alice, "f1"), a_->now);
  auto stranger = crypto::Identity::generate();  // never reported by B
  a_->federation->on_message(kLink, forged(stranger, "f2"), a_->now);
  EXPECT_EQ(a_->federation->counters().messages_refused, refused + 2);
  const auto &refusals = a_->federation->counters().call_refusals;
  EXPECT_EQ(refusals[static_cast<size_t>(CallRefusal::kCallerHere)], 1u);
  EXPECT_EQ(refusals[static_cast<size_t>(CallRefusal::kOffRoute)], 1u);
  EXPECT_TRUE(a_->out.to<CallOffer>(cc).empty());
  EXPECT_TRUE(a_->out.to<CallOffer>(ca).empty());
  EXPECT_EQ(a_->server->gauges().calls_offered, 0u);
}

// Room quality across the link: the reports of a member on B whose path is
// lossy (as B took them, checked against the member's leg) cross as
// fed_report and pull the room down on A too, naming that member.
TEST_F(FederationTest, ARemoteMembersReportsCountInTheRoomsWeakestLink) {
  link();
  auto alice = crypto::Identity::generate(), bob = crypto::Identity::generate();
  ConnectionId ca = a_->join(alice);
  pump();
  ConnectionId cb = b_->join(bob);
  pump();
  a_->out.clear();
  const auto lossy = wire::QualityReport::from(0.60, 300, 40, 100);
  const int reports =
      quality::room_controller_config().bad_to_step_down +
      static_cast<int>(
          std::chrono::ceil<std::chrono::seconds>(quality::RoomPolicy{}.member_down_hold).count());
  for (int i = 0; i < reports; ++i) {
    for (Relay *relay : {a_.get(), b_.get()}) {
      relay->now.steady += std::chrono::seconds(1);
      relay->now.unix_seconds += 1;
      relay->server->tick(relay->now);
    }
    wire::MediaHeader header;
    header.codec = wire::codec::kOpus;
    header.stream_id = crypto::sender_id_of(bob.fingerprint());
    header.sequence = static_cast<uint32_t>(i + 1);
    header.timestamp = static_cast<uint32_t>(i + 1) * 48000;
    std::vector<uint8_t> packet(wire::kMaxPacketSize);
    packet.resize(wire::write_full(header, &lossy, packet));
    packet.push_back(1);
    b_->server->on_datagram(cb, packet, b_->now.steady);
    pump();
  }
  auto directive = a_->out.last<QualityDirective>(ca);
  EXPECT_EQ(directive.tier, quality::Tier::kCatastrophic);
  EXPECT_EQ(directive.reason, "weakest link " + fingerprint_of(bob).substr(0, 9));
  EXPECT_EQ(a_->federation->counters().messages_refused, 0u);
}

// A linked relay that floods: beyond its burst its messages are dropped
// unread and counted; a second later its budget has refilled.
TEST_F(FederationTest, AFloodFromALinkedRelayIsDroppedAndCounted) {
  link();
  const uint64_t taken_before = b_->federation->counters().messages_received;
  auto user = crypto::Identity::generate();
  const std::string presence = R"({"type":"fed_presence","fingerprint":")" + fingerprint_of(user) +
                               R"(","devices":1,"online":true})";
  const auto flood = static_cast<uint64_t>(kLinkMessageBurst) + 5000;
  for (uint64_t i = 0; i < flood; ++i) b_->federation->on_message(kLink, presence, b_->now);
  const auto &counters = b_->federation->counters();
  EXPECT_GE(counters.messages_rate_limited, 5000u);
  EXPECT_LE(counters.messages_received - taken_before, static_cast<uint64_t>(kLinkMessageBurst));
  EXPECT_EQ(counters.messages_received - taken_before + counters.messages_rate_limited, flood);
  EXPECT_FALSE(b_->pipe.closed);
  b_->now.steady += std::chrono::seconds(1);
  const uint64_t limited = counters.messages_rate_limited;
  b_->federation->on_message(kLink, presence, b_->now);
  EXPECT_EQ(counters.messages_rate_limited, limited);
}

// The envelope of multi-hop: a message whose id was seen is dropped and
// counted (the loop guard), a hop count out of 1..kMaxHops or an id that is
// not 32 lowercase hex digits is refused, and a taken message with one hop
// left goes no further.
TEST_F(FederationTest, SeenIdsBadHopsAndBadIdsAreCounted) {
  link();
  auto user = crypto::Identity::generate();
  auto presence = [&](const std::string &envelope) {
    return R"({"type":"fed_presence","fingerprint":")" + fingerprint_of(user) +
           R"(","devices":1,"online":true)" + envelope + "}";
  };
  const auto before = b_->federation->counters();
  const std::string id = R"(,"id":"00112233445566778899aabbccddeeff")";
  b_->federation->on_message(kLink, presence(id + R"(,"hops":1)"), b_->now);
  EXPECT_TRUE(b_->server->presence_of(fingerprint_of(user)));
  b_->federation->on_message(kLink, presence(id + R"(,"hops":1)"), b_->now);
  b_->federation->on_message(kLink, presence(R"(,"hops":9)"), b_->now);
  b_->federation->on_message(kLink, presence(R"(,"hops":0)"), b_->now);
  b_->federation->on_message(kLink, presence(R"(,"id":"XYZ")"), b_->now);
  b_->federation->on_message(kLink, presence(R"(,"id":"00112233445566778899AABBCCDDEEFF")"),
                             b_->now);
  const auto &after = b_->federation->counters();
  EXPECT_EQ(after.messages_duplicate - before.messages_duplicate, 1u);
  EXPECT_EQ(after.messages_refused - before.messages_refused, 4u);
  EXPECT_EQ(after.messages_out_of_hops - before.messages_out_of_hops, 1u);
  EXPECT_FALSE(b_->pipe.closed);
}

TEST_F(FederationTest, MembersPresentBeforeTheLinkAreAnnouncedAndLostWithIt) {
  auto alice = crypto::Identity::generate(), bob = crypto::Identity::generate();
  a_->trust(*b_);
  b_->trust(*a_);
  ConnectionId ca = a_->join(alice);
  ConnectionId cb = b_->join(bob);
  a_->federation->on_link_up(kLink, b_->fingerprint(), a_->now.steady);
  b_->federation->on_link_up(kLink, std::nullopt, b_->now.steady);
  pump();
  EXPECT_EQ(a_->out.last<RoomEvent>(ca).fingerprint, fingerprint_of(bob));
  EXPECT_EQ(b_->out.last<RoomEvent>(cb).fingerprint, fingerprint_of(alice));

  a_->federation->on_link_down(kLink, a_->now);
  auto gone = a_->out.last<RoomEvent>(ca);
  EXPECT_EQ(gone.fingerprint, fingerprint_of(bob));
  EXPECT_FALSE(gone.joined);
  a_->out.clear();
  a_->server->on_datagram(ca, media_packet(1), a_->now.steady);
  EXPECT_TRUE(a_->pipe.datagrams.empty());
}

// A member whose relay died signs in to this one and joins again before
// this relay gives the dead one up: the link's copy leaves first (the
// others take it for a new member and exchange keys again), and losing
// the link later does not take the member, here now, away.
TEST_F(FederationTest, AMemberThatMovesHereBeforeItsRelayIsGivenUpStays) {
  auto alice = crypto::Identity::generate(), bob = crypto::Identity::generate();
  link();
  ConnectionId ca = a_->join(alice);
  b_->join(bob);
  pump();
  ASSERT_EQ(a_->out.last<RoomEvent>(ca).fingerprint, fingerprint_of(bob));
  a_->out.clear();
  ConnectionId moved = a_->join(bob);
  auto events = a_->out.to<RoomEvent>(ca);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].fingerprint, fingerprint_of(bob));
  EXPECT_FALSE(events[0].joined);
  EXPECT_EQ(events[1].fingerprint, fingerprint_of(bob));
  EXPECT_TRUE(events[1].joined);
  a_->out.clear();
  a_->federation->on_link_down(kLink, a_->now);
  EXPECT_TRUE(a_->out.to<RoomEvent>(ca).empty()) << "bob, here now, did not leave";
  a_->server->on_datagram(moved, media_packet(1), a_->now.steady);
  ASSERT_EQ(a_->out.forwarded.size(), 1u);
  EXPECT_EQ(a_->out.forwarded[0].first, ca);
}

TEST_F(FederationTest, UsersOfALinkedRelayAppearInPresenceAndResolution) {
  auto alice = crypto::Identity::generate(), bob = crypto::Identity::generate(),
       carol = crypto::Identity::generate();
  ConnectionId ca = a_->login(alice);
  ConnectionId cb = b_->login(bob);
  link();
  // Bob, online on B before the link, is announced on linking.
  auto update = a_->out.last<PresenceUpdate>(ca);
  EXPECT_EQ(update.user.fingerprint, fingerprint_of(bob));
  EXPECT_TRUE(update.online);
  next_presence_interval();
  b_->server->on_message(cb, serialize(AliasClaim{"bob"}, 1), b_->now);
  b_->settle();
  pump();
  EXPECT_EQ(a_->out.last<PresenceUpdate>(ca).user.alias, "bob");
  ASSERT_TRUE(a_->server->presence_of(fingerprint_of(bob)));
  EXPECT_EQ(a_->server->presence_list().size(), 2u);

  a_->server->on_message(ca, serialize(AliasResolve{"@bob"}, 2), a_->now);
  auto resolved = a_->out.last<AliasResolved>(ca);
  EXPECT_EQ(resolved.fingerprint, fingerprint_of(bob));
  EXPECT_EQ(resolved.alias, "bob");
  const std::string prefix = fingerprint_of(bob).substr(0, 9);
  a_->server->on_message(ca, serialize(AliasResolve{prefix}, 3), a_->now);
  EXPECT_EQ(a_->out.last<AliasResolved>(ca).fingerprint, fingerprint_of(bob));

  // Names are per relay: a local claim of the same alias wins here.
  ConnectionId cc = a_->login(carol);
  a_->server->on_message(cc, serialize(AliasClaim{"bob"}, 4), a_->now);
  a_->settle();
  a_->server->on_message(ca, serialize(AliasResolve{"@bob"}, 5), a_->now);
  EXPECT_EQ(a_->out.last<AliasResolved>(ca).fingerprint, fingerprint_of(carol));

  // Bob leaving B is seen on A; so is the link going, for everyone on B.
  next_presence_interval();
  b_->server->on_disconnect(cb, b_->now);
  pump();
  auto gone = a_->out.last<PresenceUpdate>(ca);
  EXPECT_EQ(gone.user.fingerprint, fingerprint_of(bob));
  EXPECT_FALSE(gone.online);
  EXPECT_FALSE(a_->server->presence_of(fingerprint_of(bob)));
  next_presence_interval();
  ConnectionId cb2 = b_->login(bob);
  pump();
  ASSERT_TRUE(a_->server->presence_of(fingerprint_of(bob)));
  a_->federation->on_link_down(kLink, a_->now);
  EXPECT_FALSE(a_->server->presence_of(fingerprint_of(bob)));
  EXPECT_FALSE(a_->out.last<PresenceUpdate>(ca).online);
  (void)cb2;
}

TEST_F(FederationTest, RoomsWithAnAllowListStayOnTheirRelay) {
  link();
  auto alice = crypto::Identity::generate(), bob = crypto::Identity::generate();
  a_->join(alice, {fingerprint_of(bob)});
  EXPECT_EQ(count_kind(a_->pipe, "fed_member"), 0u);
  EXPECT_EQ(count_kind(a_->pipe, "fed_presence"), 1u) << "Alice is online all the same";
  ConnectionId cb = b_->join(bob);
  pump();
  EXPECT_EQ(b_->out.to<RoomEvent>(cb).size(), 1u) << "only Bob's own join";
}

// JSON that two readers could read two ways is refused on the link as in
// the signal messages (issue 13, finding 7): nlohmann's reader stops at a
// raw NUL as at the end of the text, and lets a repeated key's last value win.
TEST_F(FederationTest, TrailingJunkAfterANulAndRepeatedKeysAreRefused) {
  link();
  auto stranger = crypto::Identity::generate();
  const std::string presence = R"({"type":"fed_presence","fingerprint":")" +
                               fingerprint_of(stranger) + R"(","devices":1,"online":true})";
  b_->federation->on_message(kLink, presence + std::string("\0{\"type\":\"junk\"}", 16), b_->now);
  b_->federation->on_message(kLink,
                             R"({"type":"fed_presence","fingerprint":")" +
                                 fingerprint_of(stranger) +
                                 R"(","devices":1,"online":false,"online":true})",
                             b_->now);
  EXPECT_EQ(b_->federation->counters().messages_refused, 2u);
  EXPECT_FALSE(b_->server->presence_of(fingerprint_of(stranger)));
  EXPECT_FALSE(b_->pipe.closed);
  // The same message, well formed, is taken.
  b_->federation->on_message(kLink, presence, b_->now);
  EXPECT_TRUE(b_->server->presence_of(fingerprint_of(stranger)));

  // Before authentication either one closes the link.
  b_->federation->on_link_up(kLink + 1, std::nullopt, b_->now.steady);
  b_->federation->on_message(kLink + 1,
                             R"({"type":"fed_hello","type":"fed_auth","signature":"AA"})", b_->now);
  ASSERT_TRUE(b_->pipe.closed);
  EXPECT_NE(b_->pipe.closed->find("malformed"), std::string::npos) << *b_->pipe.closed;
}

TEST_F(FederationTest, BadInputFromALinkedRelayIsCountedAndSkipped) {
  link();
  auto alice = crypto::Identity::generate(), stranger = crypto::Identity::generate();
  ConnectionId ca = a_->join(alice);
  pump();
  const std::string bad[] = {
      "not json",
      std::string(5000, '[') + std::string(5000, ']'),
      R"({"type":"fed_member","room":"xyz","fingerprint":"nope","joined":true})",
      R"({"type":"fed_member","room":")" + kFederatedRoom + R"(","fingerprint":")" +
          fingerprint_of(alice) + R"(","joined":true,"public_key":"AAAA"})",
      R"({"type":"fed_signal","room":")" + kFederatedRoom + R"(","from":")" +
          fingerprint_of(stranger) + R"(","to":"","payload":"AQID"})",  // not a member A announced
      R"({"type":"fed_future_thing"})",
      R"({"type":"fed_presence","fingerprint":")" + fingerprint_of(alice) +
          R"(","alias":"Not An Alias!","devices":1,"online":true})",
      R"({"type":"fed_presence","fingerprint":"x","devices":-1,"online":"yes"})",
  };
  for (const auto &text : bad) b_->federation->on_message(kLink, text, b_->now);
  EXPECT_EQ(b_->federation->counters().messages_refused, std::size(bad));
  b_->federation->on_datagram(kLink, std::vector<uint8_t>(8, 0));
  EXPECT_EQ(b_->federation->counters().datagrams_refused, 1u);
  std::vector<uint8_t> unknown_room(sizeof(RoomKey), 0xee);
  auto packet = media_packet(1);
  unknown_room.insert(unknown_room.end(), packet.begin(), packet.end());
  b_->federation->on_datagram(kLink, unknown_room);
  EXPECT_EQ(b_->server->counters().drops[static_cast<size_t>(DropReason::kNotInRoom)], 1u);
  EXPECT_FALSE(b_->pipe.closed);
  EXPECT_EQ(b_->federation->identity_of(kLink), a_->fingerprint());
  (void)ca;
}

}  // namespace
}  // namespace wzp::signald::testing

namespace wzp::signald::testing {
namespace {

// A cluster node that finds another dead (its key expired in Redis) stops
// trusting it: the link closes and its users and members go at once.
TEST_F(FederationTest, ARelayNoLongerTrustedLosesItsLinkAndItsUsersAtOnce) {
  auto alice = crypto::Identity::generate(), bob = crypto::Identity::generate();
  ConnectionId ca = a_->join(alice);
  b_->join(bob);
  link();
  ASSERT_EQ(a_->server->remote_users().size(), 1u);
  ASSERT_TRUE(a_->out.last<RoomEvent>(ca).joined);
  a_->out.clear();

  a_->federation->set_trusted(b_->fingerprint(), false, a_->now);
  EXPECT_TRUE(a_->pipe.closed);
  EXPECT_TRUE(a_->server->remote_users().empty());
  EXPECT_EQ(a_->federation->links_up(), 0u);
  auto gone = a_->out.last<RoomEvent>(ca);
  EXPECT_EQ(gone.fingerprint, fingerprint_of(bob));
  EXPECT_FALSE(gone.joined);
  auto offline = a_->out.last<PresenceUpdate>(ca);
  EXPECT_EQ(offline.user.fingerprint, fingerprint_of(bob));
  EXPECT_FALSE(offline.online);
  // The transport's close completes later; nothing is left to drop.
  a_->federation->on_link_down(kLink, a_->now);

  // Trusted again (the node came back): a new link authenticates.
  a_->pipe = Pipe{};
  b_->pipe = Pipe{};
  a_->federation->set_trusted(b_->fingerprint(), true, a_->now);
  a_->federation->on_link_up(kLink + 1, b_->fingerprint(), a_->now.steady);
  b_->federation->on_link_down(kLink, b_->now);
  b_->federation->on_link_up(kLink, std::nullopt, b_->now.steady);
  for (bool moved = true; moved;) {
    moved = false;
    while (!a_->pipe.messages.empty()) {
      b_->federation->on_message(kLink, a_->pipe.messages.front(), b_->now);
      a_->pipe.messages.pop_front();
      moved = true;
    }
    while (!b_->pipe.messages.empty()) {
      a_->federation->on_message(kLink + 1, b_->pipe.messages.front(), a_->now);
      b_->pipe.messages.pop_front();
      moved = true;
    }
  }
  EXPECT_EQ(a_->federation->identity_of(kLink + 1), b_->fingerprint());
  EXPECT_EQ(a_->server->remote_users().size(), 1u);
}

// In a full mesh (a cluster) a node passes nothing on: a node that links
// later hears this node's own users from it, and the others' from them.
TEST_F(FederationTest, AMeshNodeSendsOnlyItsOwnStateToANewLink) {
  auto alice = crypto::Identity::generate(), bob = crypto::Identity::generate();
  a_->trust(*b_);
  b_->trust(*a_);
  a_->federation->set_mesh(true);
  EXPECT_FALSE(a_->federation->passes_on());
  a_->login(alice);
  b_->login(bob);
  a_->federation->on_link_up(kLink, b_->fingerprint(), a_->now.steady);
  b_->federation->on_link_up(kLink, std::nullopt, b_->now.steady);
  pump();
  ASSERT_EQ(a_->server->remote_users().size(), 1u);

  // A third node links to A: the real handshake, by hand.
  auto c = crypto::Identity::generate();
  const std::string c_fingerprint = fingerprint_of(c);
  a_->federation->set_trusted(c_fingerprint, true, a_->now);
  a_->pipe.messages.clear();
  a_->federation->on_link_up(kLink + 1, std::nullopt, a_->now.steady);
  auto hello = nlohmann::json::parse(a_->pipe.messages.back());
  std::string a_nonce_text = hello["nonce"];
  std::vector<uint8_t> a_nonce(32);
  ASSERT_EQ(
      sodium_base642bin(a_nonce.data(), a_nonce.size(), a_nonce_text.data(), a_nonce_text.size(),
                        nullptr, nullptr, nullptr, sodium_base64_VARIANT_ORIGINAL),
      0);
  nlohmann::json c_hello = {
      {"type", "fed_hello"},
      {"public_key",
       nlohmann::json::parse(serialize(Hello{c.signing_public_key(), {}, ""}, {}))["public_key"]},
      {"nonce", a_nonce_text}};
  a_->federation->on_message(kLink + 1, c_hello.dump(), a_->now);
  auto signature = c.sign(federation_transcript(a_nonce, a_->fingerprint()));
  nlohmann::json c_auth = {
      {"type", "fed_auth"},
      {"signature", nlohmann::json::parse(serialize(Auth{signature}, {}))["signature"]}};
  a_->pipe.messages.clear();
  a_->federation->on_message(kLink + 1, c_auth.dump(), a_->now);
  ASSERT_EQ(a_->federation->identity_of(kLink + 1), c_fingerprint);
  std::vector<std::string> announced;
  for (const auto &text : a_->pipe.messages) {
    auto message = nlohmann::json::parse(text);
    if (message["type"] == "fed_presence") announced.push_back(message["fingerprint"]);
  }
  EXPECT_EQ(announced, std::vector{fingerprint_of(alice)}) << "only A's own user, not B's";
  EXPECT_EQ(a_->federation->counters().messages_forwarded, 0u);
}

}  // namespace
}  // namespace wzp::signald::testing
