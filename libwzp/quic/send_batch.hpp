// The packets an endpoint's I/O thread writes in one turn, sent together:
// one sendmmsg(2) for the lot, and packets of one size to one address as
// one UDP GSO message (UDP_SEGMENT), which the kernel cuts into datagrams.
// One sendto(2) per packet took more of bench_quic's CPU than ngtcp2's
// own work (docs/quic.md, "Benchmark").
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace wzp::quic {

class SendBatch {
 public:
  // Linux's limit on segments per GSO message (UDP_MAX_SEGMENTS).
  static constexpr size_t kMaxSegments = 64;
  // Packets held before the batch must be flushed.
  static constexpr size_t kMaxPackets = 256;

  // One message of the batch: `count` packets of `segment_size` bytes (the
  // last may be shorter) that lie back to back from `offset`, to one address.
  struct Message {
    size_t offset = 0;
    size_t bytes = 0;
    size_t segment_size = 0;
    size_t count = 0;
    size_t address = 0;  // index into the batch's addresses
  };

  explicit SendBatch(bool gso) : gso_(gso) {}

  // Copies `packet` in. False when the batch is full (kMaxPackets or
  // kMaxBytes): flush first.
  bool add(const sockaddr *to, socklen_t to_len, std::span<const uint8_t> packet);
  bool empty() const { return messages_.empty(); }
  std::span<const Message> messages() const { return messages_; }
  std::span<const uint8_t> bytes(const Message &message) const {
    return {bytes_.data() + message.offset, message.bytes};
  }
  const sockaddr_storage &address(const Message &message, socklen_t &len) const {
    len = addresses_[message.address].len;
    return addresses_[message.address].addr;
  }
  // Packet `i` of `message`.
  std::span<const uint8_t> packet(const Message &message, size_t i) const;
  bool gso() const { return gso_; }
  // The kernel refused a GSO message for a reason other than its size:
  // every later packet goes as its own message.
  void disable_gso() { gso_ = false; }
  void clear();

 private:
  // A GSO message's payload must fit one IP datagram.
  static constexpr size_t kMaxGsoBytes = 65000;
  static constexpr size_t kMaxBytes = 256 * 1024;
  struct Address {
    sockaddr_storage addr;
    socklen_t len;
  };
  bool gso_;
  std::vector<uint8_t> bytes_;
  std::vector<Message> messages_;
  std::vector<Address> addresses_;
  size_t packets_ = 0;
};

// Sends `batch` on `fd` and clears it. A packet the socket cannot take
// (its buffer full) is lost, as QUIC expects of any packet; a GSO message
// the kernel refuses goes again packet by packet.
void flush_batch(int fd, SendBatch &batch);

}  // namespace wzp::quic
