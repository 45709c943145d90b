// Encode and decode time per RaptorQ block, wzp against liblcrq.
//  encode: intermediate symbols for a block plus 10 % repair symbols.
//  decode: a block from exactly K symbols, 10 % of the source symbols (at
//          least one) replaced by repair symbols. liblcrq's decoder is given
//          K' + 5 symbols, the fewest it documents (its example passes KP + OH).
#include <benchmark/benchmark.h>

extern "C" {
#include <lcrq.h>
}

#include <random>
#include <vector>

#include "libwzp/fec/raptorq.hpp"

namespace {

using wzp::fec::BlockDecoder;
using wzp::fec::BlockEncoder;

std::vector<uint8_t> random_block(size_t n) {
  std::mt19937 rng(static_cast<uint32_t>(n));
  std::vector<uint8_t> out(n);
  for (auto &b : out) b = static_cast<uint8_t>(rng());
  return out;
}

uint32_t repair_count(uint32_t k) { return k < 10 ? 1 : k / 10; }

void set_label(benchmark::State &state, uint32_t k, uint32_t t) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * k * t);
}

void encode_wzp(benchmark::State &state) {
  const auto k = static_cast<uint16_t>(state.range(0));
  const auto t = static_cast<uint16_t>(state.range(1));
  const auto source = random_block(size_t{k} * t);
  BlockEncoder encoder;
  std::vector<uint8_t> symbol(t);
  for (auto _ : state) {
    encoder.prepare(source, k, t);
    for (uint32_t r = 0; r < repair_count(k); ++r) encoder.symbol(k + r, symbol);
    benchmark::DoNotOptimize(symbol.data());
  }
  set_label(state, k, t);
}

void encode_lcrq(benchmark::State &state) {
  const auto k = static_cast<uint16_t>(state.range(0));
  const auto t = static_cast<uint16_t>(state.range(1));
  auto source = random_block(size_t{k} * t);
  std::vector<uint8_t> symbol(t);
  for (auto _ : state) {
    rq_t *rq = rq_init(source.size(), t);
    rq_encode(rq, source.data(), source.size());
    for (uint32_t r = 0; r < repair_count(k); ++r) {
      rq_pid_t pid = 0;
      pid = rq_pidsetesi(pid, k + r);
      rq_symbol(rq, &pid, symbol.data(), 0);
    }
    benchmark::DoNotOptimize(symbol.data());
    rq_free(rq);
  }
  set_label(state, k, t);
}

// The ESIs a receiver holds: source symbols with every tenth lost, then repair
// symbols until `count` are held.
std::vector<uint32_t> received_esis(uint32_t k, uint32_t count) {
  std::vector<uint32_t> esis;
  const uint32_t lost = repair_count(k);
  for (uint32_t i = 0; i < k; ++i) {
    if (i % (k / lost) != 0 || i / (k / lost) >= lost) esis.push_back(i);
  }
  for (uint32_t esi = k; esis.size() < count; ++esi) esis.push_back(esi);
  return esis;
}

void decode_wzp(benchmark::State &state) {
  const auto k = static_cast<uint16_t>(state.range(0));
  const auto t = static_cast<uint16_t>(state.range(1));
  const auto source = random_block(size_t{k} * t);
  BlockEncoder encoder;
  encoder.prepare(source, k, t);
  auto esis = received_esis(k, k);
  // A set of exactly K symbols fails about once in a hundred: take the next
  // repair symbol instead of the last until the set decodes.
  BlockDecoder decoder;
  std::vector<std::vector<uint8_t>> symbols;
  for (;;) {
    symbols.assign(esis.size(), std::vector<uint8_t>(t));
    decoder.reset(k, t);
    for (size_t i = 0; i < esis.size(); ++i) {
      encoder.symbol(esis[i], symbols[i]);
      decoder.add_symbol(esis[i], symbols[i]);
    }
    if (decoder.try_decode() == BlockDecoder::Status::kDecoded) break;
    ++esis.back();
  }
  for (auto _ : state) {
    decoder.reset(k, t);
    for (size_t i = 0; i < esis.size(); ++i) decoder.add_symbol(esis[i], symbols[i]);
    if (decoder.try_decode() != BlockDecoder::Status::kDecoded) state.SkipWithError("failed");
  }
  set_label(state, k, t);
}

void decode_lcrq(benchmark::State &state) {
  const auto k = static_cast<uint16_t>(state.range(0));
  const auto t = static_cast<uint16_t>(state.range(1));
  auto source = random_block(size_t{k} * t);
  rq_t *rq = rq_init(source.size(), t);
  rq_encode(rq, source.data(), source.size());
  auto esis = received_esis(k, rq_KP(rq) + RQ_OVERHEAD);
  std::vector<uint8_t> enc(esis.size() * t), dec(source.size());
  for (size_t i = 0; i < esis.size(); ++i) {
    rq_pid_t pid = 0;
    pid = rq_pidsetesi(pid, esis[i]);
    rq_symbol(rq, &pid, enc.data() + i * t, 0);
  }
  rq_free(rq);
  for (auto _ : state) {
    rq = rq_init(source.size(), t);
    if (rq_decode(rq, dec.data(), enc.data(), esis.data(), static_cast<uint32_t>(esis.size())))
      state.SkipWithError("failed");
    rq_free(rq);
  }
  set_label(state, k, t);
}

void sizes(benchmark::internal::Benchmark *b) {
  for (auto [k, t] : {std::pair{4, 160}, {16, 160}, {64, 1200}, {256, 1200}, {1000, 1200}}) {
    b->Args({k, t});
  }
  b->Unit(benchmark::kMicrosecond);
}

BENCHMARK(encode_wzp)->Name("encode/wzp")->Apply(sizes);
BENCHMARK(encode_lcrq)->Name("encode/lcrq")->Apply(sizes);
BENCHMARK(decode_wzp)->Name("decode/wzp")->Apply(sizes);
BENCHMARK(decode_lcrq)->Name("decode/lcrq")->Apply(sizes);

}  // namespace
