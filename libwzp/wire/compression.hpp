// Mini headers: a 9-byte header that refers to the last full header of the
// same stream instead of repeating its fields (docs/PROTOCOL.md, "Mini
// header"). For a single stream per direction (direct calls); anything a
// relay must route by (rooms, trunks) uses full headers.
#pragma once

#include <array>
#include <optional>

#include "libwzp/wire/header.hpp"

namespace wzp::wire {

// Sender side: chooses full or mini for each packet of one stream.
class HeaderCompressor {
 public:
  static constexpr uint32_t kDefaultFullInterval = 16;

  // A full header goes out at least every `full_interval` packets; 1 turns
  // mini headers off (do that when the peer reports heavy loss, since a mini
  // header is useless to a receiver that lost its full header).
  explicit HeaderCompressor(uint32_t full_interval = kDefaultFullInterval);
  void set_full_interval(uint32_t full_interval);
  // Forces the next header to be full (e.g. after a rekey or a restart).
  void reset() { base_.reset(); }

  // Writes the header (and report) for this packet. Returns the bytes
  // written, or 0 if `out` is too small or the header is invalid.
  size_t write(const MediaHeader &header, const QualityReport *report, std::span<uint8_t> out);

 private:
  bool can_use_mini(const MediaHeader &header) const;

  std::optional<MediaHeader> base_;
  uint32_t since_full_ = 0;
  uint32_t full_interval_;
};

// Receiver side: parses full and mini packets of the streams from one peer,
// remembering recent full headers by the low byte of their sequence number.
class HeaderDecompressor {
 public:
  WireError parse(std::span<const uint8_t> packet, PacketView &out);

 private:
  WireError parse_mini(std::span<const uint8_t> packet, PacketView &out) const;

  std::array<std::optional<MediaHeader>, 256> bases_;
  std::optional<uint32_t> newest_full_sequence_;
};

}  // namespace wzp::wire
