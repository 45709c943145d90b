#include "signald/core/rooms.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "libwzp/base/hex.hpp"
#include "libwzp/crypto/member_card.hpp"
#include "libwzp/wire/header.hpp"
#include "libwzp/wire/key_datagram.hpp"
#include "libwzp/wire/keyframe_request.hpp"
#include "tests/unit/signald/harness.hpp"

namespace wzp::signald::testing {
namespace {

using namespace wzp::signal;

const std::string kRoom = "0123456789abcdef0123456789abcdef";

constexpr uint32_t kTicksPerFrame = 960;  // 20 ms at 48 kHz

// Timestamped as 20 ms frames unless `timestamp` says otherwise.
std::vector<uint8_t> media_packet(uint32_t sequence, const std::vector<uint8_t> &payload,
                                  const wire::QualityReport *report = nullptr,
                                  uint32_t stream_id = 7,
                                  std::optional<uint32_t> timestamp = std::nullopt) {
  wire::MediaHeader header;
  header.codec = wire::codec::kOpus;
  header.stream_id = stream_id;
  header.sequence = sequence;
  header.timestamp = timestamp.value_or(sequence * kTicksPerFrame);
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
    server_->on_datagram(from, media_packet(static_cast<uint32_t>(from), sealed_payload),
                         now_.steady);
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
  server_->on_datagram(ca, media_packet(1, sealed_payload), now_.steady);
  ASSERT_EQ(out_.forwarded.size(), 1u);
  EXPECT_EQ(out_.forwarded[0].first, cc);
}

TEST_F(RoomsTest, JoinEventsCarryKeysAndRoomSignalsReachTheirAddressee) {
  auto a = crypto::Identity::generate(), b = crypto::Identity::generate(),
       c = crypto::Identity::generate();
  ConnectionId ca = join(a), cb = join(b), cc = join(c);
  auto events = out_.to<RoomEvent>(cc);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].public_key, a.signing_public_key());
  EXPECT_EQ(events[2].public_key, c.signing_public_key());
  out_.clear();

  send(ca, RoomSignal{kRoom, "forged", fingerprint(c), {1, 2}}, 5);
  auto to_c = out_.to<RoomSignal>(cc);
  ASSERT_EQ(to_c.size(), 1u);
  EXPECT_EQ(to_c[0].from, fingerprint(a));  // the daemon says who sent it
  EXPECT_EQ(to_c[0].payload, (Bytes{1, 2}));
  EXPECT_TRUE(out_.to<RoomSignal>(cb).empty());

  send(cb, RoomSignal{kRoom, "", "", {3}});  // to everyone else
  EXPECT_EQ(out_.to<RoomSignal>(ca).size(), 1u);
  EXPECT_EQ(out_.to<RoomSignal>(cc).size(), 2u);
  EXPECT_TRUE(out_.to<RoomSignal>(cb).empty());

  auto outsider = crypto::Identity::generate();
  ConnectionId co = login(outsider);
  send(co, RoomSignal{kRoom, "", fingerprint(a), {4}}, 6);
  EXPECT_EQ(out_.last<Error>(co).code, "not_in_room");
  send(ca, RoomSignal{kRoom, "", fingerprint(outsider), {4}}, 7);
  EXPECT_EQ(out_.last<Error>(ca).code, "not_in_room");
  EXPECT_EQ(out_.to<RoomSignal>(co).size(), 0u);
}

// A joiner's card goes out with its room_events, both ways: the members
// present get it with the joiner's event, the joiner gets theirs with the
// events that list them (and not its own back).
TEST_F(RoomsTest, JoinEventsCarryTheCardEachMemberJoinedWith) {
  auto a = crypto::Identity::generate(), b = crypto::Identity::generate(),
       c = crypto::Identity::generate();
  const Bytes card_a(150, 0xa1), card_b(150, 0xb2);
  ConnectionId ca = login(a);
  send(ca, RoomJoin{kRoom, {}, card_a}, 1);
  ConnectionId cb = login(b);
  send(cb, RoomJoin{kRoom, {}, card_b}, 1);
  ConnectionId cc = join(c);  // no card: an older client

  auto b_events = out_.to<RoomEvent>(cb);
  ASSERT_EQ(b_events.size(), 3u);  // a, b itself, c
  EXPECT_EQ(b_events[0].card, card_a);
  EXPECT_TRUE(b_events[1].card.empty());
  EXPECT_TRUE(b_events[2].card.empty());
  auto a_events = out_.to<RoomEvent>(ca);
  ASSERT_EQ(a_events.size(), 3u);  // a itself, b, c
  EXPECT_TRUE(a_events[0].card.empty());
  EXPECT_EQ(a_events[1].card, card_b);
  auto c_events = out_.to<RoomEvent>(cc);
  ASSERT_EQ(c_events.size(), 3u);
  EXPECT_EQ(c_events[0].card, card_a);
  EXPECT_EQ(c_events[1].card, card_b);
}

