#include "libwzp/fec/frame_decoder.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>

#include "libwzp/base/bytes.hpp"

namespace wzp::fec {
namespace {

int32_t ts_distance(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b); }

}  // namespace

struct FrameDecoder::Block {
  enum class State : uint8_t { kFree, kOpen, kDone };
  enum class Esi : uint8_t { kMissing, kReceived, kRecovered, kLost };

  State state = State::kFree;
  wire::MediaHeader header;  // block fields from its first packet
  uint16_t T = 0;            // 0 until a repair packet arrives
  uint16_t frames = 0;       // n, 0 until a repair packet arrives
  uint8_t depth = 0;
  uint32_t base_frame = 0;
  uint32_t newest_timestamp = 0;
  uint32_t last_frame_timestamp = 0;  // of ESI n - 1, from the repair header
  uint16_t received = 0;
  uint16_t symbols_added = 0;  // in the decoder, padding included
  std::array<Esi, kMaxBlockFrames> status{};
  std::array<uint32_t, kMaxBlockFrames> timestamps{};
  std::array<uint16_t, kMaxBlockFrames> lengths{};
  std::vector<uint8_t> payloads;  // ESI i's frame at i * kMaxFrameSize, kept until T is known
  BlockDecoder decoder;

  std::span<const uint8_t> payload(uint16_t esi) const {
    return {payloads.data() + size_t{esi} * kMaxFrameSize, lengths[esi]};
  }
};

FrameDecoder::FrameDecoder(const DecoderConfig &config) : config_(config) {
  config_.max_open_blocks = std::clamp<uint16_t>(config_.max_open_blocks, 1, 256);
  config_.max_block_frames = std::clamp<uint16_t>(config_.max_block_frames, 1, kMaxBlockFrames);
  for (size_t i = 0; i < config_.max_open_blocks; ++i) blocks_.push_back(std::make_unique<Block>());
  symbol_.resize(kMaxSymbolSize);
}

FrameDecoder::~FrameDecoder() = default;

void FrameDecoder::reset() {
  for (auto &block : blocks_) block->state = Block::State::kFree;
  history_.reset();
  window_.reset();
  video_.reset();
  locked_ = false;
  frame_spacing_ = 0;
}

void FrameDecoder::push(std::span<const uint8_t> packet, FrameSink &sink) {
  ++stats_.packets;
  wire::PacketView view;
  if (wire::parse_full(packet, view) != wire::WireError::kOk) {
    ++stats_.malformed;
    return;
  }
  const wire::MediaHeader &h = view.header;
  if (!locked_) {
    locked_ = true;
    stream_id_ = h.stream_id;
    now_ = h.timestamp;
    history_.start_at(h.block_id);
    newest_frame_ = 0;
  } else if (h.stream_id != stream_id_) {
    ++stats_.foreign_stream;
    return;
  }
  std::optional<RepairPrefix> prefix;
  std::span<const uint8_t> body;
  if (h.repair) {
    prefix = read_repair_prefix(view.payload);
    if (!prefix) {
      ++stats_.malformed;
      return;
    }
    body = view.payload.subspan(kRepairPrefixSize);
  } else if (view.payload.size() > kSourcePrefixSize) {
    body = view.payload.subspan(kSourcePrefixSize);
  } else {
    ++stats_.malformed;  // no room for a frame number and a frame
    return;
  }
  if (h.media_type == wire::MediaType::kVideo && !h.window && h.source_symbols != 0) {
    // A video block: the body is one T-byte symbol of a frame.
    if (h.source_symbols > config_.max_block_frames) {
      ++stats_.out_of_range;
      return;
    }
    if (prefix && (prefix->frames != 1 || prefix->interleave_depth != 1)) {
      ++stats_.inconsistent;  // a video block is one frame
      return;
    }
    uint16_t low_bits = h.repair ? prefix->base_frame : base::get_u16(view.payload.data());
    if (ts_distance(h.timestamp, now_) > 0) now_ = h.timestamp;
    expire(sink);
    video_.push(h, frame_number(low_bits), body, config_.video_deadline, sink);
    return;
  }
  if (h.source_symbols == 0) {
    wire::MediaHeader frame_header = h;
    frame_header.sequence = frame_number(base::get_u16(view.payload.data()));
    ++stats_.unprotected;
    sink.on_frame(frame_header, body, false);
    return;
  }
  size_t largest = h.repair ? kMaxSymbolSize : kMaxFrameSize;
  size_t smallest = h.repair ? kSymbolPrefixSize + 1 : 1;
  if (h.source_symbols > config_.max_block_frames || body.size() > largest ||
      body.size() < smallest) {
    ++stats_.out_of_range;
    return;
  }
  if (prefix && prefix->frames > h.source_symbols) {
    ++stats_.inconsistent;
    return;
  }

  if (ts_distance(h.timestamp, now_) > 0) now_ = h.timestamp;
  expire(sink);  // blocks sent before a switch to a window end on time too
  if (h.window) {
    uint16_t frame_low_bits = h.repair ? 0 : base::get_u16(view.payload.data());
    window_.push(h, prefix ? &*prefix : nullptr, frame_low_bits, body, config_.deadline, sink);
    return;
  }

  Lookup lookup;
  Block *block = find_or_claim(h.block_id, lookup, sink);
  if (lookup == Lookup::kLate) {
    ++stats_.late;
    return;
  }
  if (lookup == Lookup::kNew) {
    block->header = h;
    block->header.repair = false;
    block->newest_timestamp = h.timestamp;
  } else if (block->header.source_symbols != h.source_symbols) {
    ++stats_.inconsistent;
    return;
  }
  if (block->state == Block::State::kDone) {
    // Finished: a source frame we hold is a duplicate, anything else late.
    bool held = !h.repair && block->status[h.symbol_index] == Block::Esi::kReceived;
    ++(held ? stats_.duplicates : h.repair ? stats_.unneeded_repair : stats_.late);
    return;
  }
  if (ts_distance(h.timestamp, block->newest_timestamp) > 0) block->newest_timestamp = h.timestamp;
  if (h.repair) {
    on_repair(*block, h, *prefix, body, sink);
  } else {
    wire::MediaHeader frame_header = h;
    frame_header.sequence = frame_number(base::get_u16(view.payload.data()));
    on_source(*block, frame_header, body, sink);
  }
}

