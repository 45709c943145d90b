// The media packet header every wzp stage shares (docs/PROTOCOL.md, "Media
// packets"). All integers are big-endian. Parsers never throw and never read
// past the input; every failure is a WireError.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace wzp::wire {

inline constexpr uint8_t kVersion = 1;
inline constexpr size_t kFullHeaderSize = 24;
inline constexpr size_t kMiniHeaderSize = 9;
inline constexpr size_t kQualityReportSize = 7;
// No wzp packet or datagram is larger: it must fit one UDP payload on any
// path we use, and a bound keeps every parser's work small.
inline constexpr size_t kMaxPacketSize = 1500;
// RFC 6330's largest source block.
inline constexpr uint16_t kMaxSourceSymbols = 56403;

enum class PacketKind : uint8_t { kFull = 0, kMini = 1, kTrunk = 2 };
enum class MediaType : uint8_t { kAudio = 0, kVideo = 1, kData = 2 };
// The clock of a stream's media timestamps: 48 kHz for audio, 90 kHz for
// video and data (docs/PROTOCOL.md).
constexpr uint32_t media_clock_rate(MediaType type) {
  return type == MediaType::kAudio ? 48000 : 90000;
}

// Codec ids carried in the header (u8). Codec2 has one id per mode so a
// receiver can decode a frame without any other state.
namespace codec {
inline constexpr uint8_t kNone = 0x00;
inline constexpr uint8_t kOpus = 0x01;
inline constexpr uint8_t kCodec2_3200 = 0x10;
inline constexpr uint8_t kCodec2_2400 = 0x11;
inline constexpr uint8_t kCodec2_1600 = 0x12;
inline constexpr uint8_t kCodec2_1400 = 0x13;
inline constexpr uint8_t kCodec2_1300 = 0x14;
inline constexpr uint8_t kCodec2_1200 = 0x15;
inline constexpr uint8_t kCodec2_700C = 0x16;
inline constexpr uint8_t kAv1 = 0x20;
}  // namespace codec

enum class WireError : uint8_t {
  kOk = 0,
  kTruncated,           // shorter than its own fields say
  kOversized,           // longer than kMaxPacketSize
  kUnsupportedVersion,  // version bits are not kVersion
  kUnknownKind,         // packet kind 3
  kReservedBitsSet,     // a reserved bit or media type 3
  kInconsistent,        // fields contradict each other (e.g. ESI outside the block)
  kNoContext,           // a mini header whose full header was never received
};
const char *to_string(WireError error);

struct MediaHeader {
  MediaType media_type = MediaType::kAudio;
  uint8_t codec = codec::kNone;
  bool repair = false;    // payload is a FEC repair symbol
  bool keyframe = false;  // the block holds a keyframe (video) or a codec reset
  // FEC by a sliding window (fec::WindowEncoder) rather than in blocks: the
  // block id is a frame number, and a repair symbol combines the K frames up
  // to it.
  bool window = false;
  // The sealed payload ends in padding to a size class (crypto/padding.hpp):
  // set by wzpencrypt, inside the associated data, so it cannot be flipped.
  bool padded = false;
  uint8_t key_epoch = 0;
  uint32_t stream_id = 0;
  uint32_t sequence = 0;
  uint32_t timestamp = 0;  // media clock: 48 kHz audio, 90 kHz video and data
  uint16_t block_id = 0;
  uint16_t symbol_index = 0;    // the RaptorQ ESI within the block
  uint16_t source_symbols = 0;  // K; 0 means the packet is not FEC-protected
  uint16_t repair_symbols = 0;  // R planned for the block

  bool operator==(const MediaHeader &) const = default;
};

// Piggybacked report of what the sender of this packet sees arriving from
// its peer; drives the peer's quality controller.
struct QualityReport {
  uint8_t loss_q8 = 0;  // loss fraction x 256, saturated at 255
  uint16_t rtt_ms = 0;
  uint16_t jitter_ms = 0;
  uint16_t bandwidth_kbps = 0;

  static QualityReport from(double loss_fraction, uint32_t rtt_ms, uint32_t jitter_ms,
                            uint32_t bandwidth_kbps);
  double loss_fraction() const { return loss_q8 / 256.0; }
  bool operator==(const QualityReport &) const = default;
};

// A parsed media packet. The spans point into the caller's buffer.
struct PacketView {
  PacketKind kind = PacketKind::kFull;
  MediaHeader header;
  std::optional<QualityReport> report;
  std::span<const uint8_t> header_bytes;  // header and report, as sent: the AEAD's associated data
  std::span<const uint8_t> payload;
};

// Checks the rules every header must keep (docs/PROTOCOL.md, "Validity").
WireError validate(const MediaHeader &header);

// Reads the kind from the first byte without validating anything else.
std::optional<PacketKind> peek_kind(std::span<const uint8_t> packet);

// Parses a packet with a full header. Use HeaderDecompressor for streams
// that may carry mini headers.
WireError parse_full(std::span<const uint8_t> packet, PacketView &out);

// Writes a full header (and the report, if given) to `out`. Returns the
// bytes written, or 0 if `out` is too small or the header is invalid.
size_t write_full(const MediaHeader &header, const QualityReport *report, std::span<uint8_t> out);
size_t full_header_size(bool with_report);

// Sets or clears the padded flag in the flags byte of a full or mini packet
// (the header is the AEAD's associated data, so a sender sets it before
// sealing). False when the packet is neither.
bool set_padded(std::span<uint8_t> packet, bool padded);

// Low-level pieces shared by the full and mini codecs.
namespace detail {
uint8_t first_byte(PacketKind kind, MediaType type);
uint8_t flags_byte(const MediaHeader &header, bool has_report);
WireError read_first_byte(uint8_t byte, PacketKind &kind, MediaType &type);
WireError read_flags(uint8_t byte, MediaHeader &header, bool &has_report);
void write_report(const QualityReport &report, uint8_t *out);
QualityReport read_report(const uint8_t *in);
}  // namespace detail

}  // namespace wzp::wire
