#include "libwzp/fec/symbol_layout.hpp"

#include <algorithm>

#include "libwzp/base/bytes.hpp"

namespace wzp::fec {

void write_source_symbol(std::span<const uint8_t> frame, uint32_t timestamp,
                         std::span<uint8_t> out) {
  base::put_u16(out.data(), static_cast<uint16_t>(frame.size()));
  base::put_u32(out.data() + 2, timestamp);
  std::copy(frame.begin(), frame.end(), out.begin() + kSymbolPrefixSize);
  std::fill(out.begin() + kSymbolPrefixSize + static_cast<ptrdiff_t>(frame.size()), out.end(), 0);
}

std::optional<SymbolFrame> read_source_symbol(std::span<const uint8_t> symbol) {
  if (symbol.size() < kSymbolPrefixSize) return std::nullopt;
  size_t length = base::get_u16(symbol.data());
  if (length == 0 || length > symbol.size() - kSymbolPrefixSize) return std::nullopt;
  return SymbolFrame{base::get_u32(symbol.data() + 2), symbol.subspan(kSymbolPrefixSize, length)};
}

uint32_t extend_frame_number(uint16_t low_bits, uint32_t near) {
  return near + static_cast<uint32_t>(static_cast<int16_t>(low_bits - static_cast<uint16_t>(near)));
}

void write_repair_prefix(const RepairPrefix &prefix, std::span<uint8_t, kRepairPrefixSize> out) {
  base::put_u16(out.data(), prefix.base_frame);
  base::put_u16(out.data() + 2, prefix.frames);
  out[4] = prefix.interleave_depth;
  out[5] = 0;
}

std::optional<RepairPrefix> read_repair_prefix(std::span<const uint8_t> payload) {
  if (payload.size() < kRepairPrefixSize) return std::nullopt;
  RepairPrefix prefix{base::get_u16(payload.data()), base::get_u16(payload.data() + 2), payload[4]};
  if (prefix.frames == 0 || prefix.frames > kMaxBlockFrames) return std::nullopt;
  if (prefix.interleave_depth == 0 || prefix.interleave_depth > kMaxInterleaveDepth) {
    return std::nullopt;
  }
  if (payload[5] != 0) return std::nullopt;
  return prefix;
}

}  // namespace wzp::fec
