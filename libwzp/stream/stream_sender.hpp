// What media goes into a TCP connection, and when (docs/fallback.md). Over
// TCP a lost segment holds back every byte behind it until it is resent,
// so bytes handed to the kernel cannot be taken back: media waits in our
// own queue instead, bounded in age and count (quic::DatagramQueue: stale
// datagrams are dropped before they are written, a full queue gives up its
// oldest), and is written only while the kernel holds fewer than
// `max_unsent_bytes` not yet acknowledged. Clock-free: the caller passes the
// time and the kernel's count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "libwzp/quic/datagram_queue.hpp"

namespace wzp::stream {

struct StreamSenderConfig {
  size_t capacity = 64;  // datagrams waiting; about a second of voice with FEC
  size_t max_datagram_size = 1500;
  uint64_t max_age_ns = 400'000'000;  // as a QUIC connection to the daemon (SessionConfig)
  // Written but not acknowledged bytes (TIOCOUTQ) above which nothing more
  // is written: a few packets of voice, so a stall costs little backlog.
  size_t max_unsent_bytes = 4096;
};

class StreamSender {
 public:
  explicit StreamSender(const StreamSenderConfig &config);

  // False (and counted) when the datagram does not fit a slot.
  bool push(std::span<const uint8_t> datagram, uint64_t now_ns);
  // The next datagram to write now (empty when none may go: nothing fresh
  // is queued, or the kernel holds `kernel_unsent` bytes, too many). Stale
  // ones are dropped on the way. The span stays valid until taken().
  std::span<const uint8_t> next(uint64_t now_ns, size_t kernel_unsent);
  // The datagram next() returned has been written.
  void taken();

  bool empty() const { return queue_.empty(); }
  size_t size() const { return queue_.size(); }
  const quic::DatagramQueue::Counters &counters() const { return queue_.counters(); }
  uint64_t written() const { return written_; }

 private:
  size_t max_unsent_bytes_;
  quic::DatagramQueue queue_;
  uint64_t written_ = 0;
};

}  // namespace wzp::stream
