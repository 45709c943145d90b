#include "libwzp/quic/send_batch.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace wzp::quic {

bool SendBatch::add(const sockaddr *to, socklen_t to_len, std::span<const uint8_t> packet) {
  if (packet.empty()) return true;
  if (packets_ >= kMaxPackets || bytes_.size() + packet.size() > kMaxBytes) return false;
  const bool same_address = !addresses_.empty() && addresses_.back().len == to_len &&
                            std::memcmp(&addresses_.back().addr, to, to_len) == 0;
  if (!same_address) {
    Address address{};
    std::memcpy(&address.addr, to, std::min<size_t>(to_len, sizeof address.addr));
    address.len = to_len;
    addresses_.push_back(address);
  }
  Message *last = messages_.empty() ? nullptr : &messages_.back();
  // A GSO message is packets of one size, only its last one shorter.
  const bool extend =
      gso_ && same_address && last != nullptr && last->address == addresses_.size() - 1 &&
      last->count < kMaxSegments && last->bytes % last->segment_size == 0 &&
      packet.size() <= last->segment_size && last->bytes + packet.size() <= kMaxGsoBytes;
  const size_t offset = bytes_.size();
  bytes_.insert(bytes_.end(), packet.begin(), packet.end());
  if (extend) {
    last->bytes += packet.size();
    ++last->count;
  } else {
    messages_.push_back({offset, packet.size(), packet.size(), 1, addresses_.size() - 1});
  }
  ++packets_;
  return true;
}

std::span<const uint8_t> SendBatch::packet(const Message &message, size_t i) const {
  const size_t start = i * message.segment_size;
  return {bytes_.data() + message.offset + start,
          std::min(message.segment_size, message.bytes - start)};
}

void SendBatch::clear() {
  bytes_.clear();
  messages_.clear();
  addresses_.clear();
  packets_ = 0;
}

namespace {

// One sendmmsg(2) call's worth of messages.
constexpr size_t kMessagesPerCall = 64;

void send_each(int fd, const SendBatch &batch, const SendBatch::Message &message) {
  socklen_t len = 0;
  const sockaddr_storage &to = batch.address(message, len);
  for (size_t i = 0; i < message.count; ++i) {
    auto packet = batch.packet(message, i);
    sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<const sockaddr *>(&to), len);
  }
}

}  // namespace

void flush_batch(int fd, SendBatch &batch) {
  auto messages = batch.messages();
  std::array<mmsghdr, kMessagesPerCall> headers;
  std::array<iovec, kMessagesPerCall> iovs;
  struct alignas(cmsghdr) Control {
    uint8_t bytes[CMSG_SPACE(sizeof(uint16_t))];
  };
  std::array<Control, kMessagesPerCall> controls;
  size_t next = 0;
  while (next < messages.size()) {
    const size_t n = std::min(kMessagesPerCall, messages.size() - next);
    for (size_t j = 0; j < n; ++j) {
      const SendBatch::Message &message = messages[next + j];
      auto bytes = batch.bytes(message);
      iovs[j] = {const_cast<uint8_t *>(bytes.data()), bytes.size()};
      msghdr &header = headers[j].msg_hdr;
      header = {};
      socklen_t len = 0;
      header.msg_name = const_cast<sockaddr_storage *>(&batch.address(message, len));
      header.msg_namelen = len;
      header.msg_iov = &iovs[j];
      header.msg_iovlen = 1;
      if (message.count > 1) {
        header.msg_control = controls[j].bytes;
        header.msg_controllen = sizeof controls[j].bytes;
        cmsghdr *cmsg = CMSG_FIRSTHDR(&header);
        cmsg->cmsg_level = SOL_UDP;
        cmsg->cmsg_type = UDP_SEGMENT;
        cmsg->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        const auto segment = static_cast<uint16_t>(message.segment_size);
        std::memcpy(CMSG_DATA(cmsg), &segment, sizeof segment);
      }
    }
    const int sent = sendmmsg(fd, headers.data(), static_cast<unsigned>(n), 0);
    if (sent > 0) {
      next += static_cast<size_t>(sent);
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    // messages[next] failed. A full socket buffer loses it, as QUIC expects
    // of any packet; a GSO message refused otherwise (a device without
    // checksum offload, a segment above the path's MTU) goes packet by
    // packet, so only a packet that is itself too big is lost.
    const SendBatch::Message &failed = messages[next];
    const bool full = errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS;
    if (failed.count > 1 && !full) {
      if (errno != EMSGSIZE) batch.disable_gso();
      send_each(fd, batch, failed);
    }
    ++next;
  }
  batch.clear();
}

}  // namespace wzp::quic
