#include "libwzp/wire/trunk.hpp"

#include <cstring>

#include "libwzp/base/bytes.hpp"

namespace wzp::wire {

TrunkWriter::TrunkWriter(std::span<uint8_t> out) : out_(out) {}

bool TrunkWriter::add(std::span<const uint8_t> packet) {
  if (packet.empty() || packet.size() > 0xffff || count_ == kMaxTrunkEntries) return false;
  size_t needed = kTrunkEntryOverhead + packet.size();
  if (out_.size() < kTrunkHeaderSize || out_.size() - used_ < needed ||
      used_ + needed > kMaxPacketSize) {
    return false;
  }
  base::put_u16(out_.data() + used_, static_cast<uint16_t>(packet.size()));
  std::memcpy(out_.data() + used_ + kTrunkEntryOverhead, packet.data(), packet.size());
  used_ += needed;
  ++count_;
  out_[0] = detail::first_byte(PacketKind::kTrunk, MediaType::kAudio);
  out_[1] = static_cast<uint8_t>(count_);
  return true;
}

std::span<const uint8_t> TrunkWriter::frame() const {
  if (count_ == 0) return {};
  return out_.first(used_);
}

WireError TrunkReader::open(std::span<const uint8_t> frame) {
  rest_ = {};
  count_ = 0;
  if (frame.size() > kMaxPacketSize) return WireError::kOversized;
  if (frame.size() < kTrunkHeaderSize) return WireError::kTruncated;
  PacketKind kind;
  MediaType type;
  if (auto e = detail::read_first_byte(frame[0], kind, type); e != WireError::kOk) return e;
  if (kind != PacketKind::kTrunk || type != MediaType::kAudio) return WireError::kInconsistent;
  size_t count = frame[1];
  if (count == 0) return WireError::kInconsistent;
  auto entries = frame.subspan(kTrunkHeaderSize);
  size_t offset = 0;
  for (size_t i = 0; i < count; ++i) {
    if (entries.size() - offset < kTrunkEntryOverhead) return WireError::kTruncated;
    size_t length = base::get_u16(entries.data() + offset);
    if (length == 0) return WireError::kInconsistent;
    offset += kTrunkEntryOverhead;
    if (entries.size() - offset < length) return WireError::kTruncated;
    offset += length;
  }
  if (offset != entries.size()) return WireError::kInconsistent;
  rest_ = entries;
  count_ = count;
  return WireError::kOk;
}

std::span<const uint8_t> TrunkReader::next() {
  if (rest_.size() < kTrunkEntryOverhead) return {};
  size_t length = base::get_u16(rest_.data());
  auto packet = rest_.subspan(kTrunkEntryOverhead, length);
  rest_ = rest_.subspan(kTrunkEntryOverhead + length);
  return packet;
}

}  // namespace wzp::wire