TEST_F(RoomsTest, UnroutableDatagramsAreCountedDrops) {
  auto a = crypto::Identity::generate(), b = crypto::Identity::generate();
  ConnectionId ca = join(a);
  join(b);
  ConnectionId outsider = login(crypto::Identity::generate());
  out_.clear();
  server_->on_datagram(outsider, media_packet(1, {1}), now_.steady);
  server_->on_datagram(ca, std::vector<uint8_t>{0x50, 1, 2, 3, 4, 5, 6, 7, 8, 9},
                       now_.steady);                                        // mini
  server_->on_datagram(ca, std::vector<uint8_t>{0x40, 1, 2}, now_.steady);  // truncated
  server_->on_datagram(ca, std::vector<uint8_t>{}, now_.steady);
  server_->on_datagram(ca, std::vector<uint8_t>(wire::kMaxPacketSize + 1, 0x40), now_.steady);
  EXPECT_TRUE(out_.forwarded.empty());
  const auto &drops = server_->counters().drops;
  EXPECT_EQ(drops[static_cast<size_t>(DropReason::kNotInRoom)], 1u);
  EXPECT_EQ(drops[static_cast<size_t>(DropReason::kNotFullHeader)], 1u);
  EXPECT_EQ(drops[static_cast<size_t>(DropReason::kBadHeader)], 2u);
  EXPECT_EQ(drops[static_cast<size_t>(DropReason::kOversized)], 1u);
}

// A member sending beyond its room tier's budget costs the others no more
// than that budget: the excess is a counted drop, and another member's
// media in the same moments still passes.
TEST_F(RoomsTest, FloodBeyondTheTiersBudgetIsACountedDrop) {
  auto a = crypto::Identity::generate(), b = crypto::Identity::generate(),
       c = crypto::Identity::generate();
  ConnectionId flooder = join(a), speaker = join(b), listener = join(c);
  const quality::SenderPolicer budget(quality::room_controller_config().initial, quality::Micros{});
  const std::vector<uint8_t> large(1000, 0xab);
  const size_t packet_bytes = media_packet(0, large).size();
  // 10 s of 100 ms ticks, the flooder sending 5x its budget per tick.
  const auto per_tick =
      static_cast<size_t>(5 * budget.rate_bytes_per_second() / 10 / packet_bytes) + 1;
  uint32_t sequence = 0;
  out_.clear();
  for (int tick = 0; tick < 100; ++tick) {
    advance(std::chrono::milliseconds(100));
    server_->tick(now_);
    for (size_t i = 0; i < per_tick; ++i)
      server_->on_datagram(flooder, media_packet(sequence++, large), now_.steady);
    server_->on_datagram(speaker, media_packet(sequence++, {1, 2, 3}), now_.steady);
  }
  size_t from_flooder = 0, from_speaker = 0;
  for (const auto &[to, bytes] : out_.forwarded) {
    if (to != listener) continue;
    (bytes.size() == packet_bytes ? from_flooder : from_speaker) += 1;
  }
  EXPECT_EQ(from_speaker, 100u);
  const double depth_seconds =
      std::chrono::duration<double>(quality::PolicerConfig{}.burst).count();
  EXPECT_LE(from_flooder * packet_bytes, budget.rate_bytes_per_second() * (10 + depth_seconds));
  EXPECT_GT(from_flooder, 0u);
  const uint64_t dropped = server_->counters().drops[static_cast<size_t>(DropReason::kOverBudget)];
  EXPECT_EQ(dropped + from_flooder, 100 * per_tick);
}

