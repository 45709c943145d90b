// A small lossy, delaying UDP relay between one client and one server, for
// the loss and vanished-peer tests (the kernel here has no netem).
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

namespace wzp::quic::test {

class UdpForwarder {
 public:
  // Listens on 127.0.0.1 (port() tells which) and relays to 127.0.0.1:server_port.
  UdpForwarder(uint16_t server_port, double loss, uint32_t one_way_delay_ms, uint32_t seed);
  ~UdpForwarder();
  uint16_t port() const { return port_; }
  // From now on every packet is dropped, as if the peer vanished.
  void blackhole() { blackhole_ = true; }
  uint64_t dropped() const { return dropped_; }
  uint64_t forwarded() const { return forwarded_; }

 private:
  void run(uint16_t server_port, double loss, uint32_t delay_ms, uint32_t seed);
  int client_side_ = -1;
  int server_side_ = -1;
  int stop_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> blackhole_{false};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> forwarded_{0};
  std::thread thread_;
};

}  // namespace wzp::quic::test
