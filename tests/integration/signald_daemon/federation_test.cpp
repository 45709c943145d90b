// Real wzp-signald processes federated over QUIC on loopback: each trusts
// the others' certificates and identities; a room spans them, each relay's
// users resolve and can be called on the others, a chain and a loop of three
// carry presence, rooms and calls without amplifying, and a linked relay that
// lies is refused.
#include "signald/core/federation.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>

#include "libwzp/crypto/member_card.hpp"
#include "libwzp/wire/header.hpp"
#include "tests/integration/signald_daemon/daemon.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/wait.hpp"

namespace wzp::signald::test {
namespace {

using namespace wzp::signal;
using wzp::test::prepare_relay;
using wzp::test::RelaySetup;

const std::string kRoom = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

// Two relays under root/a and root/b, each naming the other as --peer; of
// a pair, the relay whose identity sorts first dials the other (the listener).
struct LinkedRelays {
  RelaySetup listener, dialer;
  std::vector<std::string> listener_args, dialer_args;
};
LinkedRelays linked_relays(const std::filesystem::path &root) {
  RelaySetup a = prepare_relay(root / "a"), b = prepare_relay(root / "b");
  const bool a_dials = a.identity < b.identity;
  LinkedRelays pair{a_dials ? b : a, a_dials ? a : b, {}, {}};
  pair.listener_args = pair.listener.args();
  pair.dialer_args = pair.dialer.args();
  pair.listener_args.insert(pair.listener_args.end(), {"--peer", pair.dialer.as_peer()});
  pair.dialer_args.insert(pair.dialer_args.end(), {"--peer", pair.listener.as_peer()});
  return pair;
}

std::vector<uint8_t> media_packet(uint32_t sequence) {
  wire::MediaHeader header;
  header.codec = wire::codec::kOpus;
  header.stream_id = 5;
  header.sequence = sequence;
  std::vector<uint8_t> packet(wire::kMaxPacketSize);
  packet.resize(wire::write_full(header, nullptr, packet));
  packet.insert(packet.end(), 32, 0x77);
  return packet;
}

// Waits for the room event about `who`.
std::optional<RoomEvent> event_about(Client &client, const std::string &who) {
  for (int i = 0; i < 10; ++i) {
    auto event = client.wait_for<RoomEvent>(2s);
    if (event && event->fingerprint == who) return event;
  }
  return std::nullopt;
}

TEST(SignaldFederation, ARoomSpansTwoRelays) {
  auto root = wzp::test::make_temp_dir("signald-federation");
  RelaySetup a = prepare_relay(root / "a"), b = prepare_relay(root / "b");
  ASSERT_FALSE(a.identity.empty());
  ASSERT_FALSE(b.identity.empty());
  auto a_args = a.args(), b_args = b.args();
  a_args.insert(a_args.end(), {"--peer", b.as_peer()});
  b_args.insert(b_args.end(), {"--peer", a.as_peer()});
  Daemon relay_a(a.dir, a_args);
  auto relay_b = std::make_unique<Daemon>(b.dir, b_args);
  ASSERT_TRUE(relay_a.ready());
  ASSERT_TRUE(relay_b->ready());

  auto alice = crypto::Identity::generate(), bob = crypto::Identity::generate();
  Client on_a(relay_a), on_b(*relay_b);
  ASSERT_TRUE(on_a.login(alice));
  ASSERT_TRUE(on_b.login(bob));
  on_a.send(RoomJoin{kRoom, {}}, 1);
  on_b.send(RoomJoin{kRoom, {}}, 1);
  // Once the relays have linked (dial, handshake, mutual signatures), each
  // member hears of the other, with the key to check their signals.
  auto bob_seen = event_about(on_a, fingerprint(bob));
  ASSERT_TRUE(bob_seen) << "the relays did not link";
  EXPECT_TRUE(bob_seen->joined);
  EXPECT_EQ(bob_seen->public_key, bob.signing_public_key());
  auto alice_seen = event_about(on_b, fingerprint(alice));
  ASSERT_TRUE(alice_seen);
  EXPECT_EQ(alice_seen->participants, 2u);

  // Media both ways, unchanged.
  const auto packet = media_packet(1), reply = media_packet(2);
  ASSERT_TRUE(on_a.send_datagram(packet));
  ASSERT_TRUE(on_b.wait_datagrams(1));
  EXPECT_EQ(on_b.datagrams().front(), packet);
  ASSERT_TRUE(on_b.send_datagram(reply));
  ASSERT_TRUE(on_a.wait_datagrams(1));
  EXPECT_EQ(on_a.datagrams().front(), reply);

  // A room signal crosses too, its sender vouched for by B.
  on_b.send(RoomSignal{kRoom, "", fingerprint(alice), {4, 5, 6}});
  auto signal = on_a.wait_for<RoomSignal>();
  ASSERT_TRUE(signal);
  EXPECT_EQ(signal->from, fingerprint(bob));
  EXPECT_EQ(signal->payload, (Bytes{4, 5, 6}));

  // B's users are known on A: an alias claimed on B resolves on A.
  on_b.send(AliasClaim{"bob"}, 2);
  ASSERT_TRUE(on_b.wait_for<Ok>());
  std::optional<PresenceUpdate> renamed;
  for (int i = 0; i < 10 && !(renamed && renamed->user.alias == "bob"); ++i) {
    renamed = on_a.wait_for<PresenceUpdate>(2s);
  }
  ASSERT_TRUE(renamed && renamed->user.alias == "bob");
  on_a.send(AliasResolve{"@bob"}, 3);
  auto resolved = on_a.wait_for<AliasResolved>();
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->fingerprint, fingerprint(bob));
  EXPECT_NE(relay_a.get("/presence/" + fingerprint(bob)).status, 404u);
  const std::string metrics = relay_a.get("/metrics").body;
  for (const char *line :
       {"wzp_signald_federation_links 1\n", "wzp_signald_federation_remote_users 1\n",
        "wzp_signald_federation_remote_participants 1\n",
        "wzp_signald_federation_links_refused_total 0\n"}) {
    EXPECT_NE(metrics.find(line), std::string::npos) << line << metrics;
  }

