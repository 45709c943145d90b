#include "libwzp/netsim/udp_proxy.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <vector>

#include "libwzp/netsim/spec.hpp"

namespace wzp::netsim {
namespace {

enum class Direction : uint8_t { kUp, kDown };

// Equal seeds in both directions must still give independent loss patterns.
constexpr uint64_t kDownSeedSalt = 0x9e3779b97f4a7c15ULL;

std::runtime_error system_error(const std::string &what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

struct Client {
  SocketAddress address;
  int upstream_fd = -1;  // -1: the entry is free
  uint32_t generation = 0;
  Micros last_seen{0};
};

struct Slot {
  uint32_t size = 0;
  uint32_t client = 0;
  uint32_t generation = 0;
  Direction direction = Direction::kUp;
};

struct Pending {
  Micros deliver_at;
  uint64_t order;  // arrival order: equal delivery times keep FIFO
  uint32_t slot;
};

bool later(const Pending &a, const Pending &b) {
  return a.deliver_at != b.deliver_at ? a.deliver_at > b.deliver_at : a.order > b.order;
}

}  // namespace

// Everything the I/O thread owns. Sized once at start: the per-datagram path
// allocates nothing.
struct UdpProxy::State {
  State(const ProxyConfig &config)
      : up(config.up), down([&] {
          DirectionConfig down_config = config.down;
          down_config.seed ^= kDownSeedSalt;
          return down_config;
        }()) {
    clients.resize(config.max_clients);
    buffers.resize(config.max_pending * config.max_datagram);
    scratch.resize(config.max_datagram);
    slots.resize(config.max_pending);
    free_slots.reserve(config.max_pending);
    for (size_t i = config.max_pending; i-- > 0;) free_slots.push_back(static_cast<uint32_t>(i));
    queue.reserve(config.max_pending);
    poll_fds.reserve(config.max_clients + 2);
    poll_clients.reserve(config.max_clients);
  }
  ~State() {
    if (listen_fd >= 0) close(listen_fd);
    for (auto &client : clients) {
      if (client.upstream_fd >= 0) close(client.upstream_fd);
    }
  }

  Micros now() const {
    return std::chrono::duration_cast<Micros>(std::chrono::steady_clock::now() - epoch);
  }

