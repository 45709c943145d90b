// Fuzzes the RaptorQ BlockDecoder. The first byte picks a mode:
//  - even: arbitrary symbols (any ESI, any size, any bytes) must never crash
//    it or let it hold more than K + kMaxExtraSymbols symbols;
//  - odd: the input chooses which symbols of a real encoded block arrive, in
//    which order, with duplicates; whenever the decoder reports kDecoded its
//    source symbols must equal the block's.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "libwzp/fec/raptorq.hpp"

namespace {

using wzp::fec::BlockDecoder;

struct Input {
  const uint8_t *data;
  size_t size;
  uint8_t byte() {
    if (size == 0) return 0;
    --size;
    return *data++;
  }
  uint32_t esi() { return byte() | uint32_t{byte()} << 8 | uint32_t{byte()} << 16; }
};

void check(bool ok) {
  if (!ok) std::abort();
}

// One decoder for the run: reset() starts each input's block and keeps the
// buffers, as a receiver reuses its decoders.
BlockDecoder &shared_decoder() {
  static BlockDecoder &decoder = *new BlockDecoder;
  return decoder;
}

// The real blocks, prepared once per (K, T): preparing one took a sixth of
// an input's time, and there are only 48 x 8 of them.
const wzp::fec::BlockEncoder &encoder_for(std::span<const uint8_t> source, uint16_t k, uint16_t t) {
  static std::map<std::pair<uint16_t, uint16_t>, wzp::fec::BlockEncoder> encoders;
  auto [it, added] = encoders.try_emplace({k, t});
  if (added) check(it->second.prepare(source, k, t));
  return it->second;
}

void arbitrary_symbols(Input in) {
  const auto k = static_cast<uint16_t>(1 + in.byte() % 64);
  const auto t = static_cast<uint16_t>(1 + in.byte() % 16);
  BlockDecoder &decoder = shared_decoder();
  check(decoder.reset(k, t));
  std::vector<uint8_t> symbol;
  for (int n = 0; in.size > 0; ++n) {
    const uint32_t esi = in.esi() | (in.byte() == 0xff ? 0x1000000u : 0u);
    symbol.resize(static_cast<size_t>(t + in.byte() % 3) - 1);  // T - 1, T or T + 1
    for (auto &b : symbol) b = in.byte();
    decoder.add_symbol(esi, symbol);
    check(decoder.received() <= uint32_t{k} + BlockDecoder::kMaxExtraSymbols);
    if (n % 4 == 3 && decoder.try_decode() == BlockDecoder::Status::kDecoded) {
      for (uint16_t i = 0; i < k; ++i) check(decoder.source_symbol(i).size() == t);
    }
  }
  decoder.try_decode();
}

void real_block(Input in) {
  const auto k = static_cast<uint16_t>(1 + in.byte() % 48);
  const auto t = static_cast<uint16_t>(1 + in.byte() % 8);
  std::vector<uint8_t> source(size_t{k} * t);
  for (size_t i = 0; i < source.size(); ++i) source[i] = static_cast<uint8_t>(i * 131 + k);
  const wzp::fec::BlockEncoder &encoder = encoder_for(source, k, t);
  BlockDecoder &decoder = shared_decoder();
  check(decoder.reset(k, t));
  std::vector<uint8_t> symbol(t);
  while (in.size > 0) {
    const uint32_t esi = in.byte() % (2u * k + 8);  // source, repair and repeats
    encoder.symbol(esi, symbol);
    decoder.add_symbol(esi, symbol);
    if (decoder.try_decode() == BlockDecoder::Status::kDecoded) {
      for (uint16_t i = 0; i < k; ++i) {
        check(std::memcmp(decoder.source_symbol(i).data(), &source[size_t{i} * t], t) == 0);
      }
      return;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Input in{data, size};
  if (in.byte() & 1) {
    real_block(in);
  } else {
    arbitrary_symbols(in);
  }
  return 0;
}
