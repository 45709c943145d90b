#include "libwzp/fec/video_decoder.hpp"

#include <algorithm>

#include "libwzp/base/bytes.hpp"
#include "libwzp/fec/frame_decoder.hpp"

namespace wzp::fec {
namespace {

int32_t ts_distance(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b); }

}  // namespace

VideoBlockShape video_block_shape(size_t frame_size, uint16_t max_symbol, uint16_t alignment,
                                  uint16_t min_symbols) {
  alignment = std::max<uint16_t>(alignment, 1);
  size_t largest = std::min<size_t>(max_symbol, kMaxSymbolSize) / alignment * alignment;
  if (largest == 0 || frame_size == 0) return {};
  size_t bytes = kVideoLengthPrefixSize + frame_size;
  const size_t fewest =
      std::min<size_t>(min_symbols, std::max<size_t>(1, bytes / kMinVideoSymbolSize));
  size_t K = std::max((bytes + largest - 1) / largest, fewest);
  if (K > kMaxBlockFrames) return {};
  size_t T = ((bytes + K - 1) / K + alignment - 1) / alignment * alignment;
  return {static_cast<uint16_t>(K), static_cast<uint16_t>(T)};
}

VideoFrameDecoder::VideoFrameDecoder(DecoderStats &stats) : stats_(stats) {}

void VideoFrameDecoder::reset() {
  for (auto &block : blocks_) block.open = false;
  history_.reset();
  started_ = false;
}

void VideoFrameDecoder::push(const wire::MediaHeader &h, uint32_t frame_number,
                             std::span<const uint8_t> symbol, uint32_t deadline, FrameSink &sink) {
  if (!started_ || ts_distance(h.timestamp, now_) > 0) now_ = h.timestamp;
  if (!started_) history_.start_at(h.block_id);
  started_ = true;
  for (auto &block : blocks_) {
    if (block.open && ts_distance(now_, block.header.timestamp) > static_cast<int64_t>(deadline)) {
      give_up(block, sink);
    }
  }
  // The smallest block holds the length prefix and one byte of frame.
  if (symbol.size() > kMaxSymbolSize ||
      size_t{h.source_symbols} * symbol.size() <= kVideoLengthPrefixSize) {
    ++stats_.out_of_range;
    return;
  }
  bool late = false;
  Block *block = find_or_claim(h, late, sink);
  if (late) {
    ++(h.repair ? stats_.unneeded_repair : stats_.late);
    return;
  }
  if (block->T == 0) {
    block->T = static_cast<uint16_t>(symbol.size());
    block->header.sequence = frame_number;
    block->decoder.reset(h.source_symbols, block->T);
    block->data.assign(size_t{h.source_symbols} * block->T, 0);
    block->have.assign(h.source_symbols, false);
  } else if (symbol.size() != block->T || h.source_symbols != block->header.source_symbols ||
             frame_number != block->header.sequence || h.timestamp != block->header.timestamp) {
    ++stats_.inconsistent;
    return;
  }
  if (!block->decoder.add_symbol(h.symbol_index, symbol)) {
    ++stats_.duplicates;
    return;
  }
  if (!h.repair) {
    std::copy(symbol.begin(), symbol.end(),
              block->data.begin() + static_cast<ptrdiff_t>(size_t{h.symbol_index} * block->T));
    block->have[h.symbol_index] = true;
    ++block->source_received;
  }
  try_finish(*block, sink);
}

VideoFrameDecoder::Block *VideoFrameDecoder::find_or_claim(const wire::MediaHeader &h, bool &late,
                                                           FrameSink &sink) {
  for (auto &block : blocks_) {
    if (block.open && block.header.block_id == h.block_id) return &block;
  }
  if (history_.late(h.block_id)) {
    late = true;
    return nullptr;
  }
  history_.advance(h.block_id);
  // A free slot, else the oldest open block is given up.
  Block *victim = nullptr;
  for (auto &block : blocks_) {
    if (!block.open) {
      victim = &block;
      break;
    }
    if (!victim || history_.ahead_of_newest(block.header.block_id) <
                       history_.ahead_of_newest(victim->header.block_id)) {
      victim = &block;
    }
  }
  if (victim->open) give_up(*victim, sink);
  victim->open = true;
  victim->header = h;
  victim->header.repair = false;
  victim->header.symbol_index = 0;
  victim->T = 0;
  victim->source_received = 0;
  return victim;
}

void VideoFrameDecoder::retire(Block &block) {
  history_.retire(block.header.block_id);
  block.open = false;
}

void VideoFrameDecoder::try_finish(Block &block, FrameSink &sink) {
  const uint16_t K = block.header.source_symbols;
  bool recovered = block.source_received < K;
  if (recovered) {
    if (block.decoder.try_decode() != BlockDecoder::Status::kDecoded) return;
    for (uint16_t i = 0; i < K; ++i) {
      if (block.have[i]) continue;
      auto symbol = block.decoder.source_symbol(i);
      std::copy(symbol.begin(), symbol.end(),
                block.data.begin() + static_cast<ptrdiff_t>(size_t{i} * block.T));
    }
  }
  uint32_t length = base::get_u32(block.data.data());
  if (length == 0 || length > block.data.size() - kVideoLengthPrefixSize) {
    ++stats_.inconsistent;
    ++stats_.unrecoverable;
    ++stats_.blocks_given_up;
    sink.on_lost(block.header, false);
    retire(block);
    return;
  }
  std::span<const uint8_t> frame(block.data.data() + kVideoLengthPrefixSize, length);
  ++(recovered ? stats_.recovered : stats_.received);
  ++stats_.blocks_complete;
  if (recovered) ++stats_.blocks_recovered;
  sink.on_frame(block.header, frame, recovered);
  retire(block);
}

void VideoFrameDecoder::give_up(Block &block, FrameSink &sink) {
  ++stats_.blocks_given_up;
  ++stats_.unrecoverable;
  sink.on_lost(block.header, false);
  retire(block);
}

void VideoFrameDecoder::flush(FrameSink &sink) {
  for (auto &block : blocks_) {
    if (block.open) give_up(block, sink);
  }
}

}  // namespace wzp::fec
