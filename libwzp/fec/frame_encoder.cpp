#include "libwzp/fec/frame_encoder.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "libwzp/base/bytes.hpp"

namespace wzp::fec {

bool is_valid(const EncoderConfig &c) {
  return c.block_frames >= 1 && c.block_frames <= kMaxBlockFrames && c.interleave_depth >= 1 &&
         c.interleave_depth <= kMaxInterleaveDepth && c.repair_ratio >= 0.0 &&
         c.repair_ratio <= kMaxRepairRatio && c.keyframe_repair_ratio >= 0.0 &&
         c.keyframe_repair_ratio <= kMaxRepairRatio && c.symbol_alignment >= 1 &&
         c.symbol_alignment <= 64 && c.window_frames <= kMaxWindowFrames &&
         c.video_symbol_size >= kMinVideoSymbolSize && c.video_symbol_size <= kMaxSymbolSize &&
         c.video_min_symbols >= 1 && c.video_min_symbols <= kMaxBlockFrames &&
         static_cast<uint8_t>(c.media_type) <= static_cast<uint8_t>(wire::MediaType::kData);
}

uint16_t repair_count(double ratio, uint16_t frames) {
  // The epsilon keeps 0.2 * 5 from becoming 2 through rounding error.
  return static_cast<uint16_t>(std::ceil(ratio * frames - 1e-9));
}

FrameEncoder::FrameEncoder(const EncoderConfig &config)
    : pending_(is_valid(config) ? config : EncoderConfig{}), active_(pending_) {
  symbol_.resize(kMaxSymbolSize);
  packet_.resize(wire::kMaxPacketSize);
  reserve_storage();
}

bool FrameEncoder::set_config(const EncoderConfig &config) {
  if (!is_valid(config)) return false;
  pending_ = config;
  return true;
}

// Grows (never shrinks) the buffers to what the pending configuration needs,
// so frames never allocate.
void FrameEncoder::reserve_storage() {
  size_t slots = size_t{pending_.block_frames} * pending_.interleave_depth;
  if (frame_lengths_.size() < slots) {
    frame_bytes_.resize(slots * kMaxFrameSize);
    frame_lengths_.resize(slots);
    frame_timestamps_.resize(slots);
  }
  lane_source_.resize(std::max(lane_source_.size(), pending_.block_frames * kMaxSymbolSize));
  while (encoders_.size() < pending_.interleave_depth) {
    encoders_.push_back(std::make_unique<BlockEncoder>());
  }
}

void FrameEncoder::open_group(bool keyframe) {
  reserve_storage();
  active_ = pending_;
  group_keyframe_ = keyframe;
  group_ratio_ = keyframe ? active_.keyframe_repair_ratio : active_.repair_ratio;
  lanes_.assign(active_.interleave_depth, Lane{});
  for (auto &lane : lanes_) lane.block_id = next_block_id_++;
}

wire::MediaHeader FrameEncoder::block_header(const Lane &lane) const {
  wire::MediaHeader h;
  h.media_type = active_.media_type;
  h.codec = active_.codec;
  h.keyframe = group_keyframe_;
  h.key_epoch = active_.key_epoch;
  h.stream_id = active_.stream_id;
  h.block_id = lane.block_id;
  h.source_symbols = active_.block_frames;
  h.repair_symbols = repair_count(group_ratio_, active_.block_frames);
  return h;
}

FrameEncoder::Result FrameEncoder::push(const Frame &frame, PacketSink &sink) {
  if (frame.data.empty()) {
    ++stats_.rejected_empty;
    return Result::kEmpty;
  }
  if (pending_.media_type == wire::MediaType::kVideo && pending_.window_frames == 0) {
    return push_video(frame, sink);
  }
  if (frame.data.size() > kMaxFrameSize) {
    ++stats_.rejected_oversize;
    return Result::kOversize;
  }
  if (pending_.window_frames != 0) return push_window(frame, sink);
  if (group_open() && frame.keyframe) close_group(sink);
  if (group_open() && active_.max_block_time != 0 &&
      static_cast<int32_t>(frame.timestamp - group_first_timestamp_) >=
          static_cast<int64_t>(active_.max_block_time)) {
    close_group(sink);
  }
  if (!group_open()) {
    open_group(frame.keyframe);
    group_first_timestamp_ = frame.timestamp;
  }

  size_t slot = group_frames_++;
  Lane &lane = lanes_[slot % lanes_.size()];
  uint16_t esi = lane.frames++;
  if (esi == 0) lane.base_frame = next_frame_;
  lane.longest_frame = std::max(lane.longest_frame, frame.data.size());
  lane.last_timestamp = frame.timestamp;
  std::copy(frame.data.begin(), frame.data.end(), frame_bytes_.begin() + slot * kMaxFrameSize);
  frame_lengths_[slot] = static_cast<uint16_t>(frame.data.size());
  frame_timestamps_[slot] = frame.timestamp;

  wire::MediaHeader h = block_header(lane);
  h.sequence = next_sequence_++;
  h.timestamp = frame.timestamp;
  h.symbol_index = esi;
  std::array<uint8_t, kSourcePrefixSize> prefix{};
  base::put_u16(prefix.data(), static_cast<uint16_t>(next_frame_++));
  emit(h, prefix, frame.data, sink);
  ++stats_.source_packets;
  ++stats_.frames;

  ++paced_frames_;
  send_paced(sink, false);
  if (group_frames_ == lanes_.size() * active_.block_frames) close_group(sink);
  return Result::kSent;
}

void FrameEncoder::poll(uint32_t now, PacketSink &sink) {
  if (group_open() && active_.max_block_time != 0 &&
      static_cast<int32_t>(now - group_first_timestamp_) >=
          static_cast<int64_t>(active_.max_block_time)) {
    close_group(sink);
  }
  if (paced_repair() > 0 && static_cast<int32_t>(now - paced_group_end_) >=
                                static_cast<int64_t>(active_.max_block_time)) {
    send_paced(sink, true);
  }
}

void FrameEncoder::flush(PacketSink &sink) {
  if (group_open()) close_group(sink);
  send_paced(sink, true);
}

// Held repair goes out in step with the frames that follow its group, over
// the first half of them (P = ceil(G / 2) frames): after n frames, n + 1 of
// P + 1 shares, so the first share leaves as the group closes and the last
// with the P-th frame. Half a group still mixes a burst of losses over two
// blocks; the whole group made recovery wait half a group longer
// (docs/quality.md: paced repair).
void FrameEncoder::send_paced(PacketSink &sink, bool all) {
  size_t total = paced_.size();
  size_t due =
      all ? total : std::min(total, total * (paced_frames_ + 1) / (paced_over_frames_ + 1));
  for (; paced_next_ < due; ++paced_next_) {
    size_t begin = paced_next_ == 0 ? 0 : paced_[paced_next_ - 1].end;
    PacedPacket &packet = paced_[paced_next_];
    // Numbered as it leaves: sequence numbers (the AEAD's nonces) only grow.
    packet.header.sequence = next_sequence_++;
    emit(packet.header, {},
         std::span<const uint8_t>(paced_payload_.data() + begin, packet.end - begin), sink);
  }
  if (paced_next_ == total) {
    paced_.clear();
    paced_payload_.clear();
    paced_next_ = 0;
  }
}

// A frame goes out at once, followed by the repair it earns (repair_ratio
// a frame, the fraction carried to the next). A window never spans a change
// of codec, stream or media type: a repair symbol's header names them for
// every frame it covers.
FrameEncoder::Result FrameEncoder::push_window(const Frame &frame, PacketSink &sink) {
  if (group_open()) close_group(sink);
  send_paced(sink, true);
  if (active_.window_frames != pending_.window_frames || active_.codec != pending_.codec ||
      active_.stream_id != pending_.stream_id || active_.media_type != pending_.media_type ||
      window_.frames() == 0) {
    window_.reset(pending_.window_frames);
    window_credit_ = 0.0;
  }
  active_ = pending_;
  const uint32_t number = next_frame_++;
  window_.add(number, frame.data, frame.timestamp);
  window_credit_ += frame.keyframe ? active_.keyframe_repair_ratio : active_.repair_ratio;
  const auto repair = static_cast<uint16_t>(window_credit_ + 1e-9);
  window_credit_ = std::max(0.0, window_credit_ - repair);

  wire::MediaHeader h;
  h.media_type = active_.media_type;
  h.codec = active_.codec;
  h.keyframe = frame.keyframe;
  h.key_epoch = active_.key_epoch;
  h.stream_id = active_.stream_id;
  h.window = true;
  h.block_id = static_cast<uint16_t>(number);
  h.timestamp = frame.timestamp;
  h.source_symbols = active_.window_frames;
  h.repair_symbols = repair;
  h.sequence = next_sequence_++;
  std::array<uint8_t, kSourcePrefixSize> source_prefix{};
  base::put_u16(source_prefix.data(), static_cast<uint16_t>(number));
  emit(h, source_prefix, frame.data, sink);
  ++stats_.source_packets;
  ++stats_.frames;

  h.repair = true;
  h.source_symbols = window_.frames();
  std::array<uint8_t, kRepairPrefixSize> prefix{};
  write_repair_prefix({static_cast<uint16_t>(window_.first_frame()), window_.frames(), 1}, prefix);
  std::span<uint8_t> symbol(symbol_.data(), window_.symbol_size());
  for (uint16_t j = 0; j < repair; ++j) {
    window_.repair(j, symbol);
    h.sequence = next_sequence_++;
    h.symbol_index = static_cast<uint16_t>(h.source_symbols + j);
    emit(h, prefix, symbol, sink);
    ++stats_.repair_packets;
  }
  return Result::kSent;
}

// The frame, after its u32 length, spread over K symbols of T bytes (zero
// padded); the source symbols go out, then the block's repair.
FrameEncoder::Result FrameEncoder::push_video(const Frame &frame, PacketSink &sink) {
  VideoBlockShape shape = video_block_shape(frame.data.size(), pending_.video_symbol_size,
                                            pending_.symbol_alignment, pending_.video_min_symbols);
  if (shape.K == 0) {
    ++stats_.rejected_oversize;
    return Result::kOversize;
  }
  flush(sink);  // blocks of frames from before a switch to video
  active_ = pending_;
  const size_t K = shape.K, T = shape.T;
  lane_source_.resize(std::max(lane_source_.size(), K * T));
  std::span<uint8_t> source(lane_source_.data(), K * T);
  base::put_u32(source.data(), static_cast<uint32_t>(frame.data.size()));
  std::copy(frame.data.begin(), frame.data.end(), source.begin() + kVideoLengthPrefixSize);
  std::fill(source.begin() + static_cast<ptrdiff_t>(kVideoLengthPrefixSize + frame.data.size()),
            source.end(), 0);

  const uint32_t number = next_frame_++;
  wire::MediaHeader h;
  h.media_type = active_.media_type;
  h.codec = active_.codec;
  h.keyframe = frame.keyframe;
  h.key_epoch = active_.key_epoch;
  h.stream_id = active_.stream_id;
  h.block_id = next_block_id_++;
  h.timestamp = frame.timestamp;
  h.source_symbols = shape.K;
  h.repair_symbols =
      repair_count(frame.keyframe ? active_.keyframe_repair_ratio : active_.repair_ratio, shape.K);
  std::array<uint8_t, kSourcePrefixSize> source_prefix{};
  base::put_u16(source_prefix.data(), static_cast<uint16_t>(number));
  for (uint16_t i = 0; i < shape.K; ++i) {
    h.sequence = next_sequence_++;
    h.symbol_index = i;
    emit(h, source_prefix, source.subspan(i * T, T), sink);
    ++stats_.source_packets;
  }
  ++stats_.frames;
  ++stats_.blocks;
  if (frame.keyframe) ++stats_.keyframe_blocks;
  if (h.repair_symbols == 0) return Result::kSent;
  encoders_[0]->prepare(source, shape.K, shape.T);
  h.repair = true;
  std::array<uint8_t, kRepairPrefixSize> prefix{};
  write_repair_prefix({static_cast<uint16_t>(number), 1, 1}, prefix);
  std::span<uint8_t> symbol(symbol_.data(), T);
  for (uint16_t j = 0; j < h.repair_symbols; ++j) {
    h.sequence = next_sequence_++;
    h.symbol_index = static_cast<uint16_t>(shape.K + j);
    encoders_[0]->symbol(h.symbol_index, symbol);
    emit(h, prefix, symbol, sink);
    ++stats_.repair_packets;
  }
  return Result::kSent;
}

void FrameEncoder::prepare_lane(size_t index) {
  Lane &lane = lanes_[index];
  size_t K = active_.block_frames;
  size_t align = active_.symbol_alignment;
  size_t T = (kSymbolPrefixSize + lane.longest_frame + align - 1) / align * align;
  T = std::min(T, kMaxSymbolSize);
  lane.symbol_size = static_cast<uint16_t>(T);
  lane.repair = repair_count(group_ratio_, lane.frames);
  std::span<uint8_t> source(lane_source_.data(), K * T);
  size_t D = lanes_.size();
  for (size_t esi = 0; esi < K; ++esi) {
    std::span<uint8_t> symbol = source.subspan(esi * T, T);
    if (esi < lane.frames) {
      size_t slot = esi * D + index;
      std::span<const uint8_t> frame(frame_bytes_.data() + slot * kMaxFrameSize,
                                     frame_lengths_[slot]);
      write_source_symbol(frame, frame_timestamps_[slot], symbol);
    } else {
      std::fill(symbol.begin(), symbol.end(), 0);  // padding of a block closed early
    }
  }
  if (lane.repair > 0)
    encoders_[index]->prepare(source, static_cast<uint16_t>(K), lane.symbol_size);
}

void FrameEncoder::close_group(PacketSink &sink) {
  send_paced(sink, true);  // the group before this one's, in full
  uint16_t most_repair = 0;
  for (size_t i = 0; i < lanes_.size(); ++i) {
    if (lanes_[i].frames == 0) continue;
    prepare_lane(i);
    most_repair = std::max(most_repair, lanes_[i].repair);
    ++stats_.blocks;
    if (group_keyframe_) ++stats_.keyframe_blocks;
  }
  // Repair j of every lane before repair j + 1 of any, so a burst hits each
  // block's repair symbols evenly too.
  for (uint16_t j = 0; j < most_repair; ++j) {
    for (size_t i = 0; i < lanes_.size(); ++i) {
      const Lane &lane = lanes_[i];
      if (lane.frames == 0 || j >= lane.repair) continue;
      wire::MediaHeader h = block_header(lane);
      h.repair = true;
      h.repair_symbols = lane.repair;
      h.timestamp = lane.last_timestamp;
      h.symbol_index = static_cast<uint16_t>(active_.block_frames + j);
      std::span<uint8_t> symbol(symbol_.data(), lane.symbol_size);
      encoders_[i]->symbol(h.symbol_index, symbol);
      std::array<uint8_t, kRepairPrefixSize> prefix{};
      write_repair_prefix({static_cast<uint16_t>(lane.base_frame), lane.frames,
                           static_cast<uint8_t>(lanes_.size())},
                          prefix);
      ++stats_.repair_packets;
      if (!active_.pace_repair) {
        h.sequence = next_sequence_++;
        emit(h, prefix, symbol, sink);
        continue;
      }
      paced_payload_.insert(paced_payload_.end(), prefix.begin(), prefix.end());
      paced_payload_.insert(paced_payload_.end(), symbol.begin(), symbol.end());
      paced_.push_back({paced_payload_.size(), h});
    }
  }
  paced_over_frames_ = (group_frames_ + 1) / 2;
  paced_frames_ = 0;
  paced_group_end_ = frame_timestamps_[group_frames_ - 1];
  group_frames_ = 0;
  send_paced(sink, false);
}

void FrameEncoder::emit(const wire::MediaHeader &header, std::span<const uint8_t> prefix,
                        std::span<const uint8_t> body, PacketSink &sink) {
  size_t at = wire::write_full(header, nullptr, packet_);
  std::copy(prefix.begin(), prefix.end(), packet_.begin() + static_cast<ptrdiff_t>(at));
  at += prefix.size();
  std::copy(body.begin(), body.end(), packet_.begin() + static_cast<ptrdiff_t>(at));
  at += body.size();
  stats_.bytes_sent += at;
  sink.on_packet(std::span<const uint8_t>(packet_.data(), at), header);
}

}  // namespace wzp::fec
