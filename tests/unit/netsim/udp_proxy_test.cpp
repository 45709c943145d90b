// The proxy over real UDP sockets on loopback, with an echo server upstream.
#include "libwzp/netsim/udp_proxy.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

#include "libwzp/netsim/spec.hpp"
#include "tests/support/wait.hpp"

namespace wzp::netsim {
namespace {

using namespace std::chrono_literals;

int bound_socket(SocketAddress &address) {
  EXPECT_EQ(parse_address("127.0.0.1:0", address), "");
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || bind(fd, address.get(), address.length) != 0) throw std::runtime_error("bind");
  address.length = sizeof address.storage;
  getsockname(fd, address.get(), &address.length);
  return fd;
}

// Sends every datagram back to whoever sent it.
class EchoServer {
 public:
  EchoServer() : fd_(bound_socket(address_)), thread_([this] { run(); }) {}
  ~EchoServer() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  std::string address() const { return to_string(address_); }
  int received() const { return received_; }

 private:
  void run() {
    std::vector<uint8_t> buffer(65536);
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      SocketAddress from;
      from.length = sizeof from.storage;
      ssize_t n = recvfrom(fd_, buffer.data(), buffer.size(), 0, from.get(), &from.length);
      if (n < 0) continue;
      ++received_;
      sendto(fd_, buffer.data(), static_cast<size_t>(n), 0, from.get(), from.length);
    }
  }
  SocketAddress address_;
  int fd_;
  std::atomic<bool> stop_{false};
  std::atomic<int> received_{0};
  std::thread thread_;
};

class Client {
 public:
  Client() : fd_(bound_socket(address_)) {}
  ~Client() { close(fd_); }
  void send_to(const SocketAddress &to, uint32_t number, size_t size = 100) {
    std::vector<uint8_t> payload(size, 0xab);
    std::memcpy(payload.data(), &number, sizeof number);
    sendto(fd_, payload.data(), payload.size(), 0, to.get(), to.length);
  }
  // Collects the numbers of datagrams arriving until `quiet` passes with none.
  std::vector<uint32_t> receive_until_quiet(std::chrono::milliseconds quiet) {
    std::vector<uint32_t> numbers;
    std::vector<uint8_t> buffer(65536);
    pollfd p{fd_, POLLIN, 0};
    while (poll(&p, 1, static_cast<int>(quiet.count())) > 0) {
      ssize_t n = recv(fd_, buffer.data(), buffer.size(), 0);
      if (n >= 4) {
        uint32_t number;
        std::memcpy(&number, buffer.data(), sizeof number);
        numbers.push_back(number);
      }
    }
    return numbers;
  }

 private:
  SocketAddress address_;
  int fd_;
};

ProxyConfig config_for(const EchoServer &echo, std::string_view up = "",
                       std::string_view down = "") {
  ProxyConfig config;
  config.upstream = echo.address();
  EXPECT_EQ(parse_spec(up, {}, config.up), "");
  EXPECT_EQ(parse_spec(down, {}, config.down), "");
  return config;
}

TEST(UdpProxy, CleanPathEchoesEveryDatagramInOrder) {
  EchoServer echo;
  UdpProxy proxy(config_for(echo));
  EXPECT_NE(proxy.listen_address().port(), 0);
  Client client;
  for (uint32_t i = 0; i < 200; ++i) {
    client.send_to(proxy.listen_address(), i);
    if (i % 50 == 49) std::this_thread::sleep_for(5ms);  // stay inside socket buffers
  }
  auto numbers = client.receive_until_quiet(500ms);
  ASSERT_EQ(numbers.size(), 200u);
  for (uint32_t i = 0; i < 200; ++i) EXPECT_EQ(numbers[i], i);
  proxy.stop();
  ProxyCounters c = proxy.counters();
  EXPECT_EQ(c.up.delivered, 200u);
  EXPECT_EQ(c.down.delivered, 200u);
  EXPECT_EQ(c.up.bytes_in, 200u * 100);
  EXPECT_EQ(c.clients_seen, 1u);
  EXPECT_EQ(c.send_errors, 0u);
}