uint32_t FrameDecoder::frame_number(uint16_t low_bits) {
  uint32_t number = extend_frame_number(low_bits, newest_frame_);
  if (static_cast<int32_t>(number - newest_frame_) > 0) newest_frame_ = number;
  return number;
}

FrameDecoder::Block *FrameDecoder::find_or_claim(uint16_t block_id, Lookup &lookup,
                                                 FrameSink &sink) {
  for (auto &block : blocks_) {
    if (block->state != Block::State::kFree && block->header.block_id == block_id) {
      lookup = Lookup::kFound;
      return block.get();
    }
  }
  if (history_.late(block_id)) {
    lookup = Lookup::kLate;
    return nullptr;
  }
  history_.advance(block_id);
  // A free slot, else the oldest finished block, else the oldest open one.
  Block *victim = nullptr;
  for (auto &block : blocks_) {
    auto rank = [&](const Block &b) {
      return std::pair{b.state == Block::State::kOpen, history_.ahead_of_newest(b.header.block_id)};
    };
    if (block->state == Block::State::kFree) {
      victim = block.get();
      break;
    }
    if (!victim || rank(*block) < rank(*victim)) victim = block.get();
  }
  if (victim->state == Block::State::kOpen) give_up(*victim, sink);
  if (victim->state == Block::State::kDone) retire(*victim);
  victim->state = Block::State::kOpen;
  victim->T = 0;
  victim->frames = 0;
  victim->depth = 0;
  victim->received = 0;
  victim->symbols_added = 0;
  victim->status.fill(Block::Esi::kMissing);
  lookup = Lookup::kNew;
  return victim;
}

void FrameDecoder::retire(Block &block) {
  history_.retire(block.header.block_id);
  block.state = Block::State::kFree;
}

// `h.sequence` is already the frame number.
void FrameDecoder::on_source(Block &block, wire::MediaHeader h, std::span<const uint8_t> frame,
                             FrameSink &sink) {
  uint16_t esi = h.symbol_index;
  if (block.frames != 0 && esi >= block.frames) {
    ++stats_.inconsistent;
    return;
  }
  if (block.status[esi] != Block::Esi::kMissing) {
    ++(block.status[esi] == Block::Esi::kReceived ? stats_.duplicates : stats_.late);
    return;
  }
  if (block.depth != 0 && h.sequence != block.base_frame + uint32_t{esi} * block.depth) {
    ++stats_.inconsistent;
    return;
  }
  if (block.payloads.size() < size_t{block.header.source_symbols} * kMaxFrameSize) {
    block.payloads.resize(size_t{config_.max_block_frames} * kMaxFrameSize);
  }
  std::copy(frame.begin(), frame.end(),
            block.payloads.begin() + static_cast<ptrdiff_t>(size_t{esi} * kMaxFrameSize));
  block.lengths[esi] = static_cast<uint16_t>(frame.size());
  block.timestamps[esi] = h.timestamp;
  block.status[esi] = Block::Esi::kReceived;
  ++block.received;
  ++stats_.received;
  sink.on_frame(h, frame, false);
  if (block.T != 0) add_source_symbol(block, esi);
  try_finish(block, sink);
}

void FrameDecoder::start_decoding(Block &block, const wire::MediaHeader &h,
                                  const RepairPrefix &prefix, size_t T) {
  block.T = static_cast<uint16_t>(T);
  block.frames = prefix.frames;
  block.depth = prefix.interleave_depth;
  block.base_frame = frame_number(prefix.base_frame);
  block.last_frame_timestamp = h.timestamp;
  block.decoder.reset(block.header.source_symbols, block.T);
  for (uint16_t esi = 0; esi < block.header.source_symbols; ++esi) {
    if (esi >= block.frames) {
      // Padding of a block closed early: all zero, never sent.
      std::fill_n(symbol_.begin(), T, 0);
      if (block.decoder.add_symbol(esi, std::span(symbol_.data(), T))) ++block.symbols_added;
    } else if (block.status[esi] == Block::Esi::kReceived) {
      add_source_symbol(block, esi);
    }
  }
}

