// How an I/O turn's packets are grouped into sendmmsg messages and UDP GSO
// runs: decided without a socket.
#include "libwzp/quic/send_batch.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <vector>

namespace wzp::quic {
namespace {

sockaddr_in address(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

void add(SendBatch &batch, const sockaddr_in &to, size_t size, uint8_t fill = 0) {
  std::vector<uint8_t> packet(size, fill);
  ASSERT_TRUE(batch.add(reinterpret_cast<const sockaddr *>(&to), sizeof to, packet));
}

std::vector<size_t> counts(const SendBatch &batch) {
  std::vector<size_t> out;
  for (const auto &message : batch.messages()) out.push_back(message.count);
  return out;
}

TEST(SendBatch, PacketsOfOneSizeToOneAddressAreOneMessage) {
  SendBatch batch(true);
  const auto peer = address(4000);
  for (uint8_t i = 0; i < 5; ++i) add(batch, peer, 100, i);
  ASSERT_EQ(counts(batch), std::vector<size_t>{5});
  const auto &message = batch.messages()[0];
  EXPECT_EQ(message.segment_size, 100u);
  EXPECT_EQ(message.bytes, 500u);
  for (uint8_t i = 0; i < 5; ++i) {
    auto packet = batch.packet(message, i);
    ASSERT_EQ(packet.size(), 100u);
    EXPECT_EQ(packet[0], i);
  }
}

TEST(SendBatch, AShorterPacketEndsTheRunALongerOneStartsANewOne) {
  SendBatch batch(true);
  const auto peer = address(4000);
  add(batch, peer, 100);
  add(batch, peer, 100);
  add(batch, peer, 60);   // the run's last
  add(batch, peer, 100);  // nothing may follow a shorter segment
  add(batch, peer, 120);  // longer than the segment
  EXPECT_EQ(counts(batch), (std::vector<size_t>{3, 1, 1}));
  EXPECT_EQ(batch.packet(batch.messages()[0], 2).size(), 60u);
}

TEST(SendBatch, AnotherAddressStartsANewMessage) {
  SendBatch batch(true);
  add(batch, address(4000), 100);
  add(batch, address(4001), 100);
  add(batch, address(4000), 100);
  ASSERT_EQ(counts(batch), (std::vector<size_t>{1, 1, 1}));
  socklen_t len = 0;
  const auto &second = batch.address(batch.messages()[1], len);
  EXPECT_EQ(len, sizeof(sockaddr_in));
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in &>(second).sin_port), 4001);
}

TEST(SendBatch, ARunStopsAtTheKernelsSegmentAndByteLimits) {
  SendBatch batch(true);
  const auto peer = address(4000);
  for (size_t i = 0; i < SendBatch::kMaxSegments + 1; ++i) add(batch, peer, 60);
  EXPECT_EQ(counts(batch), (std::vector<size_t>{SendBatch::kMaxSegments, 1}));
  batch.clear();
  // 54 packets of 1200 bytes fit one IP datagram's 65,000 payload bytes, 55 do not.
  for (size_t i = 0; i < 60; ++i) add(batch, peer, 1200);
  EXPECT_EQ(counts(batch), (std::vector<size_t>{54, 6}));
}

TEST(SendBatch, WithoutGsoEveryPacketIsItsOwnMessage) {
  SendBatch batch(false);
  const auto peer = address(4000);
  for (int i = 0; i < 3; ++i) add(batch, peer, 100);
  EXPECT_EQ(counts(batch), (std::vector<size_t>{1, 1, 1}));
  batch.clear();
  batch = SendBatch(true);
  add(batch, peer, 100);
  batch.disable_gso();
  add(batch, peer, 100);
  EXPECT_EQ(counts(batch), (std::vector<size_t>{1, 1}));
}

TEST(SendBatch, AFullBatchRefusesUntilCleared) {
  SendBatch batch(true);
  const auto peer = address(4000);
  std::vector<uint8_t> packet(60);
  for (size_t i = 0; i < SendBatch::kMaxPackets; ++i) {
    ASSERT_TRUE(batch.add(reinterpret_cast<const sockaddr *>(&peer), sizeof peer, packet));
  }
  EXPECT_FALSE(batch.add(reinterpret_cast<const sockaddr *>(&peer), sizeof peer, packet));
  batch.clear();
  EXPECT_TRUE(batch.empty());
  EXPECT_TRUE(batch.add(reinterpret_cast<const sockaddr *>(&peer), sizeof peer, packet));
}

}  // namespace
}  // namespace wzp::quic
