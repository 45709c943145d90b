#include <gtest/gtest.h>

#include "libwzp/wire/header.hpp"
#include "tests/integration/signald_daemon/daemon.hpp"
#include "tests/support/paths.hpp"

namespace wzp::signald::test {
namespace {

using namespace wzp::signal;

TEST(SignaldCalls, FindByAliasRingAnswerSetupHangup) {
  auto dir = wzp::test::make_temp_dir("signald-calls");
  Daemon daemon(dir);
  ASSERT_TRUE(daemon.ready());
  auto alice = crypto::Identity::generate();
  auto bob = crypto::Identity::generate();
  Client a(daemon), b(daemon);
  ASSERT_TRUE(a.login(alice));
  auto welcome = b.login(bob);
  ASSERT_TRUE(welcome);
  EXPECT_EQ(welcome->fingerprint, fingerprint(bob));
  auto seen = a.wait_for<PresenceUpdate>();
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->user.fingerprint, fingerprint(bob));

  b.send(AliasClaim{"bob"}, 1);
  ASSERT_TRUE(b.wait_for<Ok>());
  a.send(AliasResolve{"@bob"}, 2);
  auto resolved = a.wait_for<AliasResolved>();
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->fingerprint, fingerprint(bob));
  EXPECT_EQ(resolved->alias, "bob");

  a.send(CallOffer{"call-1", "", "@bob", {0xaa, 0xbb}, {"opus"}, {"good"}, {"192.0.2.1:5000"}});
  auto offer = b.wait_for<CallOffer>();
  ASSERT_TRUE(offer);
  EXPECT_EQ(offer->caller, fingerprint(alice));
  EXPECT_EQ(offer->key_agreement, (Bytes{0xaa, 0xbb}));
  b.send(CallRinging{"call-1"});
  ASSERT_TRUE(a.wait_for<CallRinging>());
  b.send(CallAnswer{"call-1", AnswerMode::kAccept, {0xcc}, {"198.51.100.2:6000"}});
  auto answer = a.wait_for<CallAnswer>();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->key_agreement, Bytes{0xcc});
  auto setup_a = a.wait_for<CallSetup>();
  auto setup_b = b.wait_for<CallSetup>();
  ASSERT_TRUE(setup_a && setup_b);
  EXPECT_EQ(setup_a->peer_candidates, std::vector<std::string>{"198.51.100.2:6000"});
  EXPECT_EQ(setup_b->peer_candidates, std::vector<std::string>{"192.0.2.1:5000"});
  EXPECT_EQ(setup_a->relay_room, setup_b->relay_room);
  EXPECT_NE(daemon.get("/metrics").body.find("wzp_signald_calls{state=\"active\"} 1"),
            std::string::npos);

  // Media that cannot go peer to peer goes through the call's relay room.
  a.send(RoomJoin{setup_a->relay_room, {}}, 3);
  b.send(RoomJoin{setup_b->relay_room, {}}, 4);
  ASSERT_TRUE(a.wait_for<Ok>() && b.wait_for<Ok>());
  wire::MediaHeader header;
  header.codec = wire::codec::kOpus;
  header.stream_id = 9;
  std::vector<uint8_t> packet(wire::kMaxPacketSize);
  packet.resize(wire::write_full(header, nullptr, packet));
  packet.insert(packet.end(), {1, 2, 3, 4});  // stands in for a sealed payload
  ASSERT_TRUE(a.send_datagram(packet));
  ASSERT_TRUE(b.wait_datagrams(1));
  EXPECT_EQ(b.datagrams()[0], packet);

  a.send(CallHangup{"call-1", "normal"});
  auto hangup = b.wait_for<CallHangup>();
  ASSERT_TRUE(hangup);
  EXPECT_EQ(hangup->call_id, "call-1");
  EXPECT_EQ(hangup->reason, "normal");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wzp::signald::test
