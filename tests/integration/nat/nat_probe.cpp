// The client side of the NAT tests, run inside a lab namespace
// (tests/support/netlab.hpp); it prints what it found, one fact a line.
//
//   nat_probe gather [--daemon HOST PORT CERT_SHA256 [--stun PORT]] [--no-port-mapping]
//                    [--budget MS] [--port PORT]
//       libwzp/nat's gathering for the socket of a real daemon session (or
//       a bare UDP socket without --daemon, on PORT if given), with the daemon's STUN port as
//       the second reflection (--stun); prints "local-port N",
//       "candidate TYPE ADDRESS PRIORITY", "mapping PROTOCOL ADDRESS",
//       "behaviour TEXT", "note TEXT", then "gathered"; holds its mappings
//       until SIGTERM, then gives them back and prints "released". Each
//       SIGUSR1 asks the gateway to renew them: "renewed PROTOCOL ADDRESS
//       SECONDS" or "not-renewed ERROR" for each, then "renew-done".
//   nat_probe mapping IP PORT1 PORT2
//       From one UDP socket, asks the reflector at IP:PORT1 and IP:PORT2
//       where it comes from; prints "seen-by PORT ADDRESS" for each.
//   nat_probe reflector IP PORT1 PORT2
//       Answers each datagram on either port with its source "ip:port";
//       prints "reflector ready".
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "libwzp/crypto/identity.hpp"
#include "libwzp/nat/gather.hpp"
#include "libwzp/nat/stun.hpp"
#include "libwzp/signal/session.hpp"

namespace {

using namespace std::chrono_literals;

int udp_socket(const char *ip, uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (fd < 0 || inet_pton(AF_INET, ip, &address.sin_addr) != 1 ||
      bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
    std::printf("error: cannot bind %s:%u: %s\n", ip, port, std::strerror(errno));
    std::exit(1);
  }
  return fd;
}

std::string text_of(const sockaddr_in &address) {
  char ip[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &address.sin_addr, ip, sizeof ip);
  return std::string(ip) + ":" + std::to_string(ntohs(address.sin_port));
}

uint16_t port_of(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length);
  return ntohs(address.sin_port);
}

// Blocks until SIGTERM or SIGINT (blocked in main, so they wait here),
// renewing `mappings` at each SIGUSR1.
void wait_for_stop(const std::vector<std::unique_ptr<wzp::nat::PortMapping>> &mappings) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGUSR1);
  int sig = 0;
  while (sigwait(&stop, &sig) == 0 && sig == SIGUSR1) {
    for (const auto &mapping : mappings) {
      std::string error;
      if (mapping->renew(std::chrono::steady_clock::now() + std::chrono::seconds(1), error)) {
        std::printf("renewed %s %s %lld\n", mapping->protocol(),
                    mapping->external().to_string().c_str(),
                    static_cast<long long>(mapping->lifetime().count()));
      } else {
        std::printf("not-renewed %s\n", error.c_str());
      }
    }
    std::printf("renew-done\n");
    std::fflush(stdout);
  }
}

int reflector(const char *ip, uint16_t port1, uint16_t port2) {
  pollfd fds[2] = {{udp_socket(ip, port1), POLLIN, 0}, {udp_socket(ip, port2), POLLIN, 0}};
  std::printf("reflector ready\n");
  std::fflush(stdout);
  for (;;) {
    if (poll(fds, 2, -1) < 0) return 1;
    for (auto &pfd : fds) {
      if (!(pfd.revents & POLLIN)) continue;
      char buffer[64];
      sockaddr_in from{};
      socklen_t length = sizeof from;
      if (recvfrom(pfd.fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr *>(&from), &length) <
          0) {
        continue;
      }
      const std::string seen = text_of(from);
      sendto(pfd.fd, seen.data(), seen.size(), 0, reinterpret_cast<sockaddr *>(&from), length);
    }
  }
}

int mapping(const char *ip, uint16_t port1, uint16_t port2) {
  const int fd = udp_socket("0.0.0.0", 0);
  for (uint16_t port : {port1, port2}) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    inet_pton(AF_INET, ip, &to.sin_addr);
    std::string seen;
    // The lab does not lose packets, but the reflector may not be up yet
    // for the first: ask again every 200 ms, 25 times at most.
    for (int attempt = 0; attempt < 25 && seen.empty(); ++attempt) {
      sendto(fd, "?", 1, 0, reinterpret_cast<sockaddr *>(&to), sizeof to);
      pollfd pfd{fd, POLLIN, 0};
      if (poll(&pfd, 1, 200) != 1) continue;
      char buffer[64];
      const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
      if (n > 0) seen.assign(buffer, static_cast<size_t>(n));
    }
    if (seen.empty()) {
      std::printf("error: no answer from %s:%u\n", ip, port);
      return 1;
    }
    std::printf("seen-by %u %s\n", port, seen.c_str());
  }
  return 0;
}