TEST(UdpProxy, LossInOneDirectionIsCountedThere) {
  EchoServer echo;
  UdpProxy proxy(config_for(echo, "loss=0.5,seed=3", "loss=0"));
  Client client;
  for (uint32_t i = 0; i < 400; ++i) {
    client.send_to(proxy.listen_address(), i);
    if (i % 50 == 49) std::this_thread::sleep_for(5ms);
  }
  auto numbers = client.receive_until_quiet(500ms);
  ProxyCounters c = proxy.counters();
  EXPECT_EQ(c.up.packets_in, 400u);
  EXPECT_EQ(c.up.lost + c.up.delivered, 400u);
  EXPECT_GT(c.up.lost, 150u);
  EXPECT_LT(c.up.lost, 250u);
  EXPECT_EQ(c.down.lost, 0u);
  EXPECT_EQ(numbers.size(), c.up.delivered);
  EXPECT_EQ(echo.received(), static_cast<int>(c.up.delivered));
}

TEST(UdpProxy, TotalLossDownstreamReachesTheServerButNotTheClient) {
  EchoServer echo;
  UdpProxy proxy(config_for(echo, "", "loss=1"));
  Client client;
  for (uint32_t i = 0; i < 20; ++i) client.send_to(proxy.listen_address(), i);
  EXPECT_TRUE(client.receive_until_quiet(300ms).empty());
  EXPECT_EQ(echo.received(), 20);
  EXPECT_EQ(proxy.counters().down.lost, 20u);
}

TEST(UdpProxy, DelayHoldsDatagramsBackBothWays) {
  EchoServer echo;
  UdpProxy proxy(config_for(echo, "delay=60ms", "delay=40ms"));
  Client client;
  const auto start = std::chrono::steady_clock::now();
  client.send_to(proxy.listen_address(), 1);
  auto numbers = client.receive_until_quiet(1s);
  ASSERT_EQ(numbers.size(), 1u);
  // The reply cannot come back before both delays have passed (a lower bound,
  // which a slow machine cannot break).
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
}

TEST(UdpProxy, EachClientGetsItsOwnReplies) {
  EchoServer echo;
  UdpProxy proxy(config_for(echo));
  Client a, b;
  for (uint32_t i = 0; i < 10; ++i) {
    a.send_to(proxy.listen_address(), i);
    b.send_to(proxy.listen_address(), 1000 + i);
  }
  auto from_a = a.receive_until_quiet(300ms);
  auto from_b = b.receive_until_quiet(300ms);
  ASSERT_EQ(from_a.size(), 10u);
  ASSERT_EQ(from_b.size(), 10u);
  for (uint32_t i = 0; i < 10; ++i) {
    EXPECT_EQ(from_a[i], i);
    EXPECT_EQ(from_b[i], 1000 + i);
  }
  EXPECT_EQ(proxy.counters().clients_seen, 2u);
}

TEST(UdpProxy, ClientsBeyondTheLimitAreCountedAndDropped) {
  EchoServer echo;
  ProxyConfig config = config_for(echo);
  config.max_clients = 1;
  UdpProxy proxy(config);
  Client a, b;
  a.send_to(proxy.listen_address(), 1);
  EXPECT_EQ(a.receive_until_quiet(200ms).size(), 1u);
  b.send_to(proxy.listen_address(), 2);
  EXPECT_TRUE(b.receive_until_quiet(200ms).empty());
  EXPECT_EQ(proxy.counters().client_limit_dropped, 1u);
}