  // When B goes away its members leave the room on A.
  relay_b.reset();
  auto gone = event_about(on_a, fingerprint(bob));
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->joined);
  EXPECT_EQ(gone->participants, 1u);
  std::filesystem::remove_all(root);
}

// Connections that finish QUIC's handshake on the federation port but never
// sign in (anyone who can reach the port can open them) neither keep a
// trusted relay out nor stay: each is closed kLinkAuthTimeout after it came up.
TEST(SignaldFederation, SilentConnectionsDoNotKeepARelayOut) {
  auto root = wzp::test::make_temp_dir("signald-federation-silent");
  auto [listener, dialer, listener_args, dialer_args] = linked_relays(root);
  Daemon relay_l(listener.dir, listener_args);
  ASSERT_TRUE(relay_l.ready());

  quic::EndpointConfig config;
  // Another address than the relay's (from its own, the relay's link would
  // close the older of the two: OneAddressCannotHoldEveryFederationSlot).
  config.bind_address = "127.0.0.3";
  config.tls.alpn = {kFederationAlpn};
  config.tls.server_fingerprint = listener.certificate;
  std::string error;
  auto silent_endpoint = quic::Endpoint::create(config, nullptr, error);
  ASSERT_TRUE(silent_endpoint) << error;
  std::vector<std::shared_ptr<quic::Connection>> silent;
  for (int i = 0; i < 2; ++i) {
    silent.push_back(silent_endpoint->dial("127.0.0.1", listener.federation_port, {}, error));
    ASSERT_TRUE(silent.back()) << error;
    ASSERT_TRUE(silent.back()->wait_established(5s)) << silent.back()->error();
  }
  const auto silent_up = std::chrono::steady_clock::now();

  Daemon relay_d(dialer.dir, dialer_args);
  ASSERT_TRUE(relay_d.ready());
  EXPECT_TRUE(wzp::test::wait_until(
      [&] {
        return relay_l.get("/metrics").body.find("wzp_signald_federation_links 1\n") !=
               std::string::npos;
      },
      std::chrono::milliseconds(kLinkAuthTimeout) / 2))
      << "the trusted relay did not link while the silent connections were open";

  for (auto &connection : silent) {
    ASSERT_TRUE(connection->wait_closed(kLinkAuthTimeout + 5s));
    EXPECT_NE(connection->error().find("did not authenticate"), std::string::npos)
        << connection->error();
  }
  EXPECT_GE(std::chrono::steady_clock::now() - silent_up, kLinkAuthTimeout - 1s);
  std::filesystem::remove_all(root);
}