// A member's video spends a budget of its own (SenderPolicer::admit_video),
// so 1 Mbit/s of video beside its speech loses neither; the other member's
// keyframe requests reach the sender unchanged. Audio-only arrivals count
// toward the room's loss view: video's sequence numbers are another stream's.
TEST_F(RoomsTest, VideoHasABudgetOfItsOwnAndKeyframeRequestsReachTheSender) {
  ConnectionId sender = join(crypto::Identity::generate());
  ConnectionId viewer = join(crypto::Identity::generate());
  wire::MediaHeader video;
  video.media_type = wire::MediaType::kVideo;
  video.codec = wire::codec::kAv1;
  video.stream_id = 9;
  const std::vector<uint8_t> symbol(1000, 0xcd);
  out_.clear();
  size_t video_sent = 0, audio_sent = 0;
  uint32_t audio_sequence = 0;
  // 10 s: every 100 ms, 12 video datagrams of 1 kB (~1 Mbit/s) and 5 speech frames.
  for (int tick = 0; tick < 100; ++tick) {
    advance(std::chrono::milliseconds(100));
    server_->tick(now_);
    for (int i = 0; i < 12; ++i, ++video_sent) {
      video.sequence = static_cast<uint32_t>(video_sent);
      video.timestamp = static_cast<uint32_t>(tick * 9000);
      std::vector<uint8_t> packet(wire::kMaxPacketSize);
      packet.resize(wire::write_full(video, nullptr, packet));
      packet.insert(packet.end(), symbol.begin(), symbol.end());
      server_->on_datagram(sender, packet, now_.steady);
    }
    for (int i = 0; i < 5; ++i, ++audio_sent) {
      server_->on_datagram(sender, media_packet(audio_sequence++, {1, 2, 3}), now_.steady);
    }
  }
  EXPECT_EQ(out_.forwarded.size(), video_sent + audio_sent);
  EXPECT_EQ(server_->counters().drops[static_cast<size_t>(DropReason::kOverBudget)], 0u);
  EXPECT_EQ(server_->counters().keyframe_requests_forwarded, 0u);

  std::array<uint8_t, wire::kKeyframeRequestSize> request{};
  ASSERT_EQ(wire::write_keyframe_request({.stream_id = 9, .number = 4}, request), request.size());
  out_.clear();
  server_->on_datagram(viewer, request, now_.steady);
  ASSERT_EQ(out_.forwarded.size(), 1u);
  EXPECT_EQ(out_.forwarded[0].first, sender);
  EXPECT_EQ(wire::parse_keyframe_request(out_.forwarded[0].second),
            (wire::KeyframeRequest{.stream_id = 9, .number = 4}));
  EXPECT_EQ(server_->counters().keyframe_requests_forwarded, 1u);
}

// A room key datagram goes to the member whose fingerprint it names, and
// to no one else (the key inside is sealed to that member); one naming its
// own sender or nobody in the room is a counted drop.
TEST_F(RoomsTest, AKeyDatagramGoesToItsRecipientOnly) {
  auto a = crypto::Identity::generate(), b = crypto::Identity::generate(),
       c = crypto::Identity::generate(), stranger = crypto::Identity::generate();
  ConnectionId ca = join(a);
  join(b);
  ConnectionId cc = join(c);
  auto key_datagram = [](const crypto::Fingerprint &to) {
    std::vector<uint8_t> message(wire::kKeyMessageSize, 0x11);
    const uint8_t magic[] = {'W', 'Z', 'R', 1};
    std::copy(std::begin(magic), std::end(magic), message.begin());
    std::copy(to.begin(), to.end(), message.begin() + wire::kKeyMessageRecipientOffset);
    std::vector<uint8_t> datagram(wire::kKeyDatagramSize);
    EXPECT_EQ(wire::write_key_datagram(message, datagram), datagram.size());
    return datagram;
  };
  out_.clear();
  const auto to_carol = key_datagram(c.fingerprint());
  server_->on_datagram(ca, to_carol, now_.steady);
  ASSERT_EQ(out_.forwarded.size(), 1u);
  EXPECT_EQ(out_.forwarded[0].first, cc);
  EXPECT_EQ(out_.forwarded[0].second, to_carol);
  EXPECT_EQ(server_->counters().key_datagrams_forwarded, 1u);
  server_->on_datagram(ca, key_datagram(a.fingerprint()), now_.steady);
  server_->on_datagram(ca, key_datagram(stranger.fingerprint()), now_.steady);
  EXPECT_EQ(out_.forwarded.size(), 1u);
  EXPECT_EQ(server_->counters().drops[static_cast<size_t>(DropReason::kNoRecipient)], 2u);
}

