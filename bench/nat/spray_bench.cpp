// How often the birthday spray (docs/nat.md, "Hard NATs") would open a
// path between an endpoint-independent NAT and a random symmetric one,
// measured on tests/support/netlab's real nftables NATs (`masquerade` and
// `masquerade random`) with plain UDP, before any of it is built into wzp.
//
// Per trial, a lab of its own: behind the symmetric NAT, the acceptor opens
// N sockets and sends one datagram from each to the cone side's public
// address (N mappings, each on a random port of the symmetric router);
// behind the cone NAT, the sprayer sends K probes from one socket to random
// ports of the symmetric router's address, RATE a second. A probe that hits
// one of the N mappings reaches the acceptor, which answers on that socket;
// the sprayer's first answer is a hit. Prints hits of trials against the
// expectation 1 - exp(-N K / 64512), the time from the first probe to the
// hit, and the packets the cone router forwarded to the symmetric one.
//
// Needs root, like ctest -L nat:
//   sudo build/bench/nat/wzp_spray_bench [--trials T] [--sockets N] [--probes K] [--rate R]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/support/netlab.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using wzp::test::ChildProcess;
using wzp::test::NatKind;
using wzp::test::NetLab;

// The cone side's socket; the cone NAT keeps the port.
constexpr uint16_t kConePort = 40000;
// What masquerade random draws from for a source port of 1024 or more.
constexpr double kPortRange = 65536 - 1024;

int udp_socket(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_port = htons(port);
  if (fd < 0 || bind(fd, reinterpret_cast<const sockaddr *>(&local), sizeof local) != 0) {
    std::perror("socket");
    std::exit(1);
  }
  return fd;
}

sockaddr_in address(const char *ip, uint16_t port) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  inet_pton(AF_INET, ip, &to.sin_addr);
  return to;
}

void send_to(int fd, const sockaddr_in &to, const char *text) {
  sendto(fd, text, std::strlen(text), 0, reinterpret_cast<const sockaddr *>(&to), sizeof to);
}

// acceptor CONE_IP N SECONDS
int acceptor(const char *cone_ip, int sockets, int seconds) {
  std::vector<pollfd> fds;
  const auto cone = address(cone_ip, kConePort);
  for (int i = 0; i < sockets; ++i) {
    fds.push_back({udp_socket(0), POLLIN, 0});
    send_to(fds.back().fd, cone, "wzp?");
  }
  std::printf("acceptor ready\n");
  std::fflush(stdout);
  const auto until = Clock::now() + std::chrono::seconds(seconds);
  while (Clock::now() < until) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (poll(fds.data(), fds.size(), static_cast<int>(left.count())) <= 0) continue;
    for (const auto &p : fds) {
      if ((p.revents & POLLIN) == 0) continue;
      char buffer[64];
      sockaddr_in from{};
      socklen_t length = sizeof from;
      if (recvfrom(p.fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr *>(&from), &length) <
          0) {
        continue;
      }
      for (int i = 0; i < 3; ++i) send_to(p.fd, from, "wzp!");
      std::printf("hit\n");
      return 0;
    }
  }
  std::printf("miss\n");
  return 0;
}