// The federation port takes 2 connections per configured peer plus 8 spare;
// silent connections from one address could hold all of them (10 here),
// each for kLinkAuthTimeout, again and again, and keep the trusted relay
// out. One address now holds at most kMaxWaitingLinksPerSource links that
// have not authenticated, the newest: a newer one closes the oldest (issue
// 13, finding 4). Here the silent ones come from the relay's own address.
TEST(SignaldFederation, OneAddressCannotHoldEveryFederationSlot) {
  auto root = wzp::test::make_temp_dir("signald-federation-flood");
  auto [listener, dialer, listener_args, dialer_args] = linked_relays(root);
  Daemon relay_l(listener.dir, listener_args);
  ASSERT_TRUE(relay_l.ready());

  constexpr size_t kSlots = 2 * 1 + 8;  // the listener's federation port
  constexpr size_t kPerSource = 2;      // kMaxWaitingLinksPerSource
  quic::EndpointConfig config;
  config.bind_address = "127.0.0.1";  // the dialing relay's too
  config.tls.alpn = {kFederationAlpn};
  config.tls.server_fingerprint = listener.certificate;
  std::string error;
  auto silent_endpoint = quic::Endpoint::create(config, nullptr, error);
  ASSERT_TRUE(silent_endpoint) << error;
  std::vector<std::shared_ptr<quic::Connection>> silent;
  for (size_t i = 0; i < kSlots; ++i) {
    silent.push_back(silent_endpoint->dial("127.0.0.1", listener.federation_port, {}, error));
    ASSERT_TRUE(silent.back()) << error;
    // The ones beyond the address's share may be closed before this returns.
    (void)silent.back()->wait_established(5s);
  }

  Daemon relay_d(dialer.dir, dialer_args);
  ASSERT_TRUE(relay_d.ready());
  EXPECT_TRUE(wzp::test::wait_until(
      [&] {
        return relay_l.get("/metrics").body.find("wzp_signald_federation_links 1\n") !=
               std::string::npos;
      },
      std::chrono::milliseconds(kLinkAuthTimeout) / 2))
      << "the trusted relay did not link while the silent connections were open";
  // The newer ones stood until the relay came: one of them is still open.
  EXPECT_FALSE(silent[kSlots - 1]->wait_closed(0ms));
  // The older ones were closed as newer ones came, saying why.
  for (size_t i = 0; i + kPerSource < kSlots; ++i) {
    EXPECT_TRUE(silent[i]->wait_closed(0ms)) << "connection " << i << " was kept";
    EXPECT_NE(silent[i]->error().find("waiting to authenticate"), std::string::npos)
        << silent[i]->error();
  }
  std::filesystem::remove_all(root);
}

// A media packet from `who`, with its sender id as its stream id, as room
// members send them: relays in between pass a member's media on by it.
std::vector<uint8_t> media_from(const crypto::Identity &who, uint32_t sequence) {
  wire::MediaHeader header;
  header.codec = wire::codec::kOpus;
  header.stream_id = crypto::sender_id_of(who.fingerprint());
  header.sequence = sequence;
  std::vector<uint8_t> packet(wire::kMaxPacketSize);
  packet.resize(wire::write_full(header, nullptr, packet));
  packet.insert(packet.end(), 24, 0x5a);
  return packet;
}

// A metric's value in a /metrics page; 0 if absent.
uint64_t metric(const Daemon &daemon, const std::string &name) {
  const std::string body = daemon.get("/metrics").body;
  const size_t at = body.find("\n" + name + " ");
  return at == std::string::npos ? 0 : std::stoull(body.substr(at + name.size() + 2));
}

// Relays under root/<index>: their certificates and identities.
std::vector<RelaySetup> prepare_relays(const std::filesystem::path &root, size_t count) {
  std::vector<RelaySetup> setups;
  for (size_t i = 0; i < count; ++i) {
    setups.push_back(prepare_relay(root / std::to_string(i)));
  }
  return setups;
}

