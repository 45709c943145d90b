// The sending half of wzp's FEC stage: groups media frames into RaptorQ
// blocks, sends every frame at once as a source packet, and after each group
// of blocks closes sends that group's repair packets, interleaved.
//
// Rules (docs/fec-blocks.md): frames are dealt round-robin to D concurrent
// blocks ("lanes"), so frame f of a group is ESI f / D of lane f % D and a
// burst of B lost packets costs each block about B / D symbols. A group
// closes when it holds D * K frames, when a frame arrives at least
// max_block_time after the group's first frame (that frame opens the next
// group), when a keyframe arrives (a keyframe always opens a group, so the
// keyframe flag and its higher repair ratio are known from the first packet),
// on poll() past the time limit, or on flush(). Configuration changes apply
// from the next group. Reads no clock: time is the frames' media timestamps.
//
// Video is different: a frame is larger than a datagram, so each frame is
// one block of its own, split over K symbols of T bytes, followed at once by
// its repair (keyframe_repair_ratio for keyframes: losing one costs every
// frame until the next).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "libwzp/fec/raptorq.hpp"
#include "libwzp/fec/sliding_window.hpp"
#include "libwzp/fec/symbol_layout.hpp"
#include "libwzp/fec/video_decoder.hpp"
#include "libwzp/wire/header.hpp"

namespace wzp::fec {

struct EncoderConfig {
  uint16_t block_frames = 5;       // K: frames per block, 1..kMaxBlockFrames
  uint32_t max_block_time = 4800;  // media clock ticks a group may span; 0 = no limit
  double repair_ratio = 0.5;       // repair symbols per frame, 0..kMaxRepairRatio
  double keyframe_repair_ratio = 1.0;
  uint8_t interleave_depth = 1;  // D: concurrent blocks, 1..kMaxInterleaveDepth
  // Spread a group's repair packets over the first half of the next group's
  // frames instead of sending them in one burst as it closes: a burst of
  // losses then takes source and repair symbols of two blocks, not all of
  // one's repair, and the congestion window sees no burst.
  bool pace_repair = false;
  // 0: blocks as above. W >= 1: a sliding window instead (sliding_window.hpp):
  // each frame is followed by its share of repair_ratio repair symbols over
  // the last W frames; block_frames, interleave_depth, pace_repair and
  // max_block_time do not apply.
  uint16_t window_frames = 0;
  uint16_t symbol_alignment = 8;  // T is rounded up to a multiple of this, 1..64
  // Video (media type video, no window): each frame is one block of
  // symbols of at most this many bytes, kMinVideoSymbolSize..kMaxSymbolSize
  // (video_decoder.hpp); block_frames, interleave_depth, pace_repair and
  // max_block_time do not apply, keyframe_repair_ratio covers keyframes.
  uint16_t video_symbol_size = kDefaultVideoSymbolSize;
  // ...and of at least this many symbols while they stay kMinVideoSymbolSize
  // bytes or more, 1..kMaxBlockFrames (video_block_shape).
  uint16_t video_min_symbols = 1;
  wire::MediaType media_type = wire::MediaType::kAudio;
  uint8_t codec = wire::codec::kNone;
  uint32_t stream_id = 0;
  uint8_t key_epoch = 0;

  bool operator==(const EncoderConfig &) const = default;
};
inline constexpr double kMaxRepairRatio = 8.0;
bool is_valid(const EncoderConfig &config);

// R for a block of `frames` frames: ceil(ratio * frames).
uint16_t repair_count(double ratio, uint16_t frames);

struct Frame {
  std::span<const uint8_t> data;
  uint32_t timestamp = 0;  // media clock
  bool keyframe = false;
};

struct EncoderStats {
  uint64_t frames = 0;             // accepted and sent
  uint64_t rejected_empty = 0;     // zero-length frames (nothing to send)
  uint64_t rejected_oversize = 0;  // longer than kMaxFrameSize (video: kMaxBlockFrames symbols)
  uint64_t blocks = 0;
  uint64_t keyframe_blocks = 0;
  uint64_t source_packets = 0;
  uint64_t repair_packets = 0;
  uint64_t bytes_sent = 0;  // whole packets, headers included
};

// Receives each finished packet (header + payload); the span is only valid
// during the call.
class PacketSink {
 public:
  virtual ~PacketSink() = default;
  virtual void on_packet(std::span<const uint8_t> packet, const wire::MediaHeader &header) = 0;
};

class FrameEncoder {
 public:
  enum class Result { kSent, kEmpty, kOversize };

