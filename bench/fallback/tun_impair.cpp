// wzp_tun_impair: an impaired point-to-point link between two TUN devices,
// applied to every IP packet (TCP and UDP alike) by libwzp/netsim's model,
// one per direction, seeded: the kernel here has no netem, and the UDP
// proxy (wzp-impair) cannot put TCP's segments through loss and delay.
//
//   wzp_tun_impair TUN_A TUN_B SPEC
//
// makes the two devices, prints "ready" and moves packets until SIGTERM or
// SIGINT; the caller moves each device into a namespace and addresses it.
// A to B uses SPEC, B to A the same with seed + 1. Prints each direction's
// counters at the end.
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <queue>
#include <string>
#include <vector>

#include "libwzp/netsim/impairment.hpp"
#include "libwzp/netsim/spec.hpp"

namespace {

std::atomic<bool> stop{false};

int open_tun(const char *name) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
  if (fd < 0) return -1;
  ifreq request{};
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  std::strncpy(request.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &request) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

struct Pending {
  wzp::netsim::Micros at;
  uint64_t order;
  int to;
  std::vector<uint8_t> packet;
  bool operator>(const Pending &other) const {
    return at != other.at ? at > other.at : order > other.order;
  }
};

}  // namespace

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: wzp_tun_impair TUN_A TUN_B SPEC\n");
    return 2;
  }
  wzp::netsim::DirectionConfig up;
  std::string error = wzp::netsim::parse_spec(argv[3], {}, up);
  if (!error.empty()) {
    std::fprintf(stderr, "wzp_tun_impair: %s\n", error.c_str());
    return 2;
  }
  wzp::netsim::DirectionConfig down = up;
  down.seed = up.seed + 1;
  std::array<int, 2> fds = {open_tun(argv[1]), open_tun(argv[2])};
  if (fds[0] < 0 || fds[1] < 0) {
    std::perror("wzp_tun_impair: /dev/net/tun");
    return 1;
  }
  std::array<wzp::netsim::ImpairmentModel, 2> models = {wzp::netsim::ImpairmentModel(up),
                                                        wzp::netsim::ImpairmentModel(down)};
  std::signal(SIGTERM, [](int) { stop = true; });
  std::signal(SIGINT, [](int) { stop = true; });
  std::printf("ready\n");
  std::fflush(stdout);

  const auto epoch = std::chrono::steady_clock::now();
  auto now = [epoch] {
    return std::chrono::duration_cast<wzp::netsim::Micros>(std::chrono::steady_clock::now() -
                                                           epoch);
  };
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> pending;
  uint64_t order = 0;
  uint64_t unwritten = 0;  // the device's queue was full: lost, as on a link
  std::vector<uint8_t> buffer(65536);
  while (!stop) {
    int timeout_ms = 100;
    if (!pending.empty()) {
      auto wait = pending.top().at - now();
      timeout_ms = wait.count() <= 0 ? 0 : static_cast<int>((wait.count() + 999) / 1000);
    }
    std::array<pollfd, 2> polls = {pollfd{fds[0], POLLIN, 0}, pollfd{fds[1], POLLIN, 0}};
    poll(polls.data(), polls.size(), timeout_ms);
    for (size_t from = 0; from < 2; ++from) {
      if ((polls[from].revents & POLLIN) == 0) continue;
      for (;;) {
        ssize_t size = read(fds[from], buffer.data(), buffer.size());
        if (size <= 0) break;
        auto verdict = models[from].submit(now(), static_cast<size_t>(size));
        for (uint8_t copy = 0; copy < verdict.copies; ++copy) {
          pending.push({verdict.deliver_at[copy], order++, fds[1 - from],
                        std::vector<uint8_t>(buffer.begin(), buffer.begin() + size)});
        }
      }
    }
    for (auto t = now(); !pending.empty() && pending.top().at <= t;) {
      const Pending &due = pending.top();
      if (write(due.to, due.packet.data(), due.packet.size()) < 0) ++unwritten;
      pending.pop();
    }
  }
  std::fprintf(stderr, "%lu packets not written (device queue full)\n",
               static_cast<unsigned long>(unwritten));
  for (size_t i = 0; i < 2; ++i) {
    const auto &c = models[i].counters();
    std::fprintf(stderr, "%s: %lu packets in, %lu lost, %lu queue-dropped, %lu delivered\n",
                 i == 0 ? "a to b" : "b to a", static_cast<unsigned long>(c.packets_in),
                 static_cast<unsigned long>(c.lost), static_cast<unsigned long>(c.queue_dropped),
                 static_cast<unsigned long>(c.delivered));
  }
  return 0;
}