// Relay `i`, linked to the ones `links` pairs it with.
std::unique_ptr<Daemon> start_relay(const std::vector<RelaySetup> &setups, size_t i,
                                    const std::vector<std::pair<size_t, size_t>> &links) {
  auto args = setups[i].args();
  for (auto [x, y] : links) {
    if (x == i) args.insert(args.end(), {"--peer", setups[y].as_peer()});
    if (y == i) args.insert(args.end(), {"--peer", setups[x].as_peer()});
  }
  return std::make_unique<Daemon>(setups[i].dir, args);
}

std::vector<std::unique_ptr<Daemon>> start_relays(
    const std::filesystem::path &root, size_t count,
    const std::vector<std::pair<size_t, size_t>> &links) {
  auto setups = prepare_relays(root, count);
  std::vector<std::unique_ptr<Daemon>> relays;
  for (size_t i = 0; i < count; ++i) relays.push_back(start_relay(setups, i, links));
  return relays;
}

// Whether `query` resolves to `who` for `client`.
bool resolves(Client &client, const std::string &query, const crypto::Identity &who) {
  static uint64_t request = 1000;
  client.send(AliasResolve{query}, ++request);
  auto resolved = client.wait_for<AliasResolved>(500ms);
  return resolved && resolved->fingerprint == fingerprint(who);
}

// A call to a user of the linked relay that the caller gives up on before
// it is answered is a missed call on the callee's relay, listed at the
// callee's next sign-in there, as on one relay.
TEST(SignaldFederation, AnUnansweredCallAcrossTheLinkIsMissedOnTheCalleesRelay) {
  auto root = wzp::test::make_temp_dir("signald-federation-missed");
  auto relays = start_relays(root, 2, {{0, 1}});
  for (const auto &relay : relays) ASSERT_TRUE(relay->ready());
  auto alice = crypto::Identity::generate(), bob = crypto::Identity::generate();
  Client on_a(*relays[0]);
  auto on_b = std::make_unique<Client>(*relays[1]);
  ASSERT_TRUE(on_a.login(alice));
  ASSERT_TRUE(on_b->login(bob));
  const std::string bob_prefix = fingerprint(bob).substr(0, 9);
  ASSERT_TRUE(wzp::test::wait_until([&] { return resolves(on_a, bob_prefix, bob); }, 20s));
  on_a.send(CallOffer{"missed-across", "", bob_prefix, {1}, {"opus"}, {}, {}});
  ASSERT_TRUE(on_b->wait_for<CallOffer>());
  on_a.send(CallHangup{"missed-across", "normal"});
  auto hangup = on_b->wait_for<CallHangup>();
  ASSERT_TRUE(hangup);
  EXPECT_EQ(hangup->reason, "normal");
  on_b.reset();
  Client again(*relays[1]);
  ASSERT_TRUE(again.login(bob));
  auto missed = again.wait_for<MissedCalls>();
  ASSERT_TRUE(missed);
  ASSERT_EQ(missed->calls.size(), 1u);
  EXPECT_EQ(missed->calls[0].caller, fingerprint(alice));
  EXPECT_EQ(missed->calls[0].call_id, "missed-across");
  std::filesystem::remove_all(root);
}

