// The receiving half of wzp's FEC stage: forwards every source frame the
// moment it arrives, recovers missing frames as soon as a block has enough
// symbols, and reports the frames of a block it had to give up.
//
// Output headers carry the *frame number* in `sequence` (consecutive frames,
// consecutive numbers; plugins/gstwzp/wzpmeta.h) and the frame's own
// timestamp. Every frame of a block the decoder learns about gets exactly
// one outcome: on_frame (received or recovered) or on_lost. A block's first
// frame number, frame count and interleave depth travel in its repair
// packets, so a block none of whose repair packets arrive can only report
// the frames it received; the jitter buffer sees the remaining gaps.
//
// Video streams (media type video, no window flag) carry one frame per block
// instead, split over the block's symbols (video_decoder.hpp).
//
// Clock-free: "now" is the newest media timestamp seen on the stream, and a
// block is given up once now passes the block's newest timestamp by more
// than the deadline. Memory is bounded by max_open_blocks whatever arrives.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "libwzp/fec/block_history.hpp"
#include "libwzp/fec/raptorq.hpp"
#include "libwzp/fec/symbol_layout.hpp"
#include "libwzp/fec/video_decoder.hpp"
#include "libwzp/fec/window_decoder.hpp"
#include "libwzp/wire/header.hpp"

namespace wzp::fec {

struct DecoderConfig {
  uint32_t deadline = 24000;  // media clock ticks (500 ms of 48 kHz audio)
  // For video blocks (90 kHz ticks, 150 ms). A video frame's packets leave
  // back to back, so a frame still short of symbols once frames this much
  // newer arrive has lost them; waiting longer only holds back the loss
  // notice, and with it the jitter buffer's delay estimate and the
  // decoder's keyframe request.
  uint32_t video_deadline = 13500;
  uint16_t max_block_frames = kMaxBlockFrames;  // larger K is absurd for real time: dropped
  uint16_t max_open_blocks = 32;                // blocks tracked at once, 1..256
};

struct DecoderStats {
  uint64_t packets = 0;
  uint64_t received = 0;          // source frames forwarded on arrival
  uint64_t recovered = 0;         // frames rebuilt from repair symbols
  uint64_t unrecoverable = 0;     // frames reported lost
  uint64_t unprotected = 0;       // frames from K = 0 packets, forwarded as they are
  uint64_t duplicates = 0;        // a symbol already held
  uint64_t late = 0;              // for a block already finished, given up or long gone
  uint64_t malformed = 0;         // unparsable packet or repair prefix
  uint64_t out_of_range = 0;      // K, T or frame size beyond the limits
  uint64_t inconsistent = 0;      // contradicts the block's earlier packets
  uint64_t foreign_stream = 0;    // another stream id than the first one seen
  uint64_t unneeded_repair = 0;   // repair for a block that was already complete
  uint64_t blocks_complete = 0;   // every frame received or recovered
  uint64_t blocks_recovered = 0;  // of those, the ones that needed decoding
  uint64_t blocks_given_up = 0;
};

// A frame's header is the header of the packet that carried it (or, for a
// recovered or lost frame, of its block) with the frame's own sequence
// number and timestamp.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void on_frame(const wire::MediaHeader &header, std::span<const uint8_t> frame,
                        bool recovered) = 0;
  // `timestamp_estimated`: the timestamp was interpolated from the block's
  // other frames (a lost frame's own timestamp is gone with it).
  virtual void on_lost(const wire::MediaHeader &header, bool timestamp_estimated) = 0;
};

class FrameDecoder {
 public:
  explicit FrameDecoder(const DecoderConfig &config = {});
  ~FrameDecoder();

  // One complete wire packet with a full header.
  void push(std::span<const uint8_t> packet, FrameSink &sink);
  // Gives up every open block (end of stream).
  void flush(FrameSink &sink);
  // Forgets all state and the stream lock, keeping the stats (a seek or flush).
  void reset();

  // Media clock ticks; apply to blocks already open too.
  void set_deadline(uint32_t deadline) { config_.deadline = deadline; }
  void set_video_deadline(uint32_t deadline) { config_.video_deadline = deadline; }

  const DecoderStats &stats() const { return stats_; }
  const DecoderConfig &config() const { return config_; }

 private:
  struct Block;
  enum class Lookup { kFound, kNew, kLate };

  Block *find_or_claim(uint16_t block_id, Lookup &lookup, FrameSink &sink);
  void on_source(Block &block, wire::MediaHeader h, std::span<const uint8_t> frame,
                 FrameSink &sink);
  void on_repair(Block &block, const wire::MediaHeader &h, const RepairPrefix &prefix,
                 std::span<const uint8_t> symbol, FrameSink &sink);
  void start_decoding(Block &block, const wire::MediaHeader &h, const RepairPrefix &prefix,
                      size_t T);
  void add_source_symbol(Block &block, uint16_t esi);
  void try_finish(Block &block, FrameSink &sink);
  void give_up(Block &block, FrameSink &sink);
  void retire(Block &block);
  void expire(FrameSink &sink);
  uint32_t frame_number(uint16_t low_bits);

  DecoderConfig config_;
  DecoderStats stats_;
  WindowFrameDecoder window_{stats_};  // streams sent with a sliding window
  VideoFrameDecoder video_{stats_};    // video: one frame per block
  std::vector<std::unique_ptr<Block>> blocks_;
  std::vector<uint8_t> symbol_;

  bool locked_ = false;
  uint32_t stream_id_ = 0;
  uint32_t now_ = 0;
  uint32_t newest_frame_ = 0;
  uint32_t frame_spacing_ = 0;  // last measured timestamp step between a lane's frames
  // Blocks finished and dropped from the table: their packets are late.
  BlockHistory history_;
};

}  // namespace wzp::fec
