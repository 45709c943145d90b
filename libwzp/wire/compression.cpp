#include "libwzp/wire/compression.hpp"

#include <algorithm>

#include "libwzp/base/bytes.hpp"

namespace wzp::wire {
namespace {

// A mini header whose reconstructed sequence is further than this from the
// newest full header seen refers to a stale base that shares its tag.
constexpr uint32_t kMaxBaseDistance = 1u << 15;

bool same_context(const MediaHeader &a, const MediaHeader &b) {
  return a.media_type == b.media_type && a.codec == b.codec && a.key_epoch == b.key_epoch &&
         a.stream_id == b.stream_id && a.source_symbols == b.source_symbols &&
         a.repair_symbols == b.repair_symbols;
}

}  // namespace

HeaderCompressor::HeaderCompressor(uint32_t full_interval)
    : full_interval_(std::max<uint32_t>(full_interval, 1)) {}

void HeaderCompressor::set_full_interval(uint32_t full_interval) {
  full_interval_ = std::max<uint32_t>(full_interval, 1);
}

bool HeaderCompressor::can_use_mini(const MediaHeader &h) const {
  if (!base_ || since_full_ >= full_interval_ || !same_context(*base_, h)) return false;
  uint32_t seq_delta = h.sequence - base_->sequence;
  uint16_t block_delta = static_cast<uint16_t>(h.block_id - base_->block_id);
  uint32_t ts_delta = h.timestamp - base_->timestamp;
  return seq_delta >= 1 && seq_delta <= 0xff && block_delta <= 0xff && ts_delta <= 0xffff;
}

size_t HeaderCompressor::write(const MediaHeader &h, const QualityReport *report,
                               std::span<uint8_t> out) {
  if (validate(h) != WireError::kOk) return 0;
  if (!can_use_mini(h)) {
    size_t n = write_full(h, report, out);
    if (n != 0) {
      base_ = h;
      since_full_ = 1;
    }
    return n;
  }
  size_t size = kMiniHeaderSize + (report != nullptr ? kQualityReportSize : 0);
  if (out.size() < size) return 0;
  uint8_t *p = out.data();
  p[0] = detail::first_byte(PacketKind::kMini, h.media_type);
  p[1] = detail::flags_byte(h, report != nullptr);
  p[2] = static_cast<uint8_t>(base_->sequence);
  p[3] = static_cast<uint8_t>(h.sequence - base_->sequence);
  p[4] = static_cast<uint8_t>(h.block_id - base_->block_id);
  base::put_u16(p + 5, static_cast<uint16_t>(h.timestamp - base_->timestamp));
  base::put_u16(p + 7, h.symbol_index);
  if (report != nullptr) detail::write_report(*report, p + kMiniHeaderSize);
  ++since_full_;
  return size;
}

WireError HeaderDecompressor::parse(std::span<const uint8_t> packet, PacketView &out) {
  auto kind = peek_kind(packet);
  if (kind == PacketKind::kMini) return parse_mini(packet, out);
  WireError e = parse_full(packet, out);
  if (e == WireError::kOk) {
    bases_[out.header.sequence & 0xff] = out.header;
    newest_full_sequence_ = out.header.sequence;
  }
  return e;
}

WireError HeaderDecompressor::parse_mini(std::span<const uint8_t> packet, PacketView &out) const {
  if (packet.size() > kMaxPacketSize) return WireError::kOversized;
  if (packet.size() < kMiniHeaderSize) return WireError::kTruncated;
  const uint8_t *p = packet.data();
  PacketView view;
  if (auto e = detail::read_first_byte(p[0], view.kind, view.header.media_type);
      e != WireError::kOk) {
    return e;
  }
  MediaHeader flags_only;
  bool has_report = false;
  if (auto e = detail::read_flags(p[1], flags_only, has_report); e != WireError::kOk) return e;
  if (p[3] == 0) return WireError::kInconsistent;

  const auto &base = bases_[p[2]];
  if (!base || base->media_type != view.header.media_type) return WireError::kNoContext;
  MediaHeader h = *base;
  h.repair = flags_only.repair;
  h.keyframe = flags_only.keyframe;
  h.window = flags_only.window;
  h.padded = flags_only.padded;
  h.sequence = base->sequence + p[3];
  h.block_id = static_cast<uint16_t>(base->block_id + p[4]);
  h.timestamp = base->timestamp + base::get_u16(p + 5);
  h.symbol_index = base::get_u16(p + 7);
  uint32_t distance = h.sequence - *newest_full_sequence_;
  if (std::min(distance, 0u - distance) >= kMaxBaseDistance) return WireError::kNoContext;
  if (auto e = validate(h); e != WireError::kOk) return e;

  size_t header_size = kMiniHeaderSize + (has_report ? kQualityReportSize : 0);
  if (packet.size() < header_size) return WireError::kTruncated;
  view.header = h;
  if (has_report) view.report = detail::read_report(p + kMiniHeaderSize);
  view.header_bytes = packet.first(header_size);
  view.payload = packet.subspan(header_size);
  out = view;
  return WireError::kOk;
}

}  // namespace wzp::wire