// Multi-hop: A and C are not linked, B links to both. Presence and aliases
// resolve across the chain, an open room spans A and C (its media passed on
// by B), and a direct call from A to C rings, connects and carries media.
TEST(SignaldFederation, AChainOfThreeRelaysCarriesPresenceRoomsAndCalls) {
  auto root = wzp::test::make_temp_dir("signald-federation-chain");
  auto relays = start_relays(root, 3, {{0, 1}, {1, 2}});
  ASSERT_EQ(relays.size(), 3u);
  for (const auto &relay : relays) ASSERT_TRUE(relay->ready());
  auto alice = crypto::Identity::generate(), carol = crypto::Identity::generate();
  Client on_a(*relays[0]), on_c(*relays[2]);
  ASSERT_TRUE(on_a.login(alice));
  ASSERT_TRUE(on_c.login(carol));
  on_c.send(AliasClaim{"carol"}, 1);
  ASSERT_TRUE(on_c.wait_for<Ok>());

  // Carol's alias, claimed on C, resolves on A through B.
  ASSERT_TRUE(wzp::test::wait_until([&] { return resolves(on_a, "@carol", carol); }, 20s))
      << "carol did not become known on A";
  EXPECT_NE(relays[0]->get("/presence/" + fingerprint(carol)).status, 404u);

  // An open room with a member on A and one on C.
  on_a.send(RoomJoin{kRoom, {}}, 2);
  on_c.send(RoomJoin{kRoom, {}}, 2);
  auto carol_seen = event_about(on_a, fingerprint(carol));
  ASSERT_TRUE(carol_seen);
  EXPECT_EQ(carol_seen->public_key, carol.signing_public_key());
  ASSERT_TRUE(event_about(on_c, fingerprint(alice)));
  const auto from_alice = media_from(alice, 1), from_carol = media_from(carol, 1);
  ASSERT_TRUE(on_a.send_datagram(from_alice));
  ASSERT_TRUE(on_c.wait_datagrams(1));
  EXPECT_EQ(on_c.datagrams().front(), from_alice);
  ASSERT_TRUE(on_c.send_datagram(from_carol));
  ASSERT_TRUE(on_a.wait_datagrams(1));
  EXPECT_EQ(on_a.datagrams().front(), from_carol);
  on_a.send(RoomLeave{kRoom}, 3);
  on_c.send(RoomLeave{kRoom}, 3);
  // The oks of the room's join and leave, in order, so that the next ok
  // each waits for is its join of the call's room.
  for (Client *client : {&on_a, &on_c}) {
    ASSERT_TRUE(client->wait_for<Ok>());
    ASSERT_TRUE(client->wait_for<Ok>());
  }

  // A direct call from A to C, through B.
  on_a.send(CallOffer{"chain-call", "", "@carol", {1}, {"opus"}, {}, {"192.0.2.1:9"}});
  auto offer = on_c.wait_for<CallOffer>();
  ASSERT_TRUE(offer) << "the offer did not reach C";
  EXPECT_EQ(offer->caller, fingerprint(alice));
  on_c.send(CallRinging{"chain-call"});
  ASSERT_TRUE(on_a.wait_for<CallRinging>());
  on_c.send(CallAnswer{"chain-call", AnswerMode::kAccept, {2}, {"198.51.100.3:9"}});
  auto answer = on_a.wait_for<CallAnswer>();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->key_agreement, (Bytes{2}));
  auto setup_a = on_a.wait_for<CallSetup>(), setup_c = on_c.wait_for<CallSetup>();
  ASSERT_TRUE(setup_a && setup_c);
  EXPECT_EQ(setup_a->relay_room, setup_c->relay_room);
  EXPECT_EQ(setup_a->peer_candidates, (std::vector<std::string>{"198.51.100.3:9"}));
  EXPECT_EQ(setup_c->peer_candidates, (std::vector<std::string>{"192.0.2.1:9"}));
  on_a.send(CallConfirm{"chain-call", {3}});
  auto confirm = on_c.wait_for<CallConfirm>();
  ASSERT_TRUE(confirm);
  EXPECT_EQ(confirm->key_agreement, (Bytes{3}));
  on_a.send(RoomJoin{setup_a->relay_room, {}}, 4);
  on_c.send(RoomJoin{setup_c->relay_room, {}}, 4);
  ASSERT_TRUE(on_a.wait_for<Ok>());
  ASSERT_TRUE(on_c.wait_for<Ok>());
  const auto call_a = media_from(alice, 7), call_c = media_from(carol, 7);
  ASSERT_TRUE(on_a.send_datagram(call_a));
  ASSERT_TRUE(on_c.wait_datagrams(2));
  EXPECT_EQ(on_c.datagrams().back(), call_a);
  ASSERT_TRUE(on_c.send_datagram(call_c));
  ASSERT_TRUE(on_a.wait_datagrams(2));
  EXPECT_EQ(on_a.datagrams().back(), call_c);
  EXPECT_EQ(metric(*relays[1], "wzp_signald_calls{state=\"active\"}"), 1u);
  on_a.send(CallHangup{"chain-call", "normal"});
  auto hangup = on_c.wait_for<CallHangup>();
  ASSERT_TRUE(hangup);
  EXPECT_EQ(hangup->reason, "normal");
  for (const auto &relay : relays) {
    EXPECT_EQ(metric(*relay, "wzp_signald_federation_messages_refused_total"), 0u);
  }

  // When C goes away, B says so to A: carol goes offline there too.
  relays[2].reset();
  std::optional<PresenceUpdate> gone;
  for (int i = 0;
       i < 20 && !(gone && gone->user.fingerprint == fingerprint(carol) && !gone->online); ++i) {
    gone = on_a.wait_for<PresenceUpdate>(1s);
  }
  ASSERT_TRUE(gone && gone->user.fingerprint == fingerprint(carol) && !gone->online);
  EXPECT_EQ(relays[0]->get("/presence/" + fingerprint(carol)).status, 404u);
  std::filesystem::remove_all(root);
}

