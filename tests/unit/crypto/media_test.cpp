// Media packet protection: real wire packets sealed and opened, every byte
// tampered, replay window, epoch ratchet and overlap.
#include <gtest/gtest.h>

#include <vector>

#include "libwzp/crypto/session.hpp"
#include "libwzp/wire/header.hpp"

namespace wzp::crypto {
namespace {

TrafficSecret secret_of(uint8_t fill) {
  TrafficSecret secret;
  secret.fill(fill);
  return secret;
}

// A wire packet: full header, payload, and room for the tag.
struct Packet {
  std::vector<uint8_t> bytes;
  size_t header_size = 0;
  wire::MediaHeader header;

  std::span<uint8_t> header_span() { return {bytes.data(), header_size}; }
  std::span<uint8_t> payload() {
    return {bytes.data() + header_size, bytes.size() - header_size - kTagSize};
  }
  uint8_t *tag() { return bytes.data() + bytes.size() - kTagSize; }
};

Packet make_packet(uint32_t stream, uint32_t sequence, size_t payload_size) {
  Packet p;
  p.header.codec = wire::codec::kOpus;
  p.header.stream_id = stream;
  p.header.sequence = sequence;
  p.header.timestamp = sequence * 960;
  wire::QualityReport report = wire::QualityReport::from(0.1, 300, 20, 200);
  p.bytes.resize(wire::kFullHeaderSize + wire::kQualityReportSize + payload_size + kTagSize);
  p.header_size = wire::write_full(p.header, &report, p.bytes);
  for (size_t i = 0; i < payload_size; ++i) p.bytes[p.header_size + i] = static_cast<uint8_t>(i);
  return p;
}

SealResult seal_packet(MediaSender &sender, Packet &p, uint64_t now_ns = 0) {
  return sender.seal(p.header.stream_id, p.header.sequence, now_ns, &p.bytes[3], 0, p.header_span(),
                     p.payload(), p.tag());
}

OpenResult open_packet(MediaReceiver &receiver, Packet p, uint64_t now_ns = 0) {
  wire::PacketView view;
  // Parse the (possibly tampered) header the way a receiver would.
  std::span<const uint8_t> without_tag(p.bytes.data(), p.bytes.size() - kTagSize);
  if (wire::parse_full(without_tag, view) != wire::WireError::kOk) {
    return {OpenStatus::kAuthFailed};
  }
  return receiver.open(view.header.stream_id, view.header.sequence, view.header.key_epoch, now_ns,
                       view.header_bytes, p.payload(), p.tag());
}

TEST(MediaSeal, RoundTripsAndHidesPayload) {
  MediaSender sender(secret_of(1));
  MediaReceiver receiver;
  ASSERT_TRUE(receiver.add_sender(0, 0, secret_of(1)));
  Packet p = make_packet(7, 100, 200);
  std::vector<uint8_t> plain(p.payload().begin(), p.payload().end());
  ASSERT_EQ(seal_packet(sender, p).status, SealStatus::kOk);
  EXPECT_NE(std::vector<uint8_t>(p.payload().begin(), p.payload().end()), plain);
  wire::PacketView view;
  ASSERT_EQ(wire::parse_full({p.bytes.data(), p.bytes.size() - kTagSize}, view),
            wire::WireError::kOk);
  ASSERT_EQ(receiver.open(7, 100, view.header.key_epoch, 0, view.header_bytes, p.payload(), p.tag())
                .status,
            OpenStatus::kOk);
  EXPECT_EQ(std::vector<uint8_t>(p.payload().begin(), p.payload().end()), plain);
}

TEST(MediaSeal, EveryTamperedByteIsDetected) {
  for (size_t payload_size : {0u, 60u, 1200u}) {
    MediaSender sender(secret_of(2));
    Packet sealed = make_packet(3, 1, payload_size);
    ASSERT_EQ(seal_packet(sender, sealed).status, SealStatus::kOk);
    for (size_t i = 0; i < sealed.bytes.size(); ++i) {
      for (uint8_t flip : {0x01, 0x80}) {
        MediaReceiver receiver;
        ASSERT_TRUE(receiver.add_sender(0, 0, secret_of(2)));
        Packet tampered = sealed;
        tampered.bytes[i] ^= flip;
        EXPECT_NE(open_packet(receiver, tampered).status, OpenStatus::kOk)
            << "byte " << i << " of " << sealed.bytes.size() << " flip " << int(flip);
      }
    }
    MediaReceiver receiver;
    ASSERT_TRUE(receiver.add_sender(0, 0, secret_of(2)));
    EXPECT_EQ(open_packet(receiver, sealed).status, OpenStatus::kOk);
  }
}

TEST(MediaSeal, WrongKeyFailsAuthentication) {
  MediaSender sender(secret_of(3));
  MediaReceiver receiver;
  ASSERT_TRUE(receiver.add_sender(0, 0, secret_of(4)));
  Packet p = make_packet(1, 1, 60);
  seal_packet(sender, p);
  EXPECT_EQ(open_packet(receiver, p).status, OpenStatus::kAuthFailed);
}

TEST(MediaSeal, NoncesDifferPerStreamSequenceAndEpoch) {
  EpochKeys keys = EpochKeys::derive(0, secret_of(5));
  uint8_t a[kNonceSize], b[kNonceSize], c[kNonceSize];
  make_nonce(keys, 1, 2, a);
  make_nonce(keys, 2, 1, b);
  EpochKeys next = keys.next();
  make_nonce(next, 1, 2, c);
  EXPECT_NE(std::vector<uint8_t>(a, a + 12), std::vector<uint8_t>(b, b + 12));
  EXPECT_NE(std::vector<uint8_t>(a, a + 12), std::vector<uint8_t>(c, c + 12));
  EXPECT_NE(std::vector<uint8_t>(keys.key, keys.key + 32),
            std::vector<uint8_t>(next.key, next.key + 32));
}

TEST(MediaSeal, SenderRefusesToReuseASequence) {
  MediaSender sender(secret_of(6));
  Packet first = make_packet(1, 10, 60), again = make_packet(1, 10, 60),
         older = make_packet(1, 9, 60);
  EXPECT_EQ(seal_packet(sender, first).status, SealStatus::kOk);
  EXPECT_EQ(seal_packet(sender, again).status, SealStatus::kSequenceReused);
  EXPECT_EQ(seal_packet(sender, older).status, SealStatus::kSequenceReused);
  Packet other_stream = make_packet(2, 10, 60);
  EXPECT_EQ(seal_packet(sender, other_stream).status, SealStatus::kOk);
}

TEST(MediaSeal, SenderStreamTableIsBounded) {
  MediaSender sender(secret_of(6), 0, SendConfig{.max_streams = 2});
  Packet a = make_packet(1, 1, 10), b = make_packet(2, 1, 10), c = make_packet(3, 1, 10);
  EXPECT_EQ(seal_packet(sender, a).status, SealStatus::kOk);
  EXPECT_EQ(seal_packet(sender, b).status, SealStatus::kOk);
  EXPECT_EQ(seal_packet(sender, c).status, SealStatus::kStreamTableFull);
}

TEST(ReplayWindow, AcceptsReorderingOnceAndRejectsOld) {
  ReplayWindow window(1024);
  EXPECT_EQ(window.size(), 1024u);
  for (uint32_t s : {100u, 102u, 101u, 99u}) {
    ASSERT_EQ(window.check(s), ReplayVerdict::kFresh) << s;
    window.accept(s);
  }
  EXPECT_EQ(window.check(101), ReplayVerdict::kDuplicate);
  window.accept(2000);
  EXPECT_EQ(window.check(2000 - 1023), ReplayVerdict::kFresh);
  EXPECT_EQ(window.check(2000 - 1024), ReplayVerdict::kTooOld);
  EXPECT_EQ(window.check(102), ReplayVerdict::kTooOld);
  EXPECT_EQ(window.check(2001), ReplayVerdict::kFresh);
}

TEST(ReplayWindow, FollowsTheSequenceAcrossWrap) {
  ReplayWindow window(64);
  window.accept(0xfffffffe);
  window.accept(0xffffffff);
  EXPECT_EQ(window.check(0), ReplayVerdict::kFresh);
  window.accept(1);
  EXPECT_EQ(window.check(0), ReplayVerdict::kFresh);
  EXPECT_EQ(window.check(0xffffffff), ReplayVerdict::kDuplicate);
  EXPECT_EQ(window.check(1), ReplayVerdict::kDuplicate);
}

TEST(MediaReceiver, RejectsReplaysButToleratesReordering) {
  MediaSender sender(secret_of(7));
  MediaReceiver receiver(ReceiveConfig{.replay_window = 128});
  ASSERT_TRUE(receiver.add_sender(0, 0, secret_of(7)));
  std::vector<Packet> packets;
  for (uint32_t s = 1; s <= 300; ++s) {
    packets.push_back(make_packet(9, s, 20));
    ASSERT_EQ(seal_packet(sender, packets.back()).status, SealStatus::kOk);
  }
  EXPECT_EQ(open_packet(receiver, packets[5]).status, OpenStatus::kOk);
  EXPECT_EQ(open_packet(receiver, packets[3]).status, OpenStatus::kOk);  // late, in window
  EXPECT_EQ(open_packet(receiver, packets[5]).status, OpenStatus::kReplay);
  EXPECT_EQ(open_packet(receiver, packets[299]).status, OpenStatus::kOk);
  EXPECT_EQ(open_packet(receiver, packets[100]).status, OpenStatus::kTooOld);
  EXPECT_EQ(open_packet(receiver, packets[250]).status, OpenStatus::kOk);
}

TEST(MediaReceiver, ForgedPacketDoesNotMoveTheWindow) {
  MediaSender sender(secret_of(8));
  MediaReceiver receiver;
  ASSERT_TRUE(receiver.add_sender(0, 0, secret_of(8)));
  Packet genuine = make_packet(1, 5, 30);
  seal_packet(sender, genuine);
  Packet forged = genuine;
  forged.tag()[0] ^= 1;
  EXPECT_EQ(open_packet(receiver, forged).status, OpenStatus::kAuthFailed);
  EXPECT_EQ(open_packet(receiver, genuine).status, OpenStatus::kOk);
}

TEST(MediaReceiver, UnknownSenderWhenStreamsAreAmbiguous) {
  MediaReceiver receiver;
  Packet p = make_packet(1, 1, 10);
  EXPECT_EQ(open_packet(receiver, p).status, OpenStatus::kUnknownSender);
  ASSERT_TRUE(receiver.add_sender(10, 0, secret_of(1)));
  ASSERT_TRUE(receiver.add_sender(11, 0, secret_of(2)));
  EXPECT_EQ(open_packet(receiver, p).status, OpenStatus::kUnknownSender);
  MediaSender sender(secret_of(2));
  seal_packet(sender, p);
  receiver.route_stream(1, 11);
  OpenResult result = open_packet(receiver, p);
  EXPECT_EQ(result.status, OpenStatus::kOk);
  EXPECT_EQ(result.sender_id, 11u);
}

TEST(Rekey, SenderRatchetsAfterNPacketsAndReceiverFollows) {
  MediaSender sender(secret_of(9), 0, SendConfig{.rekey_packets = 10});
  MediaReceiver receiver(ReceiveConfig{.overlap_packets = 3});
  ASSERT_TRUE(receiver.add_sender(0, 0, secret_of(9)));
  std::vector<Packet> packets;
  int sender_changes = 0;
  for (uint32_t s = 1; s <= 25; ++s) {
    packets.push_back(make_packet(1, s, 40));
    SealResult sealed = seal_packet(sender, packets.back());
    ASSERT_EQ(sealed.status, SealStatus::kOk);
    EXPECT_EQ(sealed.epoch, (s - 1) / 10);
    sender_changes += sealed.epoch_changed;
  }
  EXPECT_EQ(sender_changes, 2);
  // Epoch 0 up to 9, then epoch 1 begins with packet 11.
  for (int i = 0; i < 8; ++i) ASSERT_EQ(open_packet(receiver, packets[i]).status, OpenStatus::kOk);
  OpenResult changed = open_packet(receiver, packets[10]);
  EXPECT_EQ(changed.status, OpenStatus::kOk);
  EXPECT_TRUE(changed.epoch_changed);
  EXPECT_EQ(changed.epoch, 1u);
  // Late epoch-0 packets are accepted during the overlap (3 packets)...
  EXPECT_EQ(open_packet(receiver, packets[8]).status, OpenStatus::kOk);
  EXPECT_EQ(open_packet(receiver, packets[9]).status, OpenStatus::kOk);
  // ...and an epoch-0 replay is still a replay.
  EXPECT_EQ(open_packet(receiver, packets[9]).status, OpenStatus::kReplay);
  // Epoch 2 begins; epoch 0 is now older than the previous epoch.
  for (int i = 11; i < 21; ++i)
    ASSERT_EQ(open_packet(receiver, packets[i]).status, OpenStatus::kOk);
  Packet stale = make_packet(1, 5, 40);
  MediaSender epoch0(secret_of(9));
  seal_packet(epoch0, stale);
  EXPECT_EQ(open_packet(receiver, stale).status, OpenStatus::kUnknownEpoch);
}

TEST(Rekey, OldEpochIsWipedAfterOverlapPacketsOfTheNewEpoch) {
  MediaSender sender(secret_of(12), 0, SendConfig{.rekey_packets = 3});
  MediaReceiver receiver(ReceiveConfig{.overlap_packets = 2});
  ASSERT_TRUE(receiver.add_sender(0, 0, secret_of(12)));
  std::vector<Packet> p;  // sequences 1-3 in epoch 0, 4-6 in epoch 1
  for (uint32_t s = 1; s <= 6; ++s) {
    p.push_back(make_packet(1, s, 10));
    ASSERT_EQ(seal_packet(sender, p.back()).epoch, (s - 1) / 3);
  }
  EXPECT_EQ(open_packet(receiver, p[0]).status, OpenStatus::kOk);
  EXPECT_TRUE(open_packet(receiver, p[3]).epoch_changed);
  EXPECT_EQ(open_packet(receiver, p[1]).status, OpenStatus::kOk);  // late, in the overlap
  EXPECT_EQ(open_packet(receiver, p[4]).status, OpenStatus::kOk);
  EXPECT_EQ(open_packet(receiver, p[5]).status, OpenStatus::kOk);  // 2 new packets: overlap over
  EXPECT_EQ(open_packet(receiver, p[2]).status, OpenStatus::kUnknownEpoch);
}

TEST(Rekey, OldEpochIsWipedAfterTheOverlapTime) {
  MediaSender sender(secret_of(10), 0, SendConfig{.rekey_ns = 1'000'000'000});
  MediaReceiver receiver(ReceiveConfig{.replay_window = 64, .overlap_ns = 500'000'000});
  ASSERT_TRUE(receiver.add_sender(0, 0, secret_of(10)));
  Packet a = make_packet(1, 1, 10), late = make_packet(1, 2, 10), b = make_packet(1, 3, 10);
  EXPECT_EQ(seal_packet(sender, a, 0).epoch, 0u);
  EXPECT_EQ(seal_packet(sender, late, 900'000'000).epoch, 0u);
  EXPECT_EQ(seal_packet(sender, b, 1'000'000'000).epoch, 1u);
  EXPECT_EQ(open_packet(receiver, a, 1'000'000'000).status, OpenStatus::kOk);
  EXPECT_TRUE(open_packet(receiver, b, 1'100'000'000).epoch_changed);
  // 0.6 s after the change: the overlap (0.5 s) is over and epoch 0 is gone.
  EXPECT_EQ(open_packet(receiver, late, 1'700'000'000).status, OpenStatus::kUnknownEpoch);
}

TEST(Rekey, InstalledEpochReplacesTheRatchet) {
  // A room's leave rotation: the sender jumps to a fresh random secret.
  MediaSender sender(secret_of(11));
  MediaReceiver receiver;
  ASSERT_TRUE(receiver.add_sender(4, 0, secret_of(11)));
  sender.install(1, secret_of(12));
  Packet p = make_packet(1, 1, 10);
  ASSERT_EQ(seal_packet(sender, p).epoch, 1u);
  EXPECT_EQ(open_packet(receiver, p).status, OpenStatus::kAuthFailed);  // ratchet guess is wrong
  ASSERT_TRUE(receiver.install_epoch(4, 1, secret_of(12)));
  OpenResult result = open_packet(receiver, p);
  EXPECT_EQ(result.status, OpenStatus::kOk);
  EXPECT_TRUE(result.epoch_changed);
  EXPECT_FALSE(receiver.install_epoch(4, 1, secret_of(13)));  // not newer than current
}

}  // namespace
}  // namespace wzp::crypto