// A member's budget is its connection's: leaving and joining again does
// not refill it (else a flooder would rejoin for a fresh burst).
TEST_F(RoomsTest, RejoiningDoesNotRefillTheBudget) {
  ConnectionId flooder = join(crypto::Identity::generate());
  join(crypto::Identity::generate());
  const std::vector<uint8_t> large(1000, 0xab);
  auto over_budget = [&] {
    return server_->counters().drops[static_cast<size_t>(DropReason::kOverBudget)];
  };
  uint32_t sequence = 0;
  while (over_budget() == 0)
    server_->on_datagram(flooder, media_packet(sequence++, large), now_.steady);
  send(flooder, RoomLeave{kRoom}, 2);
  send(flooder, RoomJoin{kRoom, {}}, 3);
  ASSERT_TRUE(out_.to<Error>(flooder).empty());
  out_.clear();
  server_->on_datagram(flooder, media_packet(sequence++, large), now_.steady);
  EXPECT_TRUE(out_.forwarded.empty());
  EXPECT_EQ(over_budget(), 2u);
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

// A participant's reports, one a second, as media would carry them.
class RoomQualityTest : public RoomsTest {
 protected:
  void SetUp() override {
    RoomsTest::SetUp();
    ca_ = join(a_);
    cb_ = join(b_);
    out_.clear();
  }
  // `copies`: the report in that many consecutive packets, as wzpfecenc
  // sends each one (quality::kReportRepeat).
  void report(ConnectionId from, const wire::QualityReport &quality, int times, int copies = 1) {
    for (int i = 0; i < times; ++i) {
      advance(std::chrono::seconds(1));
      server_->tick(now_);  // as the daemon's timer would, between reports
      const uint32_t second = next_report_timestamp();
      for (int c = 0; c < copies; ++c) {
        server_->on_datagram(
            from, media_packet(sequence_++, {1}, &quality, 7, second + c * kTicksPerFrame),
            now_.steady);
      }
    }
  }
  // A second of media on from the last report's.
  uint32_t next_report_timestamp() { return report_timestamp_ += 48000; }
  std::vector<quality::Tier> directives(ConnectionId conn) const {
    std::vector<quality::Tier> tiers;
    for (const auto &d : out_.to<QualityDirective>(conn)) tiers.push_back(d.tier);
    return tiers;
  }
  static int whole_seconds(quality::Micros span) {
    return static_cast<int>(std::chrono::ceil<std::chrono::seconds>(span).count());
  }
  static std::string prefix(const crypto::Identity &who) { return fingerprint(who).substr(0, 9); }

  const quality::ControllerConfig config_ = quality::room_controller_config();
  const quality::RoomPolicy policy_;
  // Bad reports until the room follows a member's step down: the
  // controller's streak, then the hold its step must survive (a newcomer's:
  // the members here joined within the report's first seconds).
  const int reports_to_step_down_ =
      config_.bad_to_step_down + whole_seconds(policy_.newcomer_down_hold);
  const int up_hold_ = whole_seconds(policy_.up_hold);
  const wire::QualityReport clean_ = wire::QualityReport::from(0.01, 80, 10, 500);
  const wire::QualityReport lossy_ = wire::QualityReport::from(0.60, 300, 40, 100);
  // Within the starting tier's limits, not a studio tier's.
  const wire::QualityReport fair_ = wire::QualityReport::from(0.04, 200, 20, 500);
  crypto::Identity a_ = crypto::Identity::generate(), b_ = crypto::Identity::generate();
  ConnectionId ca_ = 0, cb_ = 0;
  uint32_t sequence_ = 1;
  uint32_t report_timestamp_ = 0;
};

TEST_F(RoomQualityTest, LossyParticipantPullsTheRoomDownToTheTierItsPathSustains) {
  const quality::Tier expected = quality::classify(quality::PathObservation::from(lossy_));
  ASSERT_EQ(expected, quality::Tier::kCatastrophic);  // a collapse skips the tiers between
  report(ca_, clean_, 1);
  report(cb_, lossy_, reports_to_step_down_ - 1);
  EXPECT_TRUE(out_.to<QualityDirective>(ca_).empty())
      << "a controller's step down counts once it has held";
  report(cb_, lossy_, 1);
  for (ConnectionId conn : {ca_, cb_}) {
    EXPECT_EQ(directives(conn), std::vector{expected});
    EXPECT_EQ(out_.last<QualityDirective>(conn).reason, "weakest link " + prefix(b_));
  }

  // A latecomer hears the room's tier at once, and whose it is.
  ConnectionId cc = join(crypto::Identity::generate());
  EXPECT_EQ(directives(cc), std::vector{expected});
  EXPECT_EQ(out_.last<QualityDirective>(cc).reason, "weakest link " + prefix(b_));
}

// A report rides in a burst of copies: the relay counts the burst once.
// Counted five times, one bad second was a bad streak, and a room swung with
// every report a member sent near a tier's limit (issue 19).
TEST_F(RoomQualityTest, AReportsBurstOfCopiesCountsOnce) {
  report(ca_, clean_, 1);
  report(cb_, lossy_, reports_to_step_down_ - 1, quality::kReportRepeat);
  EXPECT_TRUE(out_.to<QualityDirective>(ca_).empty())
      << "the room stepped down before the member's bad streak had held";
  report(cb_, lossy_, 1, quality::kReportRepeat);
  EXPECT_EQ(directives(ca_), std::vector{quality::Tier::kCatastrophic});
}

TEST_F(RoomQualityTest, RecoveryClimbsBackOneTierAtATimeEveryMemberBetterFor30Seconds) {
  report(cb_, lossy_, reports_to_step_down_);
  ASSERT_EQ(directives(ca_), std::vector{quality::Tier::kCatastrophic});
  out_.clear();
  // B's controller is back at degraded after good_to_step_up clean reports
  // and at good after as many more; the room follows each up_hold later,
  // and only up_hold after its previous change.
  std::vector<int> seconds_of_change;
  for (int i = 1; i <= 3 * up_hold_ && directives(ca_).size() < 2; ++i) {
    const size_t before = directives(ca_).size();
    report(cb_, clean_, 1);
    if (directives(ca_).size() > before) seconds_of_change.push_back(i);
  }
  EXPECT_EQ(directives(ca_), (std::vector{quality::Tier::kDegraded, quality::Tier::kGood}));
  ASSERT_EQ(seconds_of_change.size(), 2u);
  EXPECT_EQ(seconds_of_change[0], config_.good_to_step_up + up_hold_);
  EXPECT_EQ(seconds_of_change[1], seconds_of_change[0] + up_hold_);
  EXPECT_EQ(out_.last<QualityDirective>(ca_).reason, "everyone better for 30 s");

  // B's path now sustains a studio tier, but A's does not: the room stays at
  // the weakest link until A's reports show one. (A was silent, so it
  // counts again from the starting tier and the room climbs back to good.)
  out_.clear();
  for (int i = 0; i < 3 * up_hold_; ++i) {
    report(cb_, clean_, 1);
    report(ca_, fair_, 1);
  }
  EXPECT_EQ(directives(ca_), (std::vector{config_.initial, quality::Tier::kGood}));
  out_.clear();
  for (int i = 0; i < 4 * up_hold_ && directives(ca_).empty(); ++i) {
    report(ca_, clean_, 1);
    report(cb_, clean_, 1);
  }
  EXPECT_EQ(directives(ca_), std::vector{quality::Tier::kStudio32k});
}

TEST_F(RoomQualityTest, NewcomerBringsAStudioRoomBackToTheStartingTier) {
  // From the starting tier a clean room climbs one tier per up_hold.
  auto at_studio = [&] {
    auto tiers = directives(ca_);
    return !tiers.empty() && tiers.back() == quality::Tier::kStudio32k;
  };
  for (int i = 0; i < 6 * up_hold_ && !at_studio(); ++i) {
    report(ca_, clean_, 1);
    report(cb_, clean_, 1);
  }
  ASSERT_EQ(directives(ca_), (std::vector{quality::Tier::kGood, quality::Tier::kStudio32k}));
  out_.clear();
  auto newcomer = crypto::Identity::generate();
  ConnectionId cc = join(newcomer);
  for (ConnectionId conn : {ca_, cb_, cc}) {
    EXPECT_EQ(directives(conn), std::vector{config_.initial});
    EXPECT_EQ(out_.last<QualityDirective>(conn).reason, "participant joined " + prefix(newcomer));
  }
}

TEST_F(RoomQualityTest, RoomRecoversAtOnceWhenTheWeakestLinkLeaves) {
  report(cb_, lossy_, reports_to_step_down_);
  ASSERT_EQ(directives(ca_), std::vector{quality::Tier::kCatastrophic});
  out_.clear();
  send(cb_, RoomLeave{kRoom});
  EXPECT_EQ(directives(ca_), std::vector{config_.initial});
  EXPECT_EQ(out_.last<QualityDirective>(ca_).reason, "weakest link left " + prefix(b_));
}

TEST_F(RoomQualityTest, ASilentWeakestLinkStopsPinningTheRoom) {
  ASSERT_GE(quality::classify(quality::PathObservation::from(fair_)), config_.initial);
  report(cb_, lossy_, reports_to_step_down_);
  ASSERT_EQ(directives(ca_), std::vector{quality::Tier::kCatastrophic});
  // B stops sending (and so reporting); A goes on. After the controller's
  // silence grace B no longer counts, and the room returns to A's tier.
  out_.clear();
  const int grace_seconds = whole_seconds(config_.silence_grace);
  report(ca_, fair_, grace_seconds - 1);
  EXPECT_TRUE(out_.to<QualityDirective>(ca_).empty()) << "still within the grace";
  report(ca_, fair_, 2);
  for (ConnectionId conn : {ca_, cb_}) {
    EXPECT_EQ(directives(conn), std::vector{config_.initial});
    EXPECT_EQ(out_.last<QualityDirective>(conn).reason, "weakest link silent " + prefix(b_));
  }
  // Reporting again, B counts again: its bad path pulls the room down anew.
  out_.clear();
  report(cb_, lossy_, reports_to_step_down_);
  EXPECT_EQ(directives(ca_), std::vector{quality::Tier::kCatastrophic});
}

// Alone in the room a member hears nothing, so it reports nothing: that
// is not silence. Its path keeps the room where it put it (a newcomer's leg
// moves a room before anyone else is there to hear, docs/rooms.md), and its
// grace starts when someone joins.
TEST_F(RoomQualityTest, AMemberAloneIsNotSilent) {
  report(cb_, lossy_, reports_to_step_down_);
  ASSERT_EQ(directives(cb_), std::vector{quality::Tier::kCatastrophic});
  send(ca_, RoomLeave{kRoom});
  out_.clear();
  const int grace_seconds = whole_seconds(config_.silence_grace);
  auto seconds_pass = [&](int count) {
    for (int i = 0; i < count; ++i) {
      advance(std::chrono::seconds(1));
      server_->tick(now_);
    }
  };
  seconds_pass(2 * grace_seconds);
  EXPECT_TRUE(out_.to<QualityDirective>(cb_).empty()) << "alone, B was taken as silent";
  join(crypto::Identity::generate());
  seconds_pass(grace_seconds);
  EXPECT_TRUE(out_.to<QualityDirective>(cb_).empty()) << "within the grace from the join";
  seconds_pass(1);
  EXPECT_EQ(out_.last<QualityDirective>(cb_).reason, "weakest link silent " + prefix(b_));
}

// A second of a room as the relay sees it: A (or a member on a linked
// relay) talks, 50 packets, A's report on the first; the relay forwards them to B, the transport
// says how many reached B, and B reports. The relay's own view of both legs is what B's report is
// checked against.
class RoomReportCheckTest : public RoomQualityTest {
 protected:
  void SetUp() override {
    RoomQualityTest::SetUp();
    out_.delivered[cb_] = {};  // the transport can tell what reaches B
  }
  // `lost_on_the_way_here`: the share of the talker's packets that never
  // reach the relay; `lost_on_the_way_to_b`: of what the relay sends B.
  void second(const wire::QualityReport &b_reports, double lost_on_the_way_to_b,
              double lost_on_the_way_here = 0.0) {
    advance(std::chrono::seconds(1));
    server_->tick(now_);
    out_.forwarded.clear();
    for (int i = 0; i < kPacketsPerSecond; ++i) {
      const uint32_t sequence = a_sequence_++;
      // Spread evenly, so the relay sees each gap from the packet after it.
      const bool lost =
          std::floor((i + 1) * lost_on_the_way_here) > std::floor(i * lost_on_the_way_here);
      if (lost) continue;
      if (remote_talker_) {
        server_->rooms().on_remote_datagram(
            kPeer, room_key_, media_packet(sequence, {1}, nullptr, remote_talker_->sender_id));
      } else {
        server_->on_datagram(ca_, media_packet(sequence, {1}, i == 0 ? &clean_ : nullptr),
                             now_.steady);
      }
    }
    const auto sent_to_b = static_cast<uint64_t>(
        std::count_if(out_.forwarded.begin(), out_.forwarded.end(),
                      [&](const auto &forwarded) { return forwarded.first == cb_; }));
    quality::PacketCounts &to_b = out_.delivered[cb_];
    to_b.sent += sent_to_b;
    to_b.arrived +=
        static_cast<uint64_t>(static_cast<double>(sent_to_b) * (1 - lost_on_the_way_to_b));
    server_->on_datagram(
        cb_, media_packet(sequence_++, {1}, &b_reports, 7, next_report_timestamp()), now_.steady);
  }

  // Clean seconds until the members are no newcomers: what their legs say
  // is then in their reports only.
  void past_the_newcomer_window() {
    for (int i = 0; i < whole_seconds(policy_.newcomer_window); ++i) second(clean_, 0.0);
    ASSERT_TRUE(directives(ca_).empty());
  }

  // A member of the room on a linked relay talks instead of A.
  void talk_from_a_linked_relay() {
    const auto talker = crypto::Identity::generate();
    server_->rooms().remote_joined(kPeer, kRoom, fingerprint(talker), talker.signing_public_key());
    remote_talker_ = RemoteTalker{crypto::sender_id_of(talker.fingerprint())};
    ASSERT_TRUE(base::from_hex(kRoom, room_key_));
  }

  static constexpr int kPacketsPerSecond = 50;
  // Bad reports until the room follows a known member's step down.
  const int known_step_ = config_.bad_to_step_down + whole_seconds(policy_.member_down_hold);
  static constexpr PeerId kPeer = 1;
  struct RemoteTalker {
    uint32_t sender_id;
  };
  std::optional<RemoteTalker> remote_talker_;
  RoomKey room_key_{};
  const wire::QualityReport all_lost_ = wire::QualityReport::from(1.0, 80, 10, 500);
  uint32_t a_sequence_ = 1;
};

TEST_F(RoomReportCheckTest, AMemberReportingLossItsCleanPathDidNotHaveCannotPullTheRoomDown) {
  const int seconds = config_.good_to_step_up + up_hold_ + reports_to_step_down_;
  for (int i = 0; i < seconds; ++i) second(all_lost_, 0.0);
  // Taken as the floor, B's reports sustain good: the room climbs as a clean
  // room does, once everyone has been better for up_hold.
  ASSERT_GT(seconds, config_.good_to_step_up + up_hold_);
  EXPECT_EQ(directives(ca_), std::vector{quality::Tier::kGood});
  EXPECT_EQ(server_->counters().implausible_reports, static_cast<uint64_t>(seconds));
  EXPECT_NE(render_prometheus(server_->counters(), server_->gauges())
                .find("wzp_signald_implausible_reports_total " + std::to_string(seconds)),
            std::string::npos);
}

// Nothing is sent to B, so nothing can have been lost on its way: B's
// reports are held to the floor until a stretch says more. Believed, they
// took the room to catastrophic on a room that was silent.
TEST_F(RoomReportCheckTest, AMemberReportingLossWhenNothingWasSentToItCannotPullTheRoomDown) {
  const int seconds = config_.good_to_step_up + up_hold_ + reports_to_step_down_;
  report(cb_, all_lost_, seconds);
  auto sent = directives(ca_);
  EXPECT_EQ(std::count(sent.begin(), sent.end(), quality::Tier::kCatastrophic), 0);
  EXPECT_EQ(server_->counters().implausible_reports, static_cast<uint64_t>(seconds));
}

TEST_F(RoomReportCheckTest, AMemberWhosePathIsLossyStillPullsTheRoomDown) {
  past_the_newcomer_window();
  for (int i = 0; i < known_step_; ++i) second(lossy_, 0.6);
  for (ConnectionId conn : {ca_, cb_}) {
    EXPECT_EQ(directives(conn), std::vector{quality::Tier::kCatastrophic});
    EXPECT_EQ(out_.last<QualityDirective>(conn).reason, "weakest link " + prefix(b_));
  }
  EXPECT_EQ(server_->counters().implausible_reports, 0u);
}

// RTT and jitter are the member's connection to the relay, which the relay
// measures too: a made-up 3 s RTT on a 100 ms leg is not believed, a leg
// that really takes 1.5 s still pulls the room down (degraded holds to 2 s).
TEST_F(RoomReportCheckTest, AMemberReportingAnRttItsLegDidNotHaveCannotPullTheRoomDown) {
  const auto slow = wire::QualityReport::from(0.01, 3000, 10, 500);
  out_.delays[cb_] = {100, 10};
  // Past a newcomer's first seconds: the rest is a known member's step.
  const int lying = whole_seconds(policy_.newcomer_window);
  for (int i = 0; i < lying; ++i) second(slow, 0.0);
  auto down = [&] {
    auto sent = directives(ca_);
    return std::count(sent.begin(), sent.end(), quality::Tier::kCatastrophic);
  };
  EXPECT_EQ(down(), 0);
  EXPECT_EQ(server_->counters().implausible_reports, static_cast<uint64_t>(lying));

  out_.delays[cb_] = {1500, 10};
  const int known_step = config_.bad_to_step_down + whole_seconds(policy_.member_down_hold);
  for (int i = 0; i < known_step; ++i) second(slow, 0.0);
  EXPECT_EQ(down(), 1);
}

TEST_F(RoomReportCheckTest, LossOnTheSendersWayToTheRelayCountsToo) {
  past_the_newcomer_window();
  for (int i = 0; i < known_step_; ++i) second(lossy_, 0.0, 0.6);
  EXPECT_EQ(directives(ca_), std::vector{quality::Tier::kCatastrophic});
  EXPECT_EQ(out_.last<QualityDirective>(ca_).reason, "weakest link " + prefix(b_));
  EXPECT_EQ(server_->counters().implausible_reports, 0u);
}

// A newcomer's leg as the relay counts it moves the room before its reports
// could (quality::RoomQuality::on_leg): B's downlink loses 60 % from its
// first second, B reports a clean path, and the room is at catastrophic
// once the relay has enough of B's datagrams settled (RoomPolicy::
// newcomer_leg_early_packets: 60 % is far past degraded's 30 %).
// So does A's own media reaching the relay with 60 % lost.
TEST_F(RoomReportCheckTest, ANewcomersLossyLegMovesTheRoomBeforeItsReports) {
  const auto counting = static_cast<int>(policy_.newcomer_leg_early_packets / kPacketsPerSecond);
  for (int i = 0; i < counting; ++i) second(clean_, 0.6);
  EXPECT_TRUE(directives(ca_).empty());
  second(clean_, 0.6);  // its tick counts the seconds before it
  for (ConnectionId conn : {ca_, cb_}) {
    EXPECT_EQ(directives(conn), std::vector{quality::Tier::kCatastrophic});
    EXPECT_EQ(out_.last<QualityDirective>(conn).reason,
              "weakest link " + prefix(b_) + " (its leg)");
  }
}

TEST_F(RoomReportCheckTest, ANewcomersLossyUplinkMovesTheRoomToo) {
  const auto counting = static_cast<int>(policy_.newcomer_leg_packets / kPacketsPerSecond);
  // The relay counts what A sent by its sequence numbers, from the packet
  // after each gap; B's reports alone would need reports_to_step_down_.
  ASSERT_LT(counting + 2, reports_to_step_down_);
  for (int i = 0; i < counting + 2; ++i) second(clean_, 0.0, 0.6);
  EXPECT_EQ(directives(cb_), std::vector{quality::Tier::kCatastrophic});
  EXPECT_EQ(out_.last<QualityDirective>(cb_).reason, "weakest link " + prefix(a_) + " (its leg)");
}

TEST_F(RoomReportCheckTest, LossOnTheWayFromALinkedRelaysMemberCountsToo) {
  talk_from_a_linked_relay();
  for (int i = 0; i < reports_to_step_down_; ++i) second(lossy_, 0.0, 0.6);
  EXPECT_EQ(directives(cb_), std::vector{quality::Tier::kCatastrophic});
  EXPECT_EQ(server_->counters().implausible_reports, 0u);
}

}  // namespace
}  // namespace wzp::signald::testing
