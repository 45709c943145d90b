// The wzp-impair program as a real process: readiness line, forwarding,
// counters on SIGTERM, and clear errors for bad arguments.

// GCC 12 with -fsanitize=address warns falsely inside std::regex's compiler.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>

#include "libwzp/netsim/address.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"

namespace wzp::netsim {
namespace {

using namespace std::chrono_literals;

std::filesystem::path program() { return test::build_binary("tools/wzp-impair/wzp-impair"); }

class UdpSocket {
 public:
  UdpSocket() : fd_(socket(AF_INET, SOCK_DGRAM, 0)) {
    SocketAddress any;
    parse_address("127.0.0.1:0", any);
    bind(fd_, any.get(), any.length);
  }
  explicit UdpSocket(uint16_t port) : fd_(socket(AF_INET, SOCK_DGRAM, 0)) {
    SocketAddress at;
    parse_address("127.0.0.1:" + std::to_string(port), at);
    bind(fd_, at.get(), at.length);
  }
  ~UdpSocket() { close(fd_); }
  int fd() const { return fd_; }
  bool wait_readable(std::chrono::milliseconds timeout) const {
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, static_cast<int>(timeout.count())) > 0;
  }

 private:
  int fd_;
};

TEST(WzpImpairProgram, ForwardsBothWaysAndReportsCountersOnSigterm) {
  const uint16_t listen_port = test::free_udp_port();
  UdpSocket server(test::free_udp_port());
  SocketAddress server_address;
  server_address.length = sizeof server_address.storage;
  getsockname(server.fd(), server_address.get(), &server_address.length);

  test::ChildProcess impair(program(), {"--listen", "127.0.0.1:" + std::to_string(listen_port),
                                        "--upstream", to_string(server_address), "--profile",
                                        "clean", "--up", "delay=10ms", "--interval", "1"});
  auto ready = impair.wait_for_line(std::regex("^ready listen=127\\.0\\.0\\.1:[0-9]+"), 10s);
  ASSERT_TRUE(ready) << "no readiness line";

  UdpSocket client;
  SocketAddress proxy;
  parse_address("127.0.0.1:" + std::to_string(listen_port), proxy);
  const char ping[] = "ping";
  sendto(client.fd(), ping, sizeof ping, 0, proxy.get(), proxy.length);

  ASSERT_TRUE(server.wait_readable(3s));
  char buffer[64];
  SocketAddress from;
  from.length = sizeof from.storage;
  ASSERT_EQ(recvfrom(server.fd(), buffer, sizeof buffer, 0, from.get(), &from.length),
            static_cast<ssize_t>(sizeof ping));
  EXPECT_STREQ(buffer, "ping");
  const char pong[] = "pong";
  sendto(server.fd(), pong, sizeof pong, 0, from.get(), from.length);
  ASSERT_TRUE(client.wait_readable(3s));
  ASSERT_EQ(recv(client.fd(), buffer, sizeof buffer, 0), static_cast<ssize_t>(sizeof pong));
  EXPECT_STREQ(buffer, "pong");

  EXPECT_TRUE(impair.wait_for_line(std::regex("^stats up in=1 out=1 "), 5s));
  impair.signal(SIGTERM);
  auto status = impair.wait_exit(5s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  EXPECT_TRUE(impair.wait_for_line(std::regex("^final up in=1 out=1 .*down in=1 out=1 "), 1s));
}

TEST(WzpImpairProgram, RejectsBadSpecsWithAClearMessage) {
  test::ChildProcess impair(
      program(), {"--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9", "--up", "loss=7"});
  EXPECT_TRUE(impair.wait_for_line(std::regex("--up: bad value '7' for loss"), 5s));
  auto status = impair.wait_exit(5s);
  ASSERT_TRUE(status);
  EXPECT_EQ(WEXITSTATUS(*status), 2);
}

TEST(WzpImpairProgram, RejectsAnUnknownProfile) {
  test::ChildProcess impair(
      program(), {"--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9", "--profile", "moon"});
  EXPECT_TRUE(impair.wait_for_line(std::regex("'moon' is neither"), 5s));
  auto status = impair.wait_exit(5s);
  ASSERT_TRUE(status);
  EXPECT_EQ(WEXITSTATUS(*status), 2);
}

}  // namespace
}  // namespace wzp::netsim
