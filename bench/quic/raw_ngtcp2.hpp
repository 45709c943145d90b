// The benchmark's peer: the least code that moves QUIC datagrams with
// ngtcp2 — one client and one server connection driven by a single thread
// over two loopback UDP sockets, no queues, no locks, no statistics. Like
// wzp's I/O threads it sleeps in ppoll while it has nothing to do. TLS
// credentials come from wzp's TlsContext; the data path is all ngtcp2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace wzp::bench {

class RawNgtcp2Pair {
 public:
  explicit RawNgtcp2Pair(bool pack);
  ~RawNgtcp2Pair();
  bool ready() const;
  // Sends `count` datagrams of `size` bytes (each stamped with its send
  // time) as fast as congestion control allows, sending the next only every
  // `gap_ns` if nonzero. Returns how many arrived; one-way latencies in ns
  // are appended to `latencies` if given.
  size_t run(size_t count, size_t size, uint64_t gap_ns, std::vector<uint64_t> *latencies);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace wzp::bench
