#include "signald/core/rooms.hpp"

#include <gtest/gtest.h>

#include "libwzp/wire/header.hpp"
#include "tests/unit/signald/harness.hpp"

namespace wzp::signald::testing {
namespace {

using namespace wzp::signal;

const std::string kRoom = "0123456789abcdef0123456789abcdef";

std::vector<uint8_t> media_packet(uint32_t sequence, const std::vector<uint8_t> &payload,
                                  const wire::QualityReport *report = nullptr) {
  wire::MediaHeader header;
  header.codec = wire::codec::kOpus;
  header.stream_id = 7;
  header.sequence = sequence;
  std::vector<uint8_t> packet(wire::kMaxPacketSize);
  size_t written = wire::write_full(header, report, packet);
  EXPECT_GT(written, 0u);
  packet.resize(written);
  packet.insert(packet.end(), payload.begin(), payload.end());
  return packet;
}

class RoomsTest : public ServerTest {
 protected:
  ConnectionId join(const crypto::Identity &who, std::vector<std::string> allow = {}) {
    ConnectionId conn = login(who);
    send(conn, RoomJoin{kRoom, std::move(allow)}, 1);
    return conn;
  }
};

TEST_F(RoomsTest, ThreeParticipantsEachReceiveTheOthersMedia) {
  auto a = crypto::Identity::generate(), b = crypto::Identity::generate(),
       c = crypto::Identity::generate();
  ConnectionId ca = join(a), cb = join(b), cc = join(c);
  // Join events: C learns of A and B, and everyone learns of C.
  auto c_events = out_.to<RoomEvent>(cc);
  ASSERT_EQ(c_events.size(), 3u);
  EXPECT_EQ(c_events[2].fingerprint, fingerprint(c));
  EXPECT_EQ(c_events[2].participants, 3u);
  EXPECT_EQ(out_.last<RoomEvent>(ca).fingerprint, fingerprint(c));

  const std::vector<uint8_t> sealed_payload(60, 0xab);
  out_.clear();
  for (ConnectionId from : {ca, cb, cc}) {
    server_->on_datagram(from, media_packet(static_cast<uint32_t>(from), sealed_payload));
  }
  ASSERT_EQ(out_.forwarded.size(), 6u);
  std::map<ConnectionId, int> received;
  for (const auto &[to, bytes] : out_.forwarded) {
    ++received[to];
    EXPECT_EQ(bytes, media_packet(bytes[11], sealed_payload));  // forwarded unchanged
  }
  EXPECT_EQ(received, (std::map<ConnectionId, int>{{ca, 2}, {cb, 2}, {cc, 2}}));
  EXPECT_EQ(server_->counters().datagrams_forwarded, 6u);
  EXPECT_EQ(server_->counters().bytes_forwarded, 6 * out_.forwarded[0].second.size());

  send(cb, RoomLeave{kRoom});
  RoomEvent left = out_.last<RoomEvent>(ca);
  EXPECT_FALSE(left.joined);
  EXPECT_EQ(left.participants, 2u);
  out_.clear();
  server_->on_datagram(ca, media_packet(1, sealed_payload));
  ASSERT_EQ(out_.forwarded.size(), 1u);
  EXPECT_EQ(out_.forwarded[0].first, cc);
}

TEST_F(RoomsTest, UnroutableDatagramsAreCountedDrops) {
  auto a = crypto::Identity::generate(), b = crypto::Identity::generate();
  ConnectionId ca = join(a);
  join(b);
  ConnectionId outsider = login(crypto::Identity::generate());
  out_.clear();
  server_->on_datagram(outsider, media_packet(1, {1}));
  server_->on_datagram(ca, std::vector<uint8_t>{0x50, 1, 2, 3, 4, 5, 6, 7, 8, 9});  // mini
  server_->on_datagram(ca, std::vector<uint8_t>{0x40, 1, 2});                       // truncated
  server_->on_datagram(ca, std::vector<uint8_t>{});
  server_->on_datagram(ca, std::vector<uint8_t>(wire::kMaxPacketSize + 1, 0x40));
  EXPECT_TRUE(out_.forwarded.empty());
  const auto &drops = server_->counters().drops;
  EXPECT_EQ(drops[static_cast<size_t>(DropReason::kNotInRoom)], 1u);
  EXPECT_EQ(drops[static_cast<size_t>(DropReason::kNotFullHeader)], 1u);
  EXPECT_EQ(drops[static_cast<size_t>(DropReason::kBadHeader)], 2u);
  EXPECT_EQ(drops[static_cast<size_t>(DropReason::kOversized)], 1u);
}

TEST_F(RoomsTest, AllowListAndCapacity) {
  auto owner = crypto::Identity::generate(), friend_ = crypto::Identity::generate(),
       stranger = crypto::Identity::generate();
  join(owner, {fingerprint(friend_)});
  ConnectionId s = join(stranger);
  EXPECT_EQ(out_.last<Error>(s).code, "not_allowed");
  ConnectionId f = join(friend_);
  EXPECT_EQ(out_.to<Ok>(f).size(), 1u);
  send(f, RoomJoin{kRoom, {}}, 2);
  EXPECT_EQ(out_.last<Error>(f).code, "already_in_room");

  const std::string open_room(32, 'e');
  for (size_t i = 0; i < kMaxRoomParticipants; ++i) {
    ConnectionId conn = login(crypto::Identity::generate());
    send(conn, RoomJoin{open_room, {}}, 1);
    ASSERT_EQ(out_.to<Error>(conn).size(), 0u) << i;
  }
  ConnectionId late = login(crypto::Identity::generate());
  send(late, RoomJoin{open_room, {}}, 1);
  EXPECT_EQ(out_.last<Error>(late).code, "room_full");
  EXPECT_EQ(server_->gauges().participants, 2 + kMaxRoomParticipants);
}

TEST_F(RoomsTest, WeakestLinkSetsTheDirective) {
  auto a = crypto::Identity::generate(), b = crypto::Identity::generate();
  ConnectionId ca = join(a), cb = join(b);
  auto good = wire::QualityReport::from(0.01, 80, 10, 500);
  auto bad = wire::QualityReport::from(0.40, 300, 40, 100);
  server_->on_datagram(ca, media_packet(1, {1}, &good));
  EXPECT_TRUE(out_.to<QualityDirective>(ca).empty());
  server_->on_datagram(cb, media_packet(2, {1}, &bad));
  EXPECT_EQ(out_.last<QualityDirective>(ca).tier, QualityTier::kCatastrophic);
  EXPECT_EQ(out_.last<QualityDirective>(cb).tier, QualityTier::kCatastrophic);

  // Recovery needs a run of good reports, not one.
  out_.clear();
  for (uint32_t i = 0; i + 1 < kRecoveryReports; ++i) {
    server_->on_datagram(cb, media_packet(3 + i, {1}, &good));
  }
  EXPECT_TRUE(out_.to<QualityDirective>(ca).empty());
  server_->on_datagram(cb, media_packet(99, {1}, &good));
  EXPECT_EQ(out_.last<QualityDirective>(ca).tier, QualityTier::kGood);
}

TEST(QualityClassify, Thresholds) {
  EXPECT_EQ(classify(0.0, 100), QualityTier::kGood);
  EXPECT_EQ(classify(0.10, 100), QualityTier::kDegraded);
  EXPECT_EQ(classify(0.0, 500), QualityTier::kDegraded);
  EXPECT_EQ(classify(0.35, 100), QualityTier::kCatastrophic);
  EXPECT_EQ(classify(0.0, 900), QualityTier::kCatastrophic);
}

}  // namespace
}  // namespace wzp::signald::testing
