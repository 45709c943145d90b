// Size-class padding inside the ciphertext: the sealed sizes fall in
// classes, a padded packet sealed and opened as a real wire packet gives back
// the same payload, and malformed padding is refused.
#include "libwzp/crypto/padding.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "libwzp/crypto/session.hpp"
#include "libwzp/wire/header.hpp"

namespace wzp::crypto {
namespace {

TEST(CryptoPadding, SealedSizesAreMultiplesOfTheClassUpToTheLimit) {
  for (size_t header : {wire::kMiniHeaderSize, wire::kFullHeaderSize,
                        wire::kFullHeaderSize + wire::kQualityReportSize}) {
    for (size_t size_class : {1u, 16u, 64u, 160u, 1500u}) {
      for (size_t payload = 0; payload + header + kPaddingTrailerSize + kTagSize <= 1500;
           ++payload) {
        auto padded = padded_payload_size(header, payload, size_class, 1500);
        ASSERT_TRUE(padded) << header << " " << size_class << " " << payload;
        size_t sealed = header + *padded + kTagSize;
        EXPECT_GE(*padded, payload + kPaddingTrailerSize);
        EXPECT_TRUE(sealed % size_class == 0 || sealed == 1500) << sealed;
        EXPECT_LT(sealed - (header + payload + kPaddingTrailerSize + kTagSize), size_class);
      }
    }
  }
}

TEST(CryptoPadding, NoClassOrNoRoomForTheTrailerIsNoPadding) {
  EXPECT_FALSE(padded_payload_size(24, 10, 0, 1500));
  EXPECT_FALSE(padded_payload_size(24, 1500 - 24 - kTagSize - 1, 64, 1500));
  EXPECT_EQ(padded_payload_size(24, 1500 - 24 - kTagSize - 2, 64, 1500), 1500 - 24 - kTagSize);
}

TEST(CryptoPadding, APaddedPacketSealsAndOpensToTheSamePayload) {
  TrafficSecret secret;
  secret.fill(9);
  MediaSender sender(secret);
  MediaReceiver receiver;
  receiver.add_sender(0, 0, secret);
  for (uint32_t sequence = 1; sequence <= 60; ++sequence) {
    wire::MediaHeader header;
    header.codec = wire::codec::kOpus;
    header.stream_id = 5;
    header.sequence = sequence;
    const std::vector<uint8_t> payload(sequence * 7, static_cast<uint8_t>(sequence));
    std::vector<uint8_t> packet(wire::kMaxPacketSize);
    size_t header_size = wire::write_full(header, nullptr, packet);
    ASSERT_TRUE(wire::set_padded(packet, true));
    std::copy(payload.begin(), payload.end(), packet.begin() + header_size);
    auto padded = padded_payload_size(header_size, payload.size(), 64, wire::kMaxPacketSize);
    ASSERT_TRUE(padded);
    std::span<uint8_t> plaintext(packet.data() + header_size, *padded);
    pad(plaintext, payload.size());
    packet.resize(header_size + *padded + kTagSize);
    ASSERT_EQ(packet.size() % 64, 0u);
    uint8_t *tag = packet.data() + header_size + *padded;
    ASSERT_EQ(sender
                  .seal(5, sequence, 0, &packet[3], 0, std::span(packet).first(header_size),
                        plaintext, tag)
                  .status,
              SealStatus::kOk);

    wire::PacketView view;
    ASSERT_EQ(wire::parse_full(std::span(packet).first(packet.size() - kTagSize), view),
              wire::WireError::kOk);
    EXPECT_TRUE(view.header.padded);
    ASSERT_EQ(
        receiver.open(5, sequence, view.header.key_epoch, 0, view.header_bytes, plaintext, tag)
            .status,
        OpenStatus::kOk);
    auto size = unpadded_size(plaintext);
    ASSERT_EQ(size, payload.size());
    EXPECT_TRUE(std::equal(payload.begin(), payload.end(), plaintext.begin()));
  }
}

TEST(CryptoPadding, MalformedPaddingIsRefused) {
  std::vector<uint8_t> plaintext{1, 2, 3, 0, 0, 0, 2};
  EXPECT_EQ(unpadded_size(plaintext), 3u);
  EXPECT_EQ(unpadded_size(std::vector<uint8_t>{0, 0}), 0u);
  EXPECT_FALSE(unpadded_size(std::vector<uint8_t>{}));
  EXPECT_FALSE(unpadded_size(std::vector<uint8_t>{0}));
  EXPECT_FALSE(unpadded_size(std::vector<uint8_t>{1, 2, 0, 3}));  // longer than what precedes
  EXPECT_FALSE(unpadded_size(std::vector<uint8_t>{1, 2, 3, 9, 0, 0, 2}));  // non-zero padding
  EXPECT_FALSE(unpadded_size(std::vector<uint8_t>{1, 2, 3, 0, 0xff, 0xff}));
}

}  // namespace
}  // namespace wzp::crypto
