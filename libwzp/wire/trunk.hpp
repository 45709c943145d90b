// Trunk frames pack several wzp packets, from any streams, into one
// datagram for relay-to-relay links (docs/PROTOCOL.md, "Trunk frame").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "libwzp/wire/header.hpp"

namespace wzp::wire {

inline constexpr size_t kTrunkHeaderSize = 2;
inline constexpr size_t kTrunkEntryOverhead = 2;
inline constexpr size_t kMaxTrunkEntries = 255;

// Appends packets to a trunk frame being built in a caller-owned buffer.
class TrunkWriter {
 public:
  // `out` is the whole datagram buffer; nothing is written past its end.
  explicit TrunkWriter(std::span<uint8_t> out);
  // Adds one packet; false (and nothing written) if it does not fit, is
  // empty, or the frame already holds kMaxTrunkEntries.
  bool add(std::span<const uint8_t> packet);
  size_t count() const { return count_; }
  // The finished frame; empty while no packet was added.
  std::span<const uint8_t> frame() const;

 private:
  std::span<uint8_t> out_;
  size_t used_ = kTrunkHeaderSize;
  size_t count_ = 0;
};

// Walks the packets of a trunk frame after validating the whole frame.
class TrunkReader {
 public:
  // Checks the frame: version, kind, count, and that the entries exactly
  // fill the datagram. Entries are not parsed.
  WireError open(std::span<const uint8_t> frame);
  size_t count() const { return count_; }
  // The next packet, or an empty span after the last one.
  std::span<const uint8_t> next();

 private:
  std::span<const uint8_t> rest_;
  size_t count_ = 0;
};

}  // namespace wzp::wire