// sprayer SYMMETRIC_IP K RATE
int sprayer(const char *symmetric_ip, int probes, int rate) {
  const int fd = udp_socket(kConePort);
  std::random_device seed;
  std::mt19937 random(seed());
  std::uniform_int_distribution<int> port(1024, 65535);
  std::set<int> tried;
  const auto interval = std::chrono::microseconds(1000000 / rate);
  const auto start = Clock::now();
  auto next = start;
  int sent = 0;
  // Answers may come for a while after the last probe: one round trip.
  const auto give_up = start + interval * probes + 500ms;
  while (Clock::now() < give_up) {
    if (sent < probes && Clock::now() >= next) {
      int p;
      do p = port(random);
      while (!tried.insert(p).second);
      send_to(fd, address(symmetric_ip, static_cast<uint16_t>(p)), "wzp?");
      ++sent;
      next += interval;
    }
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::min(sent < probes ? next : give_up, give_up) - Clock::now());
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::max<int64_t>(0, wait.count()))) == 1) {
      char buffer[64];
      const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
      if (n == 4 && std::memcmp(buffer, "wzp!", 4) == 0) {
        std::printf("hit after %d probes in %lld ms\n", sent,
                    static_cast<long long>(
                        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start)
                            .count()));
        return 0;
      }
    }
  }
  std::printf("miss after %d probes\n", sent);
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string role = argc > 1 ? argv[1] : "";
  if (role == "acceptor" && argc == 5) {
    return acceptor(argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
  }
  if (role == "sprayer" && argc == 5) {
    return sprayer(argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
  }
  int trials = 20, sockets = 64, probes = 256, rate = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--trials") == 0) trials = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--sockets") == 0) sockets = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--probes") == 0) probes = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--rate") == 0) rate = std::atoi(argv[i + 1]);
  }
  if (trials < 1 || sockets < 1 || probes < 1 || rate < 1) {
    std::fprintf(stderr,
                 "usage: wzp_spray_bench [--trials T] [--sockets N] [--probes K] "
                 "[--rate R] (all positive)\n");
    return 2;
  }
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const double spray_seconds = static_cast<double>(probes) / rate;
  int hits = 0, failed = 0;
  std::vector<double> times;
  std::vector<uint64_t> packets;
  for (int t = 0; t < trials; ++t) {
    NetLab lab;
    auto &cone = lab.add_router(NatKind::kEndpointIndependent);
    auto &symmetric = lab.add_router(NatKind::kSymmetric);
    auto cone_host = lab.add_host(cone);
    auto symmetric_host = lab.add_host(symmetric);
    lab.count_to(cone, symmetric.wan_address);
    const int wait = static_cast<int>(std::ceil(spray_seconds)) + 5;
    auto accepting =
        lab.start(symmetric_host.ns, self,
                  {"acceptor", cone.wan_address, std::to_string(sockets), std::to_string(wait)});
    if (!accepting->wait_for_line(std::regex("^acceptor ready"), 10s)) {
      ++failed;
      continue;
    }
    auto spraying =
        lab.start(cone_host.ns, self,
                  {"sprayer", symmetric.wan_address, std::to_string(probes), std::to_string(rate)});
    auto line = spraying->wait_for_line(std::regex("^(hit|miss)"), std::chrono::seconds(wait + 5));
    std::smatch m;
    if (!line) {
      ++failed;
      continue;
    }
    if (std::regex_search(*line, m, std::regex(R"(^hit after \d+ probes in (\d+) ms)"))) {
      ++hits;
      times.push_back(std::stod(m[1]) / 1000);
    }
    spraying->wait_exit(10s);
    packets.push_back(lab.counted(cone));
  }
  std::sort(times.begin(), times.end());
  std::sort(packets.begin(), packets.end());
  const double expected = 1 - std::exp(-sockets * static_cast<double>(probes) / kPortRange);
  std::printf(
      "| sockets N | probes K | rate | hits | expected | time to hit (min / median / max) "
      "| packets to the symmetric router (max) |\n|---|---|---|---|---|---|---|\n");
  char spread[64] = "-";
  if (!times.empty()) {
    std::snprintf(spread, sizeof spread, "%.2f / %.2f / %.2f s", times.front(),
                  times[times.size() / 2], times.back());
  }
  std::printf("| %d | %d | %d/s | %d of %d%s | %.1f %% | %s | %llu |\n", sockets, probes, rate,
              hits, trials - failed,
              failed ? (" (" + std::to_string(failed) + " failed)").c_str() : "", 100 * expected,
              spread, packets.empty() ? 0ULL : static_cast<unsigned long long>(packets.back()));
  return 0;
}
