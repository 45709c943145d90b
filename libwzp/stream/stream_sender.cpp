#include "libwzp/stream/stream_sender.hpp"

namespace wzp::stream {

StreamSender::StreamSender(const StreamSenderConfig &config)
    : max_unsent_bytes_(config.max_unsent_bytes),
      queue_(config.capacity, config.max_datagram_size, config.max_age_ns) {}

bool StreamSender::push(std::span<const uint8_t> datagram, uint64_t now_ns) {
  return queue_.push(datagram, now_ns);
}

std::span<const uint8_t> StreamSender::next(uint64_t now_ns, size_t kernel_unsent) {
  // Stale datagrams go even while the kernel is full, so the queue's count
  // says what could still be sent.
  std::span<const uint8_t> front = queue_.front(now_ns);
  if (front.empty() || kernel_unsent >= max_unsent_bytes_) return {};
  return front;
}

void StreamSender::taken() {
  queue_.pop();
  ++written_;
}

}  // namespace wzp::stream