// A loop of links heals: A–D–C first, so A knows carol (on C) and the room's
// member through D; then B links A and C; when D goes away A learns carol
// and the member again through B (B answers A's withdrawal with its own
// route), and the room's media flows A–B–C.
TEST(SignaldFederation, ALoopOfLinksHealsWhenARelayGoesAway) {
  auto root = wzp::test::make_temp_dir("signald-federation-heal");
  constexpr size_t kA = 0, kB = 1, kC = 2, kD = 3;
  const std::vector<std::pair<size_t, size_t>> links = {{kA, kD}, {kD, kC}, {kA, kB}, {kB, kC}};
  auto setups = prepare_relays(root, 4);
  std::unique_ptr<Daemon> relays[4];
  for (size_t i : {kA, kD, kC}) {
    relays[i] = start_relay(setups, i, links);
    ASSERT_TRUE(relays[i]->ready());
  }
  auto alice = crypto::Identity::generate(), carol = crypto::Identity::generate();
  Client on_a(*relays[kA]), on_c(*relays[kC]);
  ASSERT_TRUE(on_a.login(alice));
  ASSERT_TRUE(on_c.login(carol));
  on_a.send(RoomJoin{kRoom, {}}, 1);
  on_c.send(RoomJoin{kRoom, {}}, 1);
  ASSERT_TRUE(event_about(on_a, fingerprint(carol)));
  ASSERT_TRUE(resolves(on_a, fingerprint(carol).substr(0, 9), carol));
  relays[kB] = start_relay(setups, kB, links);
  ASSERT_TRUE(relays[kB]->ready());
  ASSERT_TRUE(wzp::test::wait_until(
      [&] { return metric(*relays[kB], "wzp_signald_federation_remote_participants") == 2; }, 20s));

  relays[kD].reset();
  ASSERT_TRUE(wzp::test::wait_until(
      [&] {
        return metric(*relays[kA], "wzp_signald_federation_links") == 1 &&
               metric(*relays[kC], "wzp_signald_federation_links") == 1;
      },
      20s));
  EXPECT_TRUE(wzp::test::wait_until(
      [&] { return resolves(on_a, fingerprint(carol).substr(0, 9), carol); }, 10s))
      << "A did not learn carol again through B";
  EXPECT_TRUE(wzp::test::wait_until(
      [&] {
        return metric(*relays[kA], "wzp_signald_federation_remote_participants") == 1 &&
               metric(*relays[kC], "wzp_signald_federation_remote_participants") == 1;
      },
      10s))
      << "the room did not heal";
  const size_t before = on_c.datagrams().size();
  const auto packet = media_from(alice, 3);
  ASSERT_TRUE(on_a.send_datagram(packet));
  ASSERT_TRUE(on_c.wait_datagrams(before + 1));
  EXPECT_EQ(on_c.datagrams().back(), packet);
  std::filesystem::remove_all(root);
}

