// A handshake flood against a real endpoint over loopback: Initials replayed
// from many (spoofed) sources get Retries instead of slots, one source cannot
// take every slot, and a real client gets in while the flood lasts. Sources
// are distinct 127.0.0.x addresses, which Linux routes as loopback.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "libwzp/quic/endpoint.hpp"
#include "tests/support/wait.hpp"
#include "tests/unit/quic/quic_test_util.hpp"

namespace wzp::quic::test {
namespace {

struct Socket {
  explicit Socket(uint32_t host_order_address) {
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(host_order_address);
    bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
    timeval timeout{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~Socket() { close(fd); }
  Socket(const Socket &) = delete;
  Socket &operator=(const Socket &) = delete;
  void send_to(uint16_t port, const std::vector<uint8_t> &packet) const {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr *>(&to), sizeof to);
  }
  int fd = -1;
  sockaddr_in addr{};
};

uint32_t loopback(uint8_t last) { return (127u << 24) | last; }

// Real ClientHellos, each with its own connection id, from clients that will
// never answer: the first Initial of `count` dials to a socket that is silent.
std::vector<std::vector<uint8_t>> captured_initials(size_t count) {
  Socket silent(INADDR_LOOPBACK);
  auto config = client_config(std::string(64, 'a'));
  config.handshake_attempts = 1;
  config.handshake_echo_copies = 0;
  std::string error;
  auto flooder = Endpoint::create(config, nullptr, error);
  EXPECT_TRUE(flooder) << error;
  std::vector<std::shared_ptr<Connection>> dials;
  std::vector<std::vector<uint8_t>> initials;
  std::vector<uint8_t> buffer(2048);
  for (size_t i = 0; i < count; ++i) {
    dials.push_back(flooder->dial("127.0.0.1", ntohs(silent.addr.sin_port), {}, error));
    ssize_t n = recv(silent.fd, buffer.data(), buffer.size(), 0);
    if (n <= 0) break;
    initials.emplace_back(buffer.begin(), buffer.begin() + n);
  }
  EXPECT_EQ(initials.size(), count);
  return initials;
}

std::unique_ptr<Endpoint> make_server(const EndpointConfig &config) {
  std::string error;
  auto endpoint = Endpoint::create(config, nullptr, error);
  EXPECT_TRUE(endpoint) << error;
  return endpoint;
}

// How long a real client takes to get in while the flood holds its slots:
// well under the flood's handshake timeout, or it waited for the slots.
bool real_client_gets_in(const Endpoint &server, std::chrono::milliseconds within) {
  std::string error;
  auto client = Endpoint::create(client_config(server.fingerprint()), nullptr, error);
  if (!client) return false;
  auto connection = client->dial("127.0.0.1", server.local_port(), {}, error);
  return connection && connection->wait_established(within);
}

TEST(QuicAddressValidation, SpoofedInitialFloodGetsRetriesNotSlots) {
  constexpr size_t kFlood = 30;
  auto initials = captured_initials(kFlood);
  ASSERT_EQ(initials.size(), kFlood);

  auto config = server_config();
  config.max_handshakes = 16;
  config.retry_above_handshakes = 4;
  config.handshake_timeout = 20s;  // the flood outlasts the test
  auto server = make_server(config);
  std::vector<std::unique_ptr<Socket>> spoofed;
  for (size_t i = 0; i < kFlood; ++i) {
    spoofed.push_back(std::make_unique<Socket>(loopback(static_cast<uint8_t>(10 + i))));
    spoofed.back()->send_to(server->local_port(), initials[i]);
  }
  ASSERT_TRUE(
      wzp::test::wait_until([&] { return server->stats().packets_received >= kFlood; }, 5s));
  auto stats = server->stats();
  EXPECT_EQ(stats.connections_accepted, 4u);
  EXPECT_EQ(stats.retries_sent, kFlood - 4);
  EXPECT_EQ(stats.refused_handshakes, 0u);

  // A real client answers its Retry and is in, flood or not.
  EXPECT_TRUE(real_client_gets_in(*server, 3s));
  stats = server->stats();
  EXPECT_EQ(stats.connections_accepted, 5u);
  EXPECT_GT(stats.retries_sent, kFlood - 4);
  EXPECT_EQ(stats.dropped_bad_token, 0u);
}

TEST(QuicAddressValidation, ATokenIsBoundToTheAddressItWasSentTo) {
  auto initials = captured_initials(1);
  ASSERT_EQ(initials.size(), 1u);
  auto config = server_config();
  config.retry_above_handshakes = 0;  // always Retry
  auto server = make_server(config);
  Socket asked(loopback(20));
  asked.send_to(server->local_port(), initials[0]);
  std::vector<uint8_t> retry(2048);
  ssize_t n = recv(asked.fd, retry.data(), retry.size(), 0);
  ASSERT_GT(n, 0) << "no Retry";
  retry.resize(static_cast<size_t>(n));
  ngtcp2_pkt_hd hd;
  ngtcp2_ssize header = ngtcp2_pkt_decode_hd_long(&hd, retry.data(), retry.size());
  ASSERT_GT(header, 0);
  ASSERT_EQ(hd.type, NGTCP2_PKT_RETRY);
  // A Retry's token runs from its header to the 16-byte integrity tag.
  constexpr size_t kTag = 16;
  ASSERT_GT(retry.size(), static_cast<size_t>(header) + kTag);
  std::span<const uint8_t> token(retry.data() + header, retry.size() - header - kTag);
  // An Initial carrying that token from another address is dropped; the
  // token is all a spoofer would need, and it cannot reach it.
  std::vector<uint8_t> forged = {0xc3, 0, 0, 0, 1, static_cast<uint8_t>(hd.scid.datalen)};
  forged.insert(forged.end(), hd.scid.data, hd.scid.data + hd.scid.datalen);
  forged.push_back(8);
  forged.insert(forged.end(), 8, 0x42);
  ASSERT_LT(token.size(), 16384u);  // a two-byte varint
  forged.push_back(static_cast<uint8_t>(0x40 | (token.size() >> 8)));
  forged.push_back(static_cast<uint8_t>(token.size()));
  forged.insert(forged.end(), token.begin(), token.end());
  size_t rest = 1200 - forged.size() - 2;
  forged.push_back(static_cast<uint8_t>(0x40 | (rest >> 8)));
  forged.push_back(static_cast<uint8_t>(rest));
  forged.resize(1200, 0);
  Socket other(loopback(21));
  other.send_to(server->local_port(), forged);
  ASSERT_TRUE(wzp::test::wait_until([&] { return server->stats().packets_received >= 2; }, 5s));
  auto stats = server->stats();
  EXPECT_EQ(stats.retries_sent, 1u);
  EXPECT_EQ(stats.dropped_bad_token, 1u);
  EXPECT_EQ(stats.connections_accepted, 0u);
}

TEST(QuicAddressValidation, OneSourceCannotTakeEverySlot) {
  constexpr size_t kFlood = 10;
  auto initials = captured_initials(kFlood);
  ASSERT_EQ(initials.size(), kFlood);
  auto config = server_config();
  config.max_handshakes = 8;
  config.retry_above_handshakes = 8;  // this source would answer Retries anyway
  config.max_handshakes_per_source = 3;
  config.handshake_timeout = 20s;
  auto server = make_server(config);
  Socket flooder(loopback(7));
  for (const auto &packet : initials) flooder.send_to(server->local_port(), packet);
  ASSERT_TRUE(
      wzp::test::wait_until([&] { return server->stats().packets_received >= kFlood; }, 5s));
  auto stats = server->stats();
  EXPECT_EQ(stats.connections_accepted, 3u);
  EXPECT_EQ(stats.refused_per_source, kFlood - 3);
  EXPECT_TRUE(real_client_gets_in(*server, 3s));
}

}  // namespace
}  // namespace wzp::quic::test
