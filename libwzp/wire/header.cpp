#include "libwzp/wire/header.hpp"

#include <algorithm>
#include <cmath>

#include "libwzp/base/bytes.hpp"

namespace wzp::wire {
namespace {

constexpr uint8_t kFlagRepair = 0x80;
constexpr uint8_t kFlagKeyframe = 0x40;
constexpr uint8_t kFlagReport = 0x20;
constexpr uint8_t kFlagWindow = 0x10;
constexpr uint8_t kFlagPadded = 0x08;
constexpr uint8_t kFlagsReserved = 0x07;
constexpr uint8_t kFirstByteReserved = 0x03;

uint16_t saturate16(uint32_t value) {
  return static_cast<uint16_t>(std::min<uint32_t>(value, 0xffff));
}

}  // namespace

const char *to_string(WireError error) {
  switch (error) {
    case WireError::kOk:
      return "ok";
    case WireError::kTruncated:
      return "truncated packet";
    case WireError::kOversized:
      return "packet larger than 1500 bytes";
    case WireError::kUnsupportedVersion:
      return "unsupported protocol version";
    case WireError::kUnknownKind:
      return "unknown packet kind";
    case WireError::kReservedBitsSet:
      return "reserved bits set";
    case WireError::kInconsistent:
      return "inconsistent header fields";
    case WireError::kNoContext:
      return "mini header without a known full header";
  }
  return "unknown error";
}

QualityReport QualityReport::from(double loss_fraction, uint32_t rtt_ms, uint32_t jitter_ms,
                                  uint32_t bandwidth_kbps) {
  QualityReport report;
  double scaled = std::isfinite(loss_fraction) ? std::round(loss_fraction * 256.0) : 0.0;
  report.loss_q8 = static_cast<uint8_t>(std::clamp(scaled, 0.0, 255.0));
  report.rtt_ms = saturate16(rtt_ms);
  report.jitter_ms = saturate16(jitter_ms);
  report.bandwidth_kbps = saturate16(bandwidth_kbps);
  return report;
}

WireError validate(const MediaHeader &h) {
  if (static_cast<uint8_t>(h.media_type) > static_cast<uint8_t>(MediaType::kData)) {
    return WireError::kReservedBitsSet;
  }
  if (h.source_symbols > kMaxSourceSymbols) return WireError::kInconsistent;
  if (h.source_symbols == 0) {
    // Unprotected: no block, no symbols.
    bool clean =
        !h.repair && !h.window && h.block_id == 0 && h.symbol_index == 0 && h.repair_symbols == 0;
    return clean ? WireError::kOk : WireError::kInconsistent;
  }
  uint32_t block_end = uint32_t{h.source_symbols} + h.repair_symbols;
  if (block_end > 0x10000) return WireError::kInconsistent;
  bool in_block = h.repair ? (h.symbol_index >= h.source_symbols && h.symbol_index < block_end)
                           : h.symbol_index < h.source_symbols;
  return in_block ? WireError::kOk : WireError::kInconsistent;
}

std::optional<PacketKind> peek_kind(std::span<const uint8_t> packet) {
  if (packet.empty() || (packet[0] >> 6) != kVersion) return std::nullopt;
  uint8_t kind = (packet[0] >> 4) & 0x3;
  if (kind > static_cast<uint8_t>(PacketKind::kTrunk)) return std::nullopt;
  return static_cast<PacketKind>(kind);
}

namespace detail {

uint8_t first_byte(PacketKind kind, MediaType type) {
  return static_cast<uint8_t>(kVersion << 6 | static_cast<uint8_t>(kind) << 4 |
                              static_cast<uint8_t>(type) << 2);
}

uint8_t flags_byte(const MediaHeader &h, bool has_report) {
  return static_cast<uint8_t>((h.repair ? kFlagRepair : 0) | (h.keyframe ? kFlagKeyframe : 0) |
                              (has_report ? kFlagReport : 0) | (h.window ? kFlagWindow : 0) |
                              (h.padded ? kFlagPadded : 0));
}

WireError read_first_byte(uint8_t byte, PacketKind &kind, MediaType &type) {
  if ((byte >> 6) != kVersion) return WireError::kUnsupportedVersion;
  uint8_t raw_kind = (byte >> 4) & 0x3;
  if (raw_kind > static_cast<uint8_t>(PacketKind::kTrunk)) return WireError::kUnknownKind;
  uint8_t raw_type = (byte >> 2) & 0x3;
  if ((byte & kFirstByteReserved) != 0 || raw_type > static_cast<uint8_t>(MediaType::kData)) {
    return WireError::kReservedBitsSet;
  }
  kind = static_cast<PacketKind>(raw_kind);
  type = static_cast<MediaType>(raw_type);
  return WireError::kOk;
}

WireError read_flags(uint8_t byte, MediaHeader &h, bool &has_report) {
  if ((byte & kFlagsReserved) != 0) return WireError::kReservedBitsSet;
  h.repair = (byte & kFlagRepair) != 0;
  h.keyframe = (byte & kFlagKeyframe) != 0;
  h.window = (byte & kFlagWindow) != 0;
  h.padded = (byte & kFlagPadded) != 0;
  has_report = (byte & kFlagReport) != 0;
  return WireError::kOk;
}

void write_report(const QualityReport &r, uint8_t *out) {
  out[0] = r.loss_q8;
  base::put_u16(out + 1, r.rtt_ms);
  base::put_u16(out + 3, r.jitter_ms);
  base::put_u16(out + 5, r.bandwidth_kbps);
}

QualityReport read_report(const uint8_t *in) {
  return QualityReport{in[0], base::get_u16(in + 1), base::get_u16(in + 3), base::get_u16(in + 5)};
}

}  // namespace detail

size_t full_header_size(bool with_report) {
  return kFullHeaderSize + (with_report ? kQualityReportSize : 0);
}

size_t write_full(const MediaHeader &h, const QualityReport *report, std::span<uint8_t> out) {
  size_t size = full_header_size(report != nullptr);
  if (out.size() < size || validate(h) != WireError::kOk) return 0;
  uint8_t *p = out.data();
  p[0] = detail::first_byte(PacketKind::kFull, h.media_type);
  p[1] = h.codec;
  p[2] = detail::flags_byte(h, report != nullptr);
  p[3] = h.key_epoch;
  base::put_u32(p + 4, h.stream_id);
  base::put_u32(p + 8, h.sequence);
  base::put_u32(p + 12, h.timestamp);
  base::put_u16(p + 16, h.block_id);
  base::put_u16(p + 18, h.symbol_index);
  base::put_u16(p + 20, h.source_symbols);
  base::put_u16(p + 22, h.repair_symbols);
  if (report != nullptr) detail::write_report(*report, p + kFullHeaderSize);
  return size;
}

bool set_padded(std::span<uint8_t> packet, bool padded) {
  auto kind = peek_kind(packet);
  if (!kind || *kind == PacketKind::kTrunk) return false;
  size_t at = *kind == PacketKind::kFull ? 2 : 1;  // the flags byte
  if (packet.size() <= at) return false;
  packet[at] = static_cast<uint8_t>(padded ? packet[at] | kFlagPadded : packet[at] & ~kFlagPadded);
  return true;
}

WireError parse_full(std::span<const uint8_t> packet, PacketView &out) {
  if (packet.size() > kMaxPacketSize) return WireError::kOversized;
  if (packet.size() < kFullHeaderSize) return WireError::kTruncated;
  const uint8_t *p = packet.data();
  PacketView view;
  if (auto e = detail::read_first_byte(p[0], view.kind, view.header.media_type);
      e != WireError::kOk) {
    return e;
  }
  if (view.kind != PacketKind::kFull) return WireError::kInconsistent;
  bool has_report = false;
  if (auto e = detail::read_flags(p[2], view.header, has_report); e != WireError::kOk) return e;
  view.header.codec = p[1];
  view.header.key_epoch = p[3];
  view.header.stream_id = base::get_u32(p + 4);
  view.header.sequence = base::get_u32(p + 8);
  view.header.timestamp = base::get_u32(p + 12);
  view.header.block_id = base::get_u16(p + 16);
  view.header.symbol_index = base::get_u16(p + 18);
  view.header.source_symbols = base::get_u16(p + 20);
  view.header.repair_symbols = base::get_u16(p + 22);
  if (auto e = validate(view.header); e != WireError::kOk) return e;
  size_t header_size = full_header_size(has_report);
  if (packet.size() < header_size) return WireError::kTruncated;
  if (has_report) view.report = detail::read_report(p + kFullHeaderSize);
  view.header_bytes = packet.first(header_size);
  view.payload = packet.subspan(header_size);
  out = view;
  return WireError::kOk;
}

}  // namespace wzp::wire
