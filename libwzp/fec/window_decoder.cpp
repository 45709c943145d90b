#include "libwzp/fec/window_decoder.hpp"

#include "libwzp/fec/frame_decoder.hpp"

namespace wzp::fec {
namespace {

// The longest timestamp step taken for one frame (120 ms at 48 kHz); a
// longer one is a silence gap.
constexpr uint32_t kLongestFrameTicks = 5760;

bool after(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }

}  // namespace

void WindowFrameDecoder::reset() {
  solver_.reset();
  for (auto &s : slots_) s = Slot{};
  started_ = false;
}

uint32_t WindowFrameDecoder::extend(uint16_t low_bits) const {
  return started_ ? extend_frame_number(low_bits, newest_) : low_bits;
}

void WindowFrameDecoder::hear(uint32_t number, const wire::MediaHeader &h) {
  Slot &s = slot(number);
  if (s.number == number && s.heard) return;
  s = Slot{number, false, false, true, h};
  s.header.repair = false;
  s.header.sequence = number;
}

void WindowFrameDecoder::deliver(uint32_t number, uint32_t timestamp,
                                 std::span<const uint8_t> frame, bool recovered, FrameSink &sink) {
  Slot &s = slot(number);
  s.settled = s.delivered = true;
  s.header.timestamp = timestamp;
  ++(recovered ? stats_.recovered : stats_.received);
  if (number == last_delivered_ + 1 && after(timestamp, last_delivered_timestamp_) &&
      timestamp - last_delivered_timestamp_ <= kLongestFrameTicks) {
    spacing_ = timestamp - last_delivered_timestamp_;
  }
  if (!after(last_delivered_, number)) {
    last_delivered_ = number;
    last_delivered_timestamp_ = timestamp;
  }
  sink.on_frame(s.header, frame, recovered);
}

void WindowFrameDecoder::push(const wire::MediaHeader &h, const RepairPrefix *prefix,
                              uint16_t frame_low_bits, std::span<const uint8_t> body,
                              uint32_t deadline, FrameSink &sink) {
  latest_ = h;
  latest_.repair = false;
  uint32_t first = extend(prefix != nullptr ? prefix->base_frame : frame_low_bits);
  uint32_t last = first + (prefix != nullptr ? prefix->frames - 1u : 0u);
  if (started_ && next_ - last > 2 * WindowSolver::kHistory && after(next_, last)) {
    // Far behind anything kept: the sender started its numbering over.
    flush(sink);
    reset();
  } else if (started_ && after(first, newest_ + kMaxWindowFrames)) {
    // No window we saw could have named the frames in between: the sender
    // sent them in blocks (a tier probe) or a blackout took more than a
    // window. Their timestamps cannot be told from the old spacing (a
    // probe's frames are shorter), so they are not reported; the jitter
    // buffer sees the gap in frame numbers. What we heard of is settled.
    flush(sink);
    reset();
  }
  if (!started_) {
    started_ = true;
    next_ = first;
    newest_ = last;
    newest_timestamp_ = h.timestamp;
    last_delivered_ = first - 1;
    last_delivered_timestamp_ = h.timestamp;
  }
  const Slot &known = slot(first);
  if (prefix == nullptr && known.number == first && known.delivered) {
    ++stats_.duplicates;
    return;
  }
  if (after(next_, last)) {
    ++(prefix != nullptr ? stats_.unneeded_repair : stats_.late);
    return;
  }
  if (after(last, newest_)) {
    newest_ = last;
    newest_timestamp_ = h.timestamp;
  }
  // Frames too far behind for the history are given up before anything of
  // this packet lands in the slots they share.
  expire(deadline, sink);
  for (uint32_t n = std::max(first, next_, [](uint32_t a, uint32_t b) { return after(b, a); });
       !after(n, last); ++n) {
    hear(n, h);
  }

  auto recovered = [&](uint32_t number, std::span<const uint8_t> symbol) {
    auto frame = read_source_symbol(symbol);
    if (!frame || slot(number).number != number || slot(number).settled) {
      ++stats_.inconsistent;
      return;
    }
    deliver(number, frame->timestamp, frame->frame, true, sink);
  };
  if (prefix == nullptr) {
    std::span<uint8_t> symbol(symbol_.data(), kSymbolPrefixSize + body.size());
    write_source_symbol(body, h.timestamp, symbol);
    deliver(first, h.timestamp, body, false, sink);
    solver_.add_source(first, symbol, recovered);
  } else {
    auto index = static_cast<uint16_t>(h.symbol_index - h.source_symbols);
    switch (solver_.add_repair(first, prefix->frames, index, body, recovered)) {
      case WindowSolver::Result::kUnneeded:
        ++stats_.unneeded_repair;
        break;
      case WindowSolver::Result::kStale:
        ++stats_.late;
        break;
      case WindowSolver::Result::kInvalid:
        ++stats_.inconsistent;
        break;
      case WindowSolver::Result::kUseful:
      case WindowSolver::Result::kRecovered:
        break;
    }
  }
  expire(deadline, sink);
}

void WindowFrameDecoder::settle_lost(uint32_t number, FrameSink &sink) {
  Slot &s = slot(number);
  if (s.number != number || !s.heard) {
    // No packet named it: the stream's latest header stands in.
    s = Slot{number, false, false, true, latest_};
    s.header.sequence = number;
  }
  s.settled = true;
  s.header.timestamp = newest_timestamp_ - (newest_ - number) * spacing_;
  ++stats_.unrecoverable;
  solver_.forget_before(number + 1);
  sink.on_lost(s.header, true);
}

void WindowFrameDecoder::expire(uint32_t deadline, FrameSink &sink) {
  constexpr uint32_t kKept = WindowSolver::kHistory - kMaxWindowFrames;
  if (!after(next_, newest_) && newest_ - next_ > 2 * kKept) {
    // A jump (the sender restarted its numbering): the frames skipped are
    // not reported one by one; the jitter buffer sees the gap.
    next_ = newest_ - kKept;
  }
  while (!after(next_, newest_)) {
    const Slot &s = slot(next_);
    if (s.number == next_ && s.settled) {
      ++next_;
      continue;
    }
    uint32_t behind = newest_ - next_;
    if (behind < kKept && uint64_t{behind} * spacing_ <= deadline) {
      break;
    }
    settle_lost(next_++, sink);
  }
}

void WindowFrameDecoder::flush(FrameSink &sink) {
  if (!started_) return;
  for (; !after(next_, newest_); ++next_) {
    const Slot &s = slot(next_);
    if (s.number != next_ || !s.settled) settle_lost(next_, sink);
  }
}

}  // namespace wzp::fec