int gather(int argc, char **argv) {
  wzp::nat::GatherConfig config;
  std::unique_ptr<wzp::signal::Session> session;
  int bare_socket = -1;
  uint16_t stun_port = 0;
  std::string host;  // the daemon's
  uint16_t bare_port = 0;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--daemon" && i + 3 < argc) {
      wzp::signal::SessionConfig session_config;
      session_config.host = host = argv[i + 1];
      session_config.port = static_cast<uint16_t>(std::atoi(argv[i + 2]));
      session_config.server_fingerprint = argv[i + 3];
      i += 3;
      std::string error;
      session =
          wzp::signal::Session::connect(session_config, wzp::crypto::Identity::generate(), error);
      if (!session) {
        std::printf("error: %s\n", error.c_str());
        return 1;
      }
    } else if (arg == "--stun" && i + 1 < argc) {
      stun_port = static_cast<uint16_t>(std::atoi(argv[++i]));
    } else if (arg == "--no-port-mapping") {
      config.port_mapping = false;
    } else if (arg == "--budget" && i + 1 < argc) {
      config.budget = std::chrono::milliseconds(std::atoi(argv[++i]));
    } else if (arg == "--port" && i + 1 < argc) {
      bare_port = static_cast<uint16_t>(std::atoi(argv[++i]));
    } else {
      std::printf("error: unexpected argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (session) {
    config.local_port = session->local_port();
    config.reflect = [&session](std::chrono::milliseconds timeout) -> std::optional<std::string> {
      const uint64_t id = session->next_request_id();
      if (!session->send(wzp::signal::ReflectRequest{}, id)) return std::nullopt;
      auto reply = session->wait_reply(id, timeout);
      if (!reply) return std::nullopt;
      if (auto *reflected = std::get_if<wzp::signal::ReflectResponse>(&reply->message)) {
        return reflected->address;
      }
      return std::nullopt;
    };
  }
  if (session && stun_port != 0) {
    config.reflect_again = [&session, host, stun_port](std::chrono::milliseconds timeout,
                                                       std::string &error) {
      wzp::nat::stun::BindingExchange exchange;
      session->set_stun_handler(
          [&exchange](std::span<const uint8_t> bytes) { return exchange.deliver(bytes); });
      auto seen = exchange.run(
          [&](std::span<const uint8_t> request) {
            return session->send_stun(host, stun_port, request);
          },
          timeout, error);
      session->set_stun_handler(nullptr);
      return seen;
    };
  }
  if (!session) {
    bare_socket = udp_socket("0.0.0.0", bare_port);
    config.local_port = port_of(bare_socket);
  }
  std::printf("local-port %u\n", config.local_port);
  {
    const auto started = std::chrono::steady_clock::now();
    wzp::nat::Gathered gathered = wzp::nat::gather(config);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    for (const auto &candidate : gathered.candidates) {
      std::printf("candidate %s %s %u\n", wzp::nat::to_string(candidate.type),
                  candidate.address.to_string().c_str(), candidate.priority);
    }
    for (const auto &mapped : gathered.mappings) {
      std::printf("mapping %s %s\n", mapped->protocol(), mapped->external().to_string().c_str());
    }
    if (gathered.behaviour) {
      std::printf("behaviour %s\n", wzp::nat::to_string(*gathered.behaviour).c_str());
    }
    for (const auto &note : gathered.notes) std::printf("note %s\n", note.c_str());
    std::printf("gathered %zu in %lld ms\n", gathered.candidates.size(),
                static_cast<long long>(took.count()));
    std::fflush(stdout);
    wait_for_stop(gathered.mappings);
  }
  std::printf("released\n");
  std::fflush(stdout);
  if (bare_socket >= 0) close(bare_socket);
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before any thread starts: all inherit it
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "gather") return gather(argc - 2, argv + 2);
  if ((mode == "mapping" || mode == "reflector") && argc == 5) {
    const auto port1 = static_cast<uint16_t>(std::atoi(argv[3]));
    const auto port2 = static_cast<uint16_t>(std::atoi(argv[4]));
    if (mode == "mapping") return mapping(argv[2], port1, port2);
    // The reflector runs until stopped: let SIGTERM end it.
    pthread_sigmask(SIG_UNBLOCK, &stop, nullptr);
    return reflector(argv[2], port1, port2);
  }
  std::fprintf(stderr, "usage: nat_probe gather|mapping|reflector ... (see the source)\n");
  return 2;
}
