// The peer for the end-to-end forwarding benchmark: a plain UDP forwarder in
// its own process (so its CPU is measured like wzp-signald's), and one plain
// UDP socket per participant on the bench side. A participant registers by
// sending "J"; every other packet is copied to every other registered
// participant. No QUIC, no crypto, no room checks: the floor any forwarder pays.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <span>
#include <thread>
#include <vector>

namespace wzp::bench {

class UdpFanout {
 public:
  explicit UdpFanout(size_t participants);
  ~UdpFanout();
  UdpFanout(const UdpFanout &) = delete;
  UdpFanout &operator=(const UdpFanout &) = delete;

  pid_t forwarder_pid() const { return forwarder_; }
  void send(size_t participant, std::span<const uint8_t> packet);
  uint64_t delivered() const { return delivered_.load(std::memory_order_relaxed); }

 private:
  void receive_loop();

  pid_t forwarder_ = -1;
  uint16_t forwarder_port_ = 0;
  std::vector<int> sockets_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> delivered_{0};
  std::thread receiver_;
};

}  // namespace wzp::bench