  int listen_fd = -1;
  ImpairmentModel up;
  ImpairmentModel down;
  std::vector<Client> clients;
  std::vector<uint8_t> buffers;
  std::vector<uint8_t> scratch;  // receives datagrams that have no slot
  std::vector<Slot> slots;
  std::vector<uint32_t> free_slots;
  std::vector<Pending> queue;  // a min-heap by `later`
  std::vector<pollfd> poll_fds;
  std::vector<uint32_t> poll_clients;  // client index of poll_fds[2 + i]
  uint64_t next_order = 0;
  ProxyCounters counters;
  std::chrono::steady_clock::time_point epoch = std::chrono::steady_clock::now();
};

namespace {

void check_config(const ProxyConfig &config) {
  if (auto error = validate(config.up); !error.empty()) throw std::runtime_error("up: " + error);
  if (auto error = validate(config.down); !error.empty()) {
    throw std::runtime_error("down: " + error);
  }
  if (config.max_clients == 0 || config.max_clients > 4096) {
    throw std::runtime_error("max_clients must be within 1..4096");
  }
  if (config.max_pending == 0 || config.max_pending > (1u << 20)) {
    throw std::runtime_error("max_pending must be within 1..1048576");
  }
  if (config.max_datagram == 0 || config.max_datagram > 65507) {
    throw std::runtime_error("max_datagram must be within 1..65507");
  }
}

int open_listen_socket(SocketAddress &address) {
  int fd = socket(address.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw system_error("socket");
  // Bursts of delayed datagrams must not overflow the kernel's default buffer.
  int buffer_bytes = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
  if (bind(fd, address.get(), address.length) != 0) {
    auto error = system_error("cannot listen on " + to_string(address));
    close(fd);
    throw error;
  }
  address.length = sizeof address.storage;
  getsockname(fd, address.get(), &address.length);
  return fd;
}

}  // namespace

UdpProxy::UdpProxy(ProxyConfig config) : config_(std::move(config)) {
  check_config(config_);
  if (auto error = parse_address(config_.listen, listen_address_); !error.empty()) {
    throw std::runtime_error("listen address: " + error);
  }
  if (auto error = parse_address(config_.upstream, upstream_address_); !error.empty()) {
    throw std::runtime_error("upstream address: " + error);
  }
  state_ = std::make_unique<State>(config_);
  state_->listen_fd = open_listen_socket(listen_address_);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw system_error("eventfd");
  thread_ = std::thread([this] { run(); });
}

UdpProxy::~UdpProxy() {
  stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void UdpProxy::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof one) < 0) {
    // The thread still sees stopping_ at its next timeout.
  }
  thread_.join();
}

void UdpProxy::set_directions(const DirectionConfig &up, const DirectionConfig &down) {
  if (auto error = validate(up); !error.empty()) throw std::runtime_error("up: " + error);
  if (auto error = validate(down); !error.empty()) throw std::runtime_error("down: " + error);
  std::lock_guard lock(directions_mutex_);
  next_up_ = up;
  next_down_ = down;
  directions_changed_ = true;
}

ProxyCounters UdpProxy::counters() const {
  std::lock_guard lock(counters_mutex_);
  return counters_;
}

void UdpProxy::run() {
  State &state = *state_;
  const size_t max_datagram = config_.max_datagram;

  // The client entry for a datagram from `from`, opening its upstream socket
  // on first sight; nullopt when every entry is taken.
  auto find_or_add_client = [&](const SocketAddress &from, Micros now) -> std::optional<uint32_t> {
    std::optional<uint32_t> free_entry;
    for (uint32_t i = 0; i < state.clients.size(); ++i) {
      const Client &client = state.clients[i];
      if (client.upstream_fd >= 0 && client.address == from) return i;
      if (client.upstream_fd < 0 && !free_entry) free_entry = i;
    }
    if (!free_entry) return std::nullopt;
    int fd = socket(upstream_address_.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::nullopt;
    if (connect(fd, upstream_address_.get(), upstream_address_.length) != 0) {
      close(fd);
      return std::nullopt;
    }
    Client &client = state.clients[*free_entry];
    client.address = from;
    client.upstream_fd = fd;
    client.last_seen = now;
    ++state.counters.clients_seen;
    return free_entry;
  };

  auto enqueue = [&](uint32_t slot, Micros at) {
    state.queue.push_back(Pending{at, state.next_order++, slot});
    std::push_heap(state.queue.begin(), state.queue.end(), later);
  };

  // Reads every waiting datagram from `fd`. For the up direction `client` is
  // unknown until the sender's address is looked up.
  auto receive = [&](int fd, Direction direction, uint32_t client_index) {
    while (true) {
      const bool have_slot = !state.free_slots.empty();
      const uint32_t slot = have_slot ? state.free_slots.back() : 0;
      uint8_t *buffer = have_slot ? &state.buffers[slot * max_datagram] : state.scratch.data();
      SocketAddress from;
      from.length = sizeof from.storage;
      const ssize_t n =
          recvfrom(fd, buffer, max_datagram, MSG_DONTWAIT | MSG_TRUNC, from.get(), &from.length);
      if (n < 0) {
        // A refused send on a connected socket is reported here once; keep reading.
        if (errno == ECONNREFUSED) continue;
        return;
      }
      const Micros now = state.now();
      if (directions_changed_.exchange(false)) {
        std::lock_guard lock(directions_mutex_);
        state.up.reconfigure(next_up_);
        state.down.reconfigure(next_down_);
      }
      if (static_cast<size_t>(n) > max_datagram) {
        ++state.counters.oversize_dropped;
        continue;
      }
      if (direction == Direction::kUp) {
        auto found = find_or_add_client(from, now);
        if (!found) {
          ++state.counters.client_limit_dropped;
          continue;
        }
        client_index = *found;
      }
      Client &client = state.clients[client_index];
      client.last_seen = now;
      if (!have_slot) {
        ++state.counters.pending_full_dropped;
        continue;
      }
      ImpairmentModel &model = direction == Direction::kUp ? state.up : state.down;
      const Verdict verdict = model.submit(now, static_cast<size_t>(n));
      if (verdict.copies == 0) continue;
      state.free_slots.pop_back();
      state.slots[slot] =
          Slot{static_cast<uint32_t>(n), client_index, client.generation, direction};
      enqueue(slot, verdict.deliver_at[0]);
      if (verdict.copies > 1) {
        if (state.free_slots.empty()) {
          ++state.counters.pending_full_dropped;
          continue;
        }
        const uint32_t copy = state.free_slots.back();
        state.free_slots.pop_back();
        state.slots[copy] = state.slots[slot];
        std::memcpy(&state.buffers[copy * max_datagram], buffer, static_cast<size_t>(n));
        enqueue(copy, verdict.deliver_at[1]);
      }
    }
  };

  auto deliver_due = [&](Micros now) {
    while (!state.queue.empty() && state.queue.front().deliver_at <= now) {
      std::pop_heap(state.queue.begin(), state.queue.end(), later);
      const uint32_t slot_index = state.queue.back().slot;
      state.queue.pop_back();
      const Slot &slot = state.slots[slot_index];
      const Client &client = state.clients[slot.client];
      const uint8_t *data = &state.buffers[slot_index * max_datagram];
      state.free_slots.push_back(slot_index);
      // The client may have expired while its datagram was delayed.
      if (client.upstream_fd < 0 || client.generation != slot.generation) continue;
      const ssize_t sent = slot.direction == Direction::kUp
                               ? send(client.upstream_fd, data, slot.size, MSG_DONTWAIT)
                               : sendto(state.listen_fd, data, slot.size, MSG_DONTWAIT,
                                        client.address.get(), client.address.length);
      if (sent < 0) ++state.counters.send_errors;
    }
  };

  auto expire_idle_clients = [&](Micros now) {
    for (auto &client : state.clients) {
      if (client.upstream_fd >= 0 && now - client.last_seen > config_.client_idle_timeout) {
        close(client.upstream_fd);
        client.upstream_fd = -1;
        ++client.generation;
      }
    }
  };

  auto publish_counters = [&] {
    std::lock_guard lock(counters_mutex_);
    counters_ = state.counters;
    counters_.up = state.up.counters();
    counters_.down = state.down.counters();
    counters_.clients_active =
        static_cast<uint64_t>(std::count_if(state.clients.begin(), state.clients.end(),
                                            [](const Client &c) { return c.upstream_fd >= 0; }));
  };

  while (!stopping_) {
    Micros now = state.now();
    deliver_due(now);
    expire_idle_clients(now);
    publish_counters();

    // Sleep until the next delivery, but wake at least every second to expire clients.
    Micros wait{std::chrono::seconds(1)};
    if (!state.queue.empty())
      wait = std::clamp(state.queue.front().deliver_at - now, Micros{0}, wait);
    const timespec timeout{static_cast<time_t>(wait.count() / 1'000'000),
                           static_cast<long>(wait.count() % 1'000'000) * 1000};

    state.poll_fds.clear();
    state.poll_clients.clear();
    state.poll_fds.push_back(pollfd{wake_fd_, POLLIN, 0});
    state.poll_fds.push_back(pollfd{state.listen_fd, POLLIN, 0});
    for (uint32_t i = 0; i < state.clients.size(); ++i) {
      if (state.clients[i].upstream_fd < 0) continue;
      state.poll_fds.push_back(pollfd{state.clients[i].upstream_fd, POLLIN, 0});
      state.poll_clients.push_back(i);
    }
    if (ppoll(state.poll_fds.data(), state.poll_fds.size(), &timeout, nullptr) <= 0) continue;
    if (state.poll_fds[1].revents != 0) receive(state.listen_fd, Direction::kUp, 0);
    for (size_t i = 0; i < state.poll_clients.size(); ++i) {
      if (state.poll_fds[2 + i].revents != 0) {
        receive(state.poll_fds[2 + i].fd, Direction::kDown, state.poll_clients[i]);
      }
    }
  }
  publish_counters();
}

std::string format_counters(const ProxyCounters &c) {
  auto direction = [](const char *name, const DirectionCounters &d) {
    return std::string(name) + " in=" + std::to_string(d.packets_in) +
           " out=" + std::to_string(d.delivered) + " lost=" + std::to_string(d.lost) +
           " bursts=" + std::to_string(d.loss_bursts) +
           " queue_drop=" + std::to_string(d.queue_dropped) +
           " dup=" + std::to_string(d.duplicated) + " reordered=" + std::to_string(d.reordered) +
           " bytes_in=" + std::to_string(d.bytes_in) + " bytes_out=" + std::to_string(d.bytes_out);
  };
  return direction("up", c.up) + " | " + direction("down", c.down) +
         " | clients=" + std::to_string(c.clients_active) + "/" + std::to_string(c.clients_seen) +
         " client_limit_drop=" + std::to_string(c.client_limit_dropped) +
         " pending_full_drop=" + std::to_string(c.pending_full_dropped) +
         " oversize_drop=" + std::to_string(c.oversize_dropped) +
         " send_errors=" + std::to_string(c.send_errors);
}

}  // namespace wzp::netsim