void FrameDecoder::add_source_symbol(Block &block, uint16_t esi) {
  std::span<const uint8_t> frame = block.payload(esi);
  if (frame.size() + kSymbolPrefixSize > block.T) {
    ++stats_.inconsistent;  // a frame longer than the block's repair symbols allow
    return;
  }
  std::span<uint8_t> symbol(symbol_.data(), block.T);
  write_source_symbol(frame, block.timestamps[esi], symbol);
  if (block.decoder.add_symbol(esi, symbol)) ++block.symbols_added;
}

void FrameDecoder::on_repair(Block &block, const wire::MediaHeader &h, const RepairPrefix &prefix,
                             std::span<const uint8_t> symbol, FrameSink &sink) {
  if (block.T == 0) {
    start_decoding(block, h, prefix, symbol.size());
  } else if (block.T != symbol.size() || block.frames != prefix.frames ||
             block.depth != prefix.interleave_depth ||
             static_cast<uint16_t>(block.base_frame) != prefix.base_frame) {
    ++stats_.inconsistent;
    return;
  }
  if (!block.decoder.add_symbol(h.symbol_index, symbol)) {
    ++stats_.duplicates;
    return;
  }
  ++block.symbols_added;
  try_finish(block, sink);
}

void FrameDecoder::try_finish(Block &block, FrameSink &sink) {
  if (block.frames == 0) return;  // n unknown until a repair packet arrives
  bool decoded = false;
  if (block.received < block.frames) {
    if (block.symbols_added < block.header.source_symbols) return;
    if (block.decoder.try_decode() != BlockDecoder::Status::kDecoded) return;
    decoded = true;
  }
  for (uint16_t esi = 0; decoded && esi < block.frames; ++esi) {
    if (block.status[esi] != Block::Esi::kMissing) continue;
    wire::MediaHeader h = block.header;
    h.sequence = block.base_frame + uint32_t{esi} * block.depth;
    h.symbol_index = esi;
    std::optional<SymbolFrame> frame = read_source_symbol(block.decoder.source_symbol(esi));
    if (!frame) {
      ++stats_.inconsistent;
      ++stats_.unrecoverable;
      block.status[esi] = Block::Esi::kLost;
      h.timestamp = block.last_frame_timestamp;
      sink.on_lost(h, true);
      continue;
    }
    h.timestamp = frame->timestamp;
    block.timestamps[esi] = frame->timestamp;
    block.status[esi] = Block::Esi::kRecovered;
    ++stats_.recovered;
    sink.on_frame(h, frame->frame, true);
  }
  if (block.frames > 1 && block.depth != 0) {
    frame_spacing_ = (block.last_frame_timestamp - block.timestamps[0]) / (block.frames - 1u);
  }
  ++stats_.blocks_complete;
  if (decoded) ++stats_.blocks_recovered;
  block.state = Block::State::kDone;
}

void FrameDecoder::give_up(Block &block, FrameSink &sink) {
  ++stats_.blocks_given_up;
  block.state = Block::State::kDone;
  if (block.frames == 0) return;
  // A lost frame's timestamp went with it: step from the nearest known frame
  // (ESI n - 1 is always known from the repair header) by the frame spacing.
  for (uint16_t esi = 0; esi < block.frames; ++esi) {
    if (block.status[esi] != Block::Esi::kMissing) continue;
    uint16_t anchor = static_cast<uint16_t>(block.frames - 1);
    for (uint16_t j = 0; j < block.frames; ++j) {
      bool known = block.status[j] == Block::Esi::kReceived;
      if (known && std::abs(j - esi) < std::abs(anchor - esi)) anchor = j;
    }
    uint32_t anchor_ts = block.status[anchor] == Block::Esi::kReceived ? block.timestamps[anchor]
                                                                       : block.last_frame_timestamp;
    wire::MediaHeader h = block.header;
    h.sequence = block.base_frame + uint32_t{esi} * block.depth;
    h.symbol_index = esi;
    h.timestamp = anchor_ts + static_cast<uint32_t>((esi - anchor) * int64_t{frame_spacing_});
    block.status[esi] = Block::Esi::kLost;
    ++stats_.unrecoverable;
    sink.on_lost(h, true);
  }
}

void FrameDecoder::expire(FrameSink &sink) {
  for (auto &block : blocks_) {
    if (block->state == Block::State::kOpen &&
        ts_distance(now_, block->newest_timestamp) > static_cast<int64_t>(config_.deadline)) {
      give_up(*block, sink);
    }
  }
}

void FrameDecoder::flush(FrameSink &sink) {
  window_.flush(sink);
  video_.flush(sink);
  for (auto &block : blocks_) {
    if (block->state == Block::State::kOpen) give_up(*block, sink);
  }
}

}  // namespace wzp::fec
