// A user-space UDP impairment proxy: clients send to the listen address, the
// proxy forwards each datagram to the upstream through its own socket per
// client (so the upstream sees one address per client, as behind a NAT) and
// sends the replies back to the client, every datagram passing through the
// ImpairmentModel of its direction. One I/O thread; usable in-process by
// tests and by the wzp-impair program.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "libwzp/netsim/address.hpp"
#include "libwzp/netsim/impairment.hpp"

namespace wzp::netsim {

struct ProxyConfig {
  std::string listen = "127.0.0.1:0";  // port 0: the kernel picks one
  std::string upstream;
  DirectionConfig up;    // client -> upstream
  DirectionConfig down;  // upstream -> client
  size_t max_clients = 64;
  size_t max_pending = 4096;   // datagrams held for delayed delivery
  size_t max_datagram = 1472;  // larger ones are dropped, as on a 1500-byte MTU path
  Micros client_idle_timeout{std::chrono::seconds(120)};
};

struct ProxyCounters {
  DirectionCounters up;
  DirectionCounters down;
  uint64_t clients_seen = 0;
  uint64_t clients_active = 0;
  uint64_t client_limit_dropped = 0;  // datagrams from clients beyond max_clients
  uint64_t pending_full_dropped = 0;  // datagrams that found the delay queue full
  uint64_t oversize_dropped = 0;
  uint64_t send_errors = 0;
};

class UdpProxy {
 public:
  // Binds the listen socket, resolves the upstream and starts the I/O
  // thread. Throws std::runtime_error with a clear message on bad addresses
  // or configuration.
  explicit UdpProxy(ProxyConfig config);
  ~UdpProxy();
  UdpProxy(const UdpProxy &) = delete;
  UdpProxy &operator=(const UdpProxy &) = delete;

  SocketAddress listen_address() const { return listen_address_; }
  SocketAddress upstream_address() const { return upstream_address_; }
  ProxyCounters counters() const;
  // Changes the impairment of both directions while running (from any
  // thread); it applies from the next datagram, see
  // ImpairmentModel::reconfigure. Throws std::runtime_error on an invalid
  // configuration, leaving the current one in place.
  void set_directions(const DirectionConfig &up, const DirectionConfig &down);
  // Stops the I/O thread; datagrams still delayed are discarded.
  void stop();

 private:
  struct State;
  void run();

  ProxyConfig config_;
  SocketAddress listen_address_;
  SocketAddress upstream_address_;
  std::unique_ptr<State> state_;
  mutable std::mutex counters_mutex_;
  ProxyCounters counters_;
  // Written by set_directions, taken by the I/O thread before its next datagram.
  std::mutex directions_mutex_;
  DirectionConfig next_up_;
  DirectionConfig next_down_;
  std::atomic<bool> directions_changed_{false};
  std::atomic<bool> stopping_{false};
  int wake_fd_ = -1;
  std::thread thread_;
};

// One line of counters, e.g. for wzp-impair's periodic report.
std::string format_counters(const ProxyCounters &counters);

}  // namespace wzp::netsim