  // `config` must be valid (is_valid); an invalid one is replaced by the defaults.
  explicit FrameEncoder(const EncoderConfig &config = {});

  // Takes effect when the next group opens. False (and ignored) if invalid.
  bool set_config(const EncoderConfig &config);
  const EncoderConfig &config() const { return pending_; }

  // Sends the frame as a source packet, first closing the open group if a
  // rule says so and afterwards if it is full.
  Result push(const Frame &frame, PacketSink &sink);
  // Closes the open group if `now` is max_block_time past its first frame,
  // and sends paced repair still held once `now` is max_block_time past the
  // group it protects (the sender went quiet).
  void poll(uint32_t now, PacketSink &sink);
  // Closes the open group, if any, and sends all repair still held (end of
  // stream, discontinuity).
  void flush(PacketSink &sink);
  // Repair packets held for pacing.
  size_t paced_repair() const { return paced_.size() - paced_next_; }

  const EncoderStats &stats() const { return stats_; }
  uint32_t next_sequence() const { return next_sequence_; }
  uint32_t next_frame_number() const { return next_frame_; }
  bool group_open() const { return group_frames_ > 0; }
  // Frames in the open group: 1 right after a frame opened a new group.
  size_t group_frames() const { return group_frames_; }

 private:
  struct Lane {
    uint16_t block_id = 0;
    uint32_t base_frame = 0;
    uint16_t frames = 0;
    size_t longest_frame = 0;
    uint32_t last_timestamp = 0;
    uint16_t repair = 0;
    uint16_t symbol_size = 0;
  };

  Result push_window(const Frame &frame, PacketSink &sink);
  Result push_video(const Frame &frame, PacketSink &sink);
  void open_group(bool keyframe);
  void close_group(PacketSink &sink);
  void prepare_lane(size_t lane);
  void emit(const wire::MediaHeader &header, std::span<const uint8_t> prefix,
            std::span<const uint8_t> body, PacketSink &sink);
  // Sends held repair up to its share of the frames pushed since its group
  // closed (all of it when `all`).
  void send_paced(PacketSink &sink, bool all);
  wire::MediaHeader block_header(const Lane &lane) const;
  void reserve_storage();

  EncoderConfig pending_;
  EncoderConfig active_;  // fixed while a group is open
  EncoderStats stats_;
  uint32_t next_sequence_ = 0;  // per packet, source and repair
  uint32_t next_frame_ = 0;     // per frame
  uint16_t next_block_id_ = 0;

  // The open group.
  uint32_t group_first_timestamp_ = 0;
  size_t group_frames_ = 0;
  bool group_keyframe_ = false;
  double group_ratio_ = 0.0;
  std::vector<Lane> lanes_;

  // Frame f of the group lives at frame_bytes_[f * kMaxFrameSize].
  std::vector<uint8_t> frame_bytes_;
  std::vector<uint16_t> frame_lengths_;
  std::vector<uint32_t> frame_timestamps_;
  std::vector<uint8_t> lane_source_;  // K * T bytes for one lane's encoder
  std::vector<std::unique_ptr<BlockEncoder>> encoders_;
  std::vector<uint8_t> symbol_;
  std::vector<uint8_t> packet_;

  // Repair of the last closed group, held for pacing: payloads (prefix and
  // symbol) back to back in paced_payload_, paced_ holds each one's end and
  // header; the sequence number is given as it leaves.
  struct PacedPacket {
    size_t end = 0;
    wire::MediaHeader header;
  };
  std::vector<uint8_t> paced_payload_;
  std::vector<PacedPacket> paced_;
  size_t paced_next_ = 0;         // the first not yet sent
  size_t paced_over_frames_ = 0;  // spread over this many frames (the group's size)
  size_t paced_frames_ = 0;       // frames pushed since that group closed
  uint32_t paced_group_end_ = 0;  // the closed group's last timestamp

  WindowEncoder window_;
  double window_credit_ = 0.0;  // repair symbols earned and not yet sent
};

}  // namespace wzp::fec