TEST(UdpProxy, IdleClientsExpireAndComeBackAsNew) {
  EchoServer echo;
  ProxyConfig config = config_for(echo);
  config.max_clients = 1;
  config.client_idle_timeout = 100ms;
  UdpProxy proxy(config);
  Client a, b;
  a.send_to(proxy.listen_address(), 1);
  EXPECT_EQ(a.receive_until_quiet(200ms).size(), 1u);
  // The proxy checks for idle clients at least once a second.
  wzp::test::wait_until([&] { return proxy.counters().clients_active == 0; }, 5s);
  ASSERT_EQ(proxy.counters().clients_active, 0u);
  b.send_to(proxy.listen_address(), 2);  // a's entry is free again
  EXPECT_EQ(b.receive_until_quiet(200ms).size(), 1u);
  EXPECT_EQ(proxy.counters().clients_seen, 2u);
  EXPECT_EQ(proxy.counters().client_limit_dropped, 0u);
}

TEST(UdpProxy, OversizeDatagramsAreCountedAndDropped) {
  EchoServer echo;
  UdpProxy proxy(config_for(echo));
  Client client;
  client.send_to(proxy.listen_address(), 1, 1473);
  client.send_to(proxy.listen_address(), 2, 1472);
  auto numbers = client.receive_until_quiet(300ms);
  ASSERT_EQ(numbers.size(), 1u);
  EXPECT_EQ(numbers[0], 2u);
  EXPECT_EQ(proxy.counters().oversize_dropped, 1u);
}

TEST(UdpProxy, AFullDelayQueueDropsAndCounts) {
  EchoServer echo;
  ProxyConfig config = config_for(echo, "delay=300ms");
  config.max_pending = 8;
  UdpProxy proxy(config);
  Client client;
  for (uint32_t i = 0; i < 20; ++i) client.send_to(proxy.listen_address(), i);
  auto numbers = client.receive_until_quiet(800ms);
  EXPECT_EQ(numbers.size(), 8u);
  EXPECT_EQ(proxy.counters().pending_full_dropped, 12u);
}

TEST(UdpProxy, BadConfigurationThrowsAClearError) {
  ProxyConfig config;
  config.upstream = "not-an-address";
  EXPECT_THROW(UdpProxy{config}, std::runtime_error);
  config.upstream = "127.0.0.1:9";
  config.listen = "127.0.0.1:99999";
  EXPECT_THROW(UdpProxy{config}, std::runtime_error);
  config.listen = "127.0.0.1:0";
  config.up.loss = 2;
  EXPECT_THROW(UdpProxy{config}, std::runtime_error);
}

TEST(UdpProxy, DirectionsChangeWhileRunning) {
  EchoServer echo;
  UdpProxy proxy(config_for(echo));
  Client client;
  for (uint32_t i = 0; i < 50; ++i) client.send_to(proxy.listen_address(), i);
  EXPECT_EQ(client.receive_until_quiet(300ms).size(), 50u);

  DirectionConfig lose_all{.loss = 1.0};
  proxy.set_directions(lose_all, DirectionConfig{});
  for (uint32_t i = 50; i < 100; ++i) client.send_to(proxy.listen_address(), i);
  EXPECT_TRUE(client.receive_until_quiet(300ms).empty());
  EXPECT_EQ(proxy.counters().up.lost, 50u);

  proxy.set_directions(DirectionConfig{}, DirectionConfig{});
  for (uint32_t i = 100; i < 150; ++i) client.send_to(proxy.listen_address(), i);
  auto numbers = client.receive_until_quiet(300ms);
  ASSERT_EQ(numbers.size(), 50u);
  EXPECT_EQ(numbers.front(), 100u);
  ProxyCounters c = proxy.counters();
  EXPECT_EQ(c.up.packets_in, 150u);
  EXPECT_EQ(c.up.lost, 50u);
}

TEST(UdpProxy, AnInvalidNewDirectionIsRefusedAndTheOldOneStays) {
  EchoServer echo;
  UdpProxy proxy(config_for(echo));
  EXPECT_THROW(proxy.set_directions(DirectionConfig{.loss = 1.5}, DirectionConfig{}),
               std::runtime_error);
  Client client;
  for (uint32_t i = 0; i < 20; ++i) client.send_to(proxy.listen_address(), i);
  EXPECT_EQ(client.receive_until_quiet(300ms).size(), 20u);
}

}  // namespace
}  // namespace wzp::netsim
