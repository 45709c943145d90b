// How media frames become RaptorQ source symbols and how a repair packet's
// payload is laid out (docs/fec-blocks.md, "Symbol layout").
//
// One frame per source symbol, so a lost packet costs exactly one symbol:
//
//   source payload:   u16 frame number (low bits) | frame
//   source symbol:    u16 frame length | u32 frame timestamp | frame | zero padding to T
//   repair payload:   u16 first frame number of the block (low bits) | u16 frames in block (n)
//                     | u8 interleave depth (D) | u8 0 | T bytes of repair symbol
//
// The header's sequence numbers every packet, repair included (it feeds the
// AEAD nonce), so frames carry their own frame number. A source packet
// carries neither padding nor timestamp: the receiver rebuilds the symbol
// from the header's timestamp and the payload length. Frame ESI i of a block
// is frame number base + i * D; repair packets carry base, n and D, so a
// receiver that lost every source packet of a block still knows its frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "libwzp/wire/header.hpp"

namespace wzp::fec {

inline constexpr size_t kSourcePrefixSize = 2;
inline constexpr size_t kSymbolPrefixSize = 6;
inline constexpr size_t kRepairPrefixSize = 6;
// The largest T whose repair packet still fits kMaxPacketSize with a full
// header and a piggybacked quality report, rounded down to a multiple of 8.
inline constexpr size_t kMaxSymbolSize =
    (wire::kMaxPacketSize - wire::kFullHeaderSize - wire::kQualityReportSize - kRepairPrefixSize) /
    8 * 8;
inline constexpr size_t kMaxFrameSize = kMaxSymbolSize - kSymbolPrefixSize;
// Real-time blocks are small; these bound the work and memory a block costs
// on either side, whatever a header claims.
inline constexpr uint16_t kMaxBlockFrames = 255;
inline constexpr uint8_t kMaxInterleaveDepth = 32;

// Writes the source symbol for `frame` into `out` (exactly T bytes,
// T >= kSymbolPrefixSize + frame.size()), zero padding the rest.
void write_source_symbol(std::span<const uint8_t> frame, uint32_t timestamp,
                         std::span<uint8_t> out);

struct SymbolFrame {
  uint32_t timestamp = 0;
  std::span<const uint8_t> frame;
};
// Reads a decoded source symbol; nullopt if its length field does not fit T
// or is zero (a corrupt or padding symbol).
std::optional<SymbolFrame> read_source_symbol(std::span<const uint8_t> symbol);

// Frame numbers travel as their low 16 bits; `extend_frame_number` restores
// the 32-bit number nearest a recent one.
uint32_t extend_frame_number(uint16_t low_bits, uint32_t near);

struct RepairPrefix {
  uint16_t base_frame = 0;  // low bits of the frame number of ESI 0
  uint16_t frames = 0;      // n: source symbols that hold frames; ESIs n..K-1 are zero padding
  uint8_t interleave_depth = 1;
};
void write_repair_prefix(const RepairPrefix &prefix, std::span<uint8_t, kRepairPrefixSize> out);
// nullopt when the payload is too short or the fields are out of range.
std::optional<RepairPrefix> read_repair_prefix(std::span<const uint8_t> payload);

}  // namespace wzp::fec