// A loop of links A–B–C–A: a user's presence reaches every relay, and each
// copy that comes round the loop is dropped by its id (counted), so one
// change costs a bounded number of messages: each relay receives it at most
// once per link (2 links x 3 relays), whatever the hop limit.
TEST(SignaldFederation, ALoopOfLinksDoesNotAmplifyMessages) {
  auto root = wzp::test::make_temp_dir("signald-federation-loop");
  auto relays = start_relays(root, 3, {{0, 1}, {1, 2}, {2, 0}});
  ASSERT_EQ(relays.size(), 3u);
  for (const auto &relay : relays) ASSERT_TRUE(relay->ready());
  ASSERT_TRUE(wzp::test::wait_until(
      [&] {
        return std::all_of(relays.begin(), relays.end(), [](const auto &relay) {
          return metric(*relay, "wzp_signald_federation_links") == 2;
        });
      },
      20s))
      << "the relays did not all link";
  auto total = [&](const std::string &name) {
    uint64_t sum = 0;
    for (const auto &relay : relays) sum += metric(*relay, name);
    return sum;
  };
  const uint64_t received_before = total("wzp_signald_federation_messages_received_total");
  const uint64_t duplicate_before = total("wzp_signald_federation_messages_duplicate_total");

  // Users signing in to A, one presence change each.
  constexpr uint64_t kUsers = 6;
  std::vector<std::unique_ptr<Client>> users;
  for (uint64_t i = 0; i < kUsers; ++i) {
    users.push_back(std::make_unique<Client>(*relays[0]));
    ASSERT_TRUE(users.back()->login(crypto::Identity::generate()));
  }
  // Every change reached B and C, directly and round the loop.
  ASSERT_TRUE(wzp::test::wait_until(
      [&] {
        return metric(*relays[1], "wzp_signald_federation_remote_users") == kUsers &&
               metric(*relays[2], "wzp_signald_federation_remote_users") == kUsers &&
               total("wzp_signald_federation_messages_duplicate_total") - duplicate_before >=
                   2 * kUsers;
      },
      20s))
      << relays[1]->get("/metrics").body;
  const uint64_t received =
      total("wzp_signald_federation_messages_received_total") - received_before;
  const uint64_t duplicates =
      total("wzp_signald_federation_messages_duplicate_total") - duplicate_before;
  std::printf(
      "%llu presence changes on a loop of 3 relays: %llu messages received, %llu "
      "dropped as seen before\n",
      static_cast<unsigned long long>(kUsers), static_cast<unsigned long long>(received),
      static_cast<unsigned long long>(duplicates));
  EXPECT_GE(received, 4 * kUsers);
  EXPECT_LE(received, 6 * kUsers);
  EXPECT_EQ(metric(*relays[0], "wzp_signald_federation_remote_users"), 0u);
  std::filesystem::remove_all(root);
}

