#include "tests/unit/quic/udp_forwarder.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <random>
#include <vector>

namespace wzp::quic::test {
namespace {

sockaddr_in loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

int bound_socket(uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  sockaddr_in addr = loopback(port);
  bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
  return fd;
}

struct Delayed {
  std::chrono::steady_clock::time_point due;
  bool to_server;
  std::vector<uint8_t> bytes;
};

}  // namespace

UdpForwarder::UdpForwarder(uint16_t server_port, double loss, uint32_t one_way_delay_ms,
                           uint32_t seed) {
  client_side_ = bound_socket(0);
  server_side_ = bound_socket(0);
  stop_fd_ = eventfd(0, EFD_NONBLOCK);
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  getsockname(client_side_, reinterpret_cast<sockaddr *>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([=, this] { run(server_port, loss, one_way_delay_ms, seed); });
}

UdpForwarder::~UdpForwarder() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(stop_fd_, &one, sizeof one);
  thread_.join();
  close(client_side_);
  close(server_side_);
  close(stop_fd_);
}

void UdpForwarder::run(uint16_t server_port, double loss, uint32_t delay_ms, uint32_t seed) {
  std::mt19937 random(seed);
  std::bernoulli_distribution lose(loss);
  sockaddr_in server = loopback(server_port);
  sockaddr_in client{};
  bool know_client = false;
  std::deque<Delayed> pending;  // due times are monotonic: one fixed delay
  std::vector<uint8_t> buffer(65536);
  for (;;) {
    int timeout_ms = 100;
    if (!pending.empty()) {
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
          pending.front().due - std::chrono::steady_clock::now());
      timeout_ms = static_cast<int>(std::max<int64_t>(0, wait.count()));
    }
    pollfd fds[3] = {{client_side_, POLLIN, 0}, {server_side_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    poll(fds, 3, timeout_ms);
    if (fds[2].revents & POLLIN) return;
    for (int side = 0; side < 2; ++side) {
      if (!(fds[side].revents & POLLIN)) continue;
      for (;;) {
        sockaddr_in from{};
        socklen_t from_len = sizeof from;
        ssize_t n = recvfrom(fds[side].fd, buffer.data(), buffer.size(), 0,
                             reinterpret_cast<sockaddr *>(&from), &from_len);
        if (n < 0) break;
        if (side == 0) {
          client = from;
          know_client = true;
        }
        if (blackhole_ || lose(random)) {
          ++dropped_;
          continue;
        }
        pending.push_back({std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms),
                           side == 0, std::vector<uint8_t>(buffer.begin(), buffer.begin() + n)});
      }
    }
    auto now = std::chrono::steady_clock::now();
    while (!pending.empty() && pending.front().due <= now) {
      Delayed &packet = pending.front();
      if (packet.to_server) {
        sendto(server_side_, packet.bytes.data(), packet.bytes.size(), 0,
               reinterpret_cast<sockaddr *>(&server), sizeof server);
      } else if (know_client) {
        sendto(client_side_, packet.bytes.data(), packet.bytes.size(), 0,
               reinterpret_cast<sockaddr *>(&client), sizeof client);
      }
      ++forwarded_;
      pending.pop_front();
    }
  }
}

}  // namespace wzp::quic::test
