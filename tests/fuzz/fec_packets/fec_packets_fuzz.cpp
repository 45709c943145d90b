// The packet-to-block path of wzp's FEC decoder (FrameDecoder::push). Two
// kinds of input, chosen by the first byte:
//  - even: a list of raw packets, each `u16 length | bytes`;
//  - odd: a real stream from FrameEncoder (shape from the next bytes; bit 1
//    set: a sliding window rather than blocks; bit 2 set: video, a frame
//    of up to a few kB per block), then
//    damaged by the rest of the input: packets dropped, duplicated,
//    reordered or with one byte changed — which reaches recovery.
// Checks: no crash, frames within limits, and for an undamaged (dropped,
// duplicated, reordered) real stream no frame number delivered twice.
// Changed bytes may legitimately repeat a number: the AEAD before this
// stage stops those in a real receiver.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <span>
#include <vector>

#include "libwzp/fec/frame_decoder.hpp"
#include "libwzp/fec/frame_encoder.hpp"

namespace {

using namespace wzp;

using Packets = std::vector<std::vector<uint8_t>>;

struct Collect : fec::PacketSink {
  Packets packets;
  void on_packet(std::span<const uint8_t> p, const wire::MediaHeader &) override {
    packets.emplace_back(p.begin(), p.end());
  }
};

struct Check : fec::FrameSink {
  std::set<uint32_t> seen;
  bool honest = false;
  void note(const wire::MediaHeader &h) {
    if (honest && !seen.insert(h.sequence).second) std::abort();
  }
  void on_frame(const wire::MediaHeader &h, std::span<const uint8_t> frame, bool) override {
    size_t largest = h.media_type == wire::MediaType::kVideo
                         ? size_t{fec::kMaxBlockFrames} * fec::kMaxSymbolSize
                         : fec::kMaxFrameSize;
    if (frame.empty() || frame.size() > largest) std::abort();
    note(h);
  }
  void on_lost(const wire::MediaHeader &h, bool) override { note(h); }
};

struct Reader {
  const uint8_t *data;
  size_t size;
  size_t at = 0;
  bool empty() const { return at >= size; }
  uint8_t byte() { return at < size ? data[at++] : 0; }
};

// The real stream the shape bytes after `kind` ask for. Encoding it was most
// of an input's time (a RaptorQ block prepared per group) while mutations
// mostly change the damage that follows, so the last streams are kept.
Packets real_stream(uint8_t kind, Reader &in) {
  static std::map<std::vector<uint8_t>, Packets> cache;
  const size_t key_start = in.at;
  fec::EncoderConfig shape;
  shape.block_frames = static_cast<uint16_t>(1 + in.byte() % 20);
  shape.repair_ratio = (in.byte() % 16) / 8.0;
  shape.interleave_depth = static_cast<uint8_t>(1 + in.byte() % 4);
  shape.max_block_time = 960u * (in.byte() % 12);
  if (kind & 2) shape.window_frames = static_cast<uint16_t>(1 + shape.block_frames % 16);
  const bool video = (kind & 4) != 0;
  if (video) {
    shape.media_type = wire::MediaType::kVideo;
    shape.video_symbol_size = static_cast<uint16_t>(fec::kMinVideoSymbolSize + 8 * in.byte());
    // From the same byte, so the seed corpus reads as before.
    shape.video_min_symbols = static_cast<uint16_t>(1 + shape.video_symbol_size % 12);
  }
  uint32_t frames = 1 + in.byte() % 64;
  std::vector<uint8_t> key{static_cast<uint8_t>(kind & 6)};
  for (size_t i = key_start; i < std::min(in.at, in.size); ++i) key.push_back(in.data[i]);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  fec::FrameEncoder encoder(shape);
  Collect stream;
  std::vector<uint8_t> frame;
  for (uint32_t n = 0; n < frames; ++n) {
    frame.assign(1 + (n * 31 + in.at) % (video ? 3000 : 200), static_cast<uint8_t>(n));
    encoder.push({frame, n * 960, n % 17 == 5}, stream);
  }
  encoder.flush(stream);
  if (cache.size() >= 256) cache.clear();
  return cache.emplace(std::move(key), std::move(stream.packets)).first->second;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Reader in{data, size};
  // One decoder for the run, reset per input: a new one allocated and
  // zeroed its blocks' frame buffers on every input (most of the time).
  static fec::FrameDecoder &decoder = *[] {
    fec::DecoderConfig config;
    config.max_open_blocks = 8;
    config.deadline = 4800;
    return new fec::FrameDecoder(config);
  }();
  decoder.reset();
  Check check;

  uint8_t kind = in.byte();
  if ((kind & 1) == 0) {
    while (!in.empty()) {
      size_t length = size_t{in.byte()} << 8 | in.byte();
      length = std::min(length, in.size - std::min(in.at, in.size));
      decoder.push(std::span(data + in.at, length), check);
      in.at += length;
    }
  } else {
    Packets stream = real_stream(kind, in);
    check.honest = true;
    for (size_t i = 0; i < stream.size(); ++i) {
      auto &packet = stream[i];
      uint8_t action = in.byte();
      switch (action & 7) {
        case 0:  // dropped
          continue;
        case 1:  // one byte changed
          check.honest = false;
          packet[in.byte() % packet.size()] ^= static_cast<uint8_t>(1 + in.byte());
          break;
        case 2:  // duplicated
          decoder.push(packet, check);
          break;
        case 3:  // swapped with the next
          if (i + 1 < stream.size()) std::swap(packet, stream[i + 1]);
          break;
        default:
          break;
      }
      decoder.push(packet, check);
    }
  }
  decoder.flush(check);
  return 0;
}
