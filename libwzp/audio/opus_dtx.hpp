// Opus DTX packets. With DTX on, libopus marks every silent frame with a
// one-byte packet: a TOC byte and a zero-length frame, which RFC 6716 (3.2.1)
// defines as "lost or DTX" and which a decoder conceals exactly as a missing
// packet. GStreamer 1.22's opusenc passes these on (50 a second at 20 ms), so
// on the wire they cost a full packet each. Sending nothing instead, and a GAP
// for the decoder, gives bit-identical audio (measured: docs/dtx.md).
#pragma once

#include <cstdint>
#include <span>

namespace wzp::audio {

// True for an Opus packet that carries no audio: a lone TOC byte of
// frame-count code 0 (one frame, as libopus sends for 20 ms frames) or code 1
// (two frames of equal size, as for 40 ms), so every frame is zero bytes long.
// Codes 2 and 3 need more bytes: a lone TOC byte with those is malformed.
constexpr bool is_opus_dtx_packet(std::span<const uint8_t> packet) {
  return packet.size() == 1 && (packet[0] & 0x03) <= 1;
}

}  // namespace wzp::audio
