// Copies of sent packets that go out again on a fixed schedule (docs/quic.md,
// "The handshake under heavy loss" and "Signaling under heavy loss").
//
// ngtcp2 0.12 retransmits lost data after loss detection or a probe timeout
// that doubles with every loss and is uncapped, so under heavy loss a small
// message waits seconds for its third or fourth try. A copy of the whole
// packet, sent a fixed interval later, reaches the peer when the original
// did not; the peer drops the copies it does not need as duplicate packet
// numbers. Times are given by the caller, so this runs without a clock.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace wzp::quic {

class EchoSchedule {
 public:
  // At most `max_packets` packets are echoed at a time: copies bypass
  // congestion control, so a bulk transfer must not multiply its rate.
  explicit EchoSchedule(size_t max_packets = SIZE_MAX) : max_packets_(max_packets) {}

  // `packet` goes out `copies` more times, the first `interval_ns` after
  // `now_ns`, then every `interval_ns`; not at all while `max_packets`
  // others are still being echoed. `done_at`: once the caller says
  // `acknowledged` up to it, no more copies are needed (a signaling packet:
  // the stream offset its bytes end at).
  void add(std::span<const uint8_t> packet, uint64_t now_ns, size_t copies, uint64_t interval_ns,
           uint64_t done_at = UINT64_MAX) {
    if (copies == 0 || echoes_.size() >= max_packets_) return;
    echoes_.push_back(
        {{packet.begin(), packet.end()}, now_ns + interval_ns, interval_ns, copies, done_at});
  }

  // The peer has what every packet with `done_at` <= `through` carried:
  // their copies would only cost the path.
  void acknowledged(uint64_t through) {
    std::erase_if(echoes_, [through](const Echo &echo) { return echo.done_at <= through; });
  }

  // Calls `send(packet)` for every copy due at `now_ns`, oldest first. A
  // copy `send` refuses (returns false; e.g. a server over its
  // amplification budget) ends that packet's echoes.
  template <class Send>
  void send_due(uint64_t now_ns, Send &&send) {
    for (auto &echo : echoes_) {
      if (echo.due_ns > now_ns) continue;
      const bool sent = send(std::span<const uint8_t>(echo.packet));
      echo.copies_left = sent ? echo.copies_left - 1 : 0;
      echo.due_ns = now_ns + echo.interval_ns;
    }
    std::erase_if(echoes_, [](const Echo &echo) { return echo.copies_left == 0; });
  }

  // When the next copy is due; UINT64_MAX when none is.
  uint64_t next_due_ns() const {
    uint64_t next = UINT64_MAX;
    for (const auto &echo : echoes_) next = std::min(next, echo.due_ns);
    return next;
  }

  void clear() { echoes_.clear(); }
  size_t size() const { return echoes_.size(); }

 private:
  struct Echo {
    std::vector<uint8_t> packet;
    uint64_t due_ns = 0;
    uint64_t interval_ns = 0;
    size_t copies_left = 0;
    uint64_t done_at = UINT64_MAX;
  };
  size_t max_packets_;
  std::vector<Echo> echoes_;
};

}  // namespace wzp::quic
