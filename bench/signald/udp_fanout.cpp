#include "bench/signald/udp_fanout.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

namespace wzp::bench {
namespace {

constexpr size_t kMaxMembers = 64;
constexpr int kSocketBufferBytes = 4 << 20;

sockaddr_in loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

int bound_socket() {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int size = kSocketBufferBytes;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  sockaddr_in addr = loopback(0);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("cannot bind a UDP socket on loopback");
  }
  return fd;
}

uint16_t port_of(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
  return ntohs(addr.sin_port);
}

// The child: only system calls, no allocation (it was forked from threads).
[[noreturn]] void forward_forever(int fd) {
  sockaddr_in members[kMaxMembers];
  size_t count = 0;
  uint8_t buffer[2048];
  for (;;) {
    sockaddr_in from{};
    socklen_t from_len = sizeof from;
    ssize_t n =
        recvfrom(fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr *>(&from), &from_len);
    if (n <= 0) continue;
    if (n == 1 && buffer[0] == 'J') {
      if (count < kMaxMembers) members[count++] = from;
      sendto(fd, "A", 1, 0, reinterpret_cast<sockaddr *>(&from), from_len);
      continue;
    }
    for (size_t i = 0; i < count; ++i) {
      if (members[i].sin_port == from.sin_port) continue;
      sendto(fd, buffer, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr *>(&members[i]),
             sizeof members[i]);
    }
  }
}

}  // namespace

UdpFanout::UdpFanout(size_t participants) {
  if (participants > kMaxMembers) throw std::runtime_error("too many participants");
  int forwarder_socket = bound_socket();
  forwarder_port_ = port_of(forwarder_socket);
  forwarder_ = fork();
  if (forwarder_ == 0) forward_forever(forwarder_socket);
  close(forwarder_socket);
  if (forwarder_ < 0) throw std::runtime_error("fork failed");
  const sockaddr_in target = loopback(forwarder_port_);
  for (size_t i = 0; i < participants; ++i) {
    int fd = bound_socket();
    sockets_.push_back(fd);
    // Register, and wait for the acknowledgement so every member is known
    // before anyone speaks.
    timeval timeout{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    char ack = 0;
    sendto(fd, "J", 1, 0, reinterpret_cast<const sockaddr *>(&target), sizeof target);
    if (recv(fd, &ack, 1, 0) != 1 || ack != 'A') {
      throw std::runtime_error("the UDP forwarder did not answer");
    }
  }
  receiver_ = std::thread([this] { receive_loop(); });
}

UdpFanout::~UdpFanout() {
  stopping_ = true;
  if (receiver_.joinable()) receiver_.join();
  if (forwarder_ > 0) {
    kill(forwarder_, SIGKILL);
    waitpid(forwarder_, nullptr, 0);
  }
  for (int fd : sockets_) close(fd);
}

void UdpFanout::send(size_t participant, std::span<const uint8_t> packet) {
  const sockaddr_in target = loopback(forwarder_port_);
  sendto(sockets_[participant], packet.data(), packet.size(), MSG_DONTWAIT,
         reinterpret_cast<const sockaddr *>(&target), sizeof target);
}

void UdpFanout::receive_loop() {
  std::vector<pollfd> fds;
  for (int fd : sockets_) fds.push_back({fd, POLLIN, 0});
  uint8_t buffer[2048];
  while (!stopping_) {
    if (poll(fds.data(), fds.size(), 50) <= 0) continue;
    for (const auto &p : fds) {
      if ((p.revents & POLLIN) == 0) continue;
      while (recv(p.fd, buffer, sizeof buffer, MSG_DONTWAIT) > 0) {
        delivered_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
}

}  // namespace wzp::bench
