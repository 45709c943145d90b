// FrameDecoder's half for video (media type video, no window flag): one
// frame is one block of K T-byte symbols (docs/fec-blocks.md, "Video: a
// frame is a block"). A frame leaves whole, once all its source symbols are
// in or RaptorQ rebuilt them from K of its source and repair symbols; a
// frame still short of K symbols a deadline past the newest timestamp is
// reported lost, never passed on in part. Every packet of a block names its
// frame (number and timestamp), so a lost frame is reported exactly if any
// of its packets arrived; a frame none of whose packets arrived leaves a gap
// in the frame numbers for the jitter buffer.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "libwzp/fec/block_history.hpp"
#include "libwzp/fec/raptorq.hpp"
#include "libwzp/fec/symbol_layout.hpp"
#include "libwzp/wire/header.hpp"

namespace wzp::fec {

struct DecoderStats;
class FrameSink;

// The frame length before the frame in a video block's source data.
inline constexpr size_t kVideoLengthPrefixSize = 4;
// A video frame's symbols: the largest T, so a packet with full header,
// quality report, repair prefix and AEAD tag fits 1200-byte QUIC datagrams.
inline constexpr uint16_t kDefaultVideoSymbolSize = 1024;
inline constexpr uint16_t kMinVideoSymbolSize = 64;

// K and T for a frame of `frame_size` bytes: the fewest symbols of at most
// `max_symbol` bytes but at least `min_symbols` (while symbols stay
// kMinVideoSymbolSize or more), then the smallest T (a multiple of
// `alignment`) that holds the length prefix and the frame in K symbols.
// More, smaller symbols for a small frame: with the same share of repair,
// K = 8 loses a frame at 30 % loss 2.3 times less often than K = 4.
// K = 0: too large for kMaxBlockFrames symbols.
struct VideoBlockShape {
  uint16_t K = 0;
  uint16_t T = 0;
};
VideoBlockShape video_block_shape(size_t frame_size, uint16_t max_symbol, uint16_t alignment,
                                  uint16_t min_symbols = 1);

class VideoFrameDecoder {
 public:
  explicit VideoFrameDecoder(DecoderStats &stats);

  // A video block packet: its header, the frame number (extended to 32 bits)
  // and the T-byte symbol. `deadline`: media clock ticks a frame is waited
  // for after the newest timestamp passed its own.
  void push(const wire::MediaHeader &h, uint32_t frame_number, std::span<const uint8_t> symbol,
            uint32_t deadline, FrameSink &sink);
  // Reports every frame still incomplete as lost (end of stream).
  void flush(FrameSink &sink);
  void reset();

  // Blocks tracked at once: a frame is one block, so this is about 1 s of
  // video at 15 frames/s with a whole block's worth of reordering to spare.
  static constexpr size_t kSlots = 16;

 private:
  struct Block {
    bool open = false;
    wire::MediaHeader header;  // of its first packet, sequence = frame number
    uint16_t T = 0;
    uint16_t source_received = 0;
    std::vector<uint8_t> data;  // K * T: the source symbols received so far
    std::vector<bool> have;     // per source symbol
    BlockDecoder decoder;
  };

  Block *find_or_claim(const wire::MediaHeader &h, bool &late, FrameSink &sink);
  void try_finish(Block &block, FrameSink &sink);
  void give_up(Block &block, FrameSink &sink);
  void retire(Block &block);

  DecoderStats &stats_;
  std::array<Block, kSlots> blocks_;
  bool started_ = false;
  uint32_t now_ = 0;
  // Blocks finished or given up: their packets are late.
  BlockHistory history_;
};

}  // namespace wzp::fec