// A linked relay that lies: the test itself is the relay, trusted by the
// daemon, and after a real handshake it offers a call in the name of alice
// (signed in to the daemon) and announces bob (in a room on the daemon) as
// its own member. Both are refused and counted; bob is not rung and hears
// of no second self.
TEST(SignaldFederation, ForgedCallsAndMembersFromALinkedRelayAreRefusedAndCounted) {
  auto root = wzp::test::make_temp_dir("signald-federation-forged");
  RelaySetup relay = prepare_relay(root);
  ASSERT_FALSE(relay.identity.empty());
  // The relay whose identity sorts first dials: let that be us.
  crypto::Identity mallory = crypto::Identity::generate();
  while (!(fingerprint(mallory) < relay.identity)) mallory = crypto::Identity::generate();
  auto args = relay.args();
  args.insert(args.end(),
              {"--peer", "127.0.0.1:9," + relay.certificate + "," + fingerprint(mallory)});
  Daemon daemon(relay.dir, args);
  ASSERT_TRUE(daemon.ready());
  auto alice = crypto::Identity::generate(), bob = crypto::Identity::generate();
  Client on_a(daemon), on_b(daemon);
  ASSERT_TRUE(on_a.login(alice));
  ASSERT_TRUE(on_b.login(bob));
  on_b.send(RoomJoin{kRoom, {}}, 1);
  ASSERT_TRUE(on_b.wait_for<Ok>());

  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<nlohmann::json> inbox;
  quic::ConnectionHandlers handlers;
  handlers.on_message = [&](std::span<const uint8_t> message) {
    std::lock_guard lock(mutex);
    inbox.push_back(nlohmann::json::parse(message.begin(), message.end(), nullptr, false));
    arrived.notify_all();
  };
  quic::EndpointConfig config;
  config.bind_address = "127.0.0.1";
  config.tls.alpn = {kFederationAlpn};
  config.tls.server_fingerprint = relay.certificate;
  std::string error;
  auto endpoint = quic::Endpoint::create(config, nullptr, error);
  ASSERT_TRUE(endpoint) << error;
  auto link = endpoint->dial("127.0.0.1", relay.federation_port, handlers, error);
  ASSERT_TRUE(link) << error;
  ASSERT_TRUE(link->wait_established(5s)) << link->error();
  auto send = [&](const nlohmann::json &message) {
    const std::string text = message.dump();
    ASSERT_TRUE(link->send_message({reinterpret_cast<const uint8_t *>(text.data()), text.size()}));
  };
  auto base64 = [](std::span<const uint8_t> bytes) {
    std::string text(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), 0);
    sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    text.pop_back();
    return text;
  };
  // The daemon's hello, then ours, and each signs the other's nonce.
  std::string their_nonce;
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(arrived.wait_for(lock, 5s, [&] {
      for (const auto &message : inbox) {
        if (message.is_object() && message.value("type", "") == "fed_hello") {
          their_nonce = message.value("nonce", "");
          return true;
        }
      }
      return false;
    }));
  }
  std::vector<uint8_t> nonce(32);
  size_t length = 0;
  ASSERT_EQ(sodium_base642bin(nonce.data(), nonce.size(), their_nonce.data(), their_nonce.size(),
                              nullptr, &length, nullptr, sodium_base64_VARIANT_ORIGINAL),
            0);
  // As docs/signal.md spells it: label, a zero byte, the verifier's nonce
  // and fingerprint.
  const std::string label = "wzp-federation-auth-v1";
  std::vector<uint8_t> transcript(label.begin(), label.end());
  transcript.push_back(0);
  transcript.insert(transcript.end(), nonce.begin(), nonce.end());
  transcript.insert(transcript.end(), relay.identity.begin(), relay.identity.end());
  std::vector<uint8_t> our_nonce(32, 7);
  send({{"type", "fed_hello"},
        {"public_key", base64(mallory.signing_public_key())},
        {"nonce", base64(our_nonce)}});
  send({{"type", "fed_auth"}, {"signature", base64(mallory.sign(transcript))}});
  ASSERT_TRUE(wzp::test::wait_until(
      [&] { return metric(daemon, "wzp_signald_federation_links") == 1; }, 10s));

  // A call in alice's name, with her (public) key, to bob.
  send({{"type", "fed_call"},
        {"message",
         serialize(CallOffer{"forged", fingerprint(alice), fingerprint(bob), {1}, {}, {}, {}})},
        {"public_key", base64(alice.signing_public_key())}});
  // Bob, announced as a member of the room bob is in here.
  send({{"type", "fed_member"},
        {"room", kRoom},
        {"fingerprint", fingerprint(bob)},
        {"public_key", base64(bob.signing_public_key())},
        {"joined", true}});
  EXPECT_TRUE(wzp::test::wait_until(
      [&] { return metric(daemon, "wzp_signald_federation_messages_refused_total") == 2; }, 5s))
      << daemon.get("/metrics").body;
  EXPECT_EQ(metric(daemon, "wzp_signald_federation_remote_participants"), 0u);
  EXPECT_EQ(metric(daemon, "wzp_signald_calls{state=\"offered\"}"), 0u);
  EXPECT_FALSE(on_b.wait_for<CallOffer>(0ms));
  link->close(0, "done");
  std::filesystem::remove_all(root);
}

TEST(SignaldFederation, PeerFlagsAreChecked) {
  auto dir = wzp::test::make_temp_dir("signald-federation-flags");
  Daemon no_listen(dir, {"--peer", "127.0.0.1:5000,abcd,0000:0000:0000:0000:0000:0000:0000:0000"});
  EXPECT_FALSE(no_listen.ready());
  Daemon bad_peer(dir, {"--federation-listen", "127.0.0.1:0", "--peer", "127.0.0.1:5000"});
  EXPECT_FALSE(bad_peer.ready());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wzp::signald::test
