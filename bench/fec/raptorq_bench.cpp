// Encode and decode time per RaptorQ block, wzp against liblcrq (and
// cberner/raptorq where it is built, raptorq_rs_bench.cpp), all given the
// same work (raptorq_work.hpp).
//  encode: intermediate symbols for a block plus 10 % repair symbols (at
//          least one).
//  decode: a block from exactly K and from K + 2 received symbols (the third
//          argument), the same ESIs for both (10 % of the source symbols, at
//          least one, lost and replaced by repair symbols), the source
//          written out.
// Each comes cold and warm, reported as separate cases:
//  cold: everything a first block of its size pays. wzp: a new encoder, and
//        the process-wide plan cache holds no plan for this K' (it is filled
//        with other sizes first), or a new decoder (decoding plans per
//        received set, so it has no cache to empty); lcrq: rq_init and
//        rq_free.
//  warm: a block after the first of the same size. wzp: one encoder or
//        decoder reused, the plan cache warm; lcrq: one context reused
//        (rq_encode and rq_decode may be called again on it).
// The cold cases pause the timers around their set-up, both sides alike.
#include <benchmark/benchmark.h>

extern "C" {
#include <lcrq.h>
}

#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

#include "bench/fec/raptorq_work.hpp"
#include "libwzp/fec/raptorq.hpp"
#include "libwzp/fec/raptorq_plan_cache.hpp"

namespace {

using wzp::bench::random_block;
using wzp::bench::Received;
using wzp::bench::repair_count;
using wzp::bench::set_label;
using wzp::bench::sizes;
using wzp::bench::sizes_and_received;
using wzp::fec::BlockDecoder;
using wzp::fec::BlockEncoder;
using wzp::fec::BlockParams;

// Fills the plan cache with plans for other block sizes, so the next block
// of K' = `k_prime` finds none.
void evict_plans(uint32_t k_prime) {
  BlockEncoder other;
  std::vector<uint8_t> source;
  size_t planned = 0;
  for (uint32_t k = 1, last = 0; planned < wzp::fec::kMaxCachedPlans; ++k) {
    const uint32_t kp = BlockParams::for_k(k)->k_prime;
    if (kp == last || kp == k_prime) continue;
    last = kp;
    source.assign(size_t{k}, 0);
    other.prepare(source, static_cast<uint16_t>(k), 1);
    ++planned;
  }
}

void encode_repair_wzp(const BlockEncoder &encoder, uint32_t k, std::vector<uint8_t> &symbol) {
  for (uint32_t r = 0; r < repair_count(k); ++r) encoder.symbol(k + r, symbol);
  benchmark::DoNotOptimize(symbol.data());
}

void encode_repair_lcrq(const rq_t *rq, uint32_t k, std::vector<uint8_t> &symbol) {
  for (uint32_t r = 0; r < repair_count(k); ++r) {
    rq_pid_t pid = 0;
    pid = rq_pidsetesi(pid, k + r);
    rq_symbol(rq, &pid, symbol.data(), 0);
  }
  benchmark::DoNotOptimize(symbol.data());
}

void encode_cold_wzp(benchmark::State &state) {
  const auto k = static_cast<uint16_t>(state.range(0));
  const auto t = static_cast<uint16_t>(state.range(1));
  const auto source = random_block(size_t{k} * t);
  const uint32_t k_prime = BlockParams::for_k(k)->k_prime;
  std::vector<uint8_t> symbol(t);
  for (auto _ : state) {
    state.PauseTiming();
    evict_plans(k_prime);
    state.ResumeTiming();
    auto encoder = std::make_unique<BlockEncoder>();
    encoder->prepare(source, k, t);
    encode_repair_wzp(*encoder, k, symbol);
  }
  set_label(state, k, t);
}

void encode_cold_lcrq(benchmark::State &state) {
  const auto k = static_cast<uint16_t>(state.range(0));
  const auto t = static_cast<uint16_t>(state.range(1));
  auto source = random_block(size_t{k} * t);
  std::vector<uint8_t> symbol(t);
  for (auto _ : state) {
    state.PauseTiming();
    state.ResumeTiming();
    rq_t *rq = rq_init(source.size(), t);
    rq_encode(rq, source.data(), source.size());
    encode_repair_lcrq(rq, k, symbol);
    rq_free(rq);
  }
  set_label(state, k, t);
}

void encode_warm_wzp(benchmark::State &state) {
  const auto k = static_cast<uint16_t>(state.range(0));
  const auto t = static_cast<uint16_t>(state.range(1));
  const auto source = random_block(size_t{k} * t);
  BlockEncoder encoder;
  std::vector<uint8_t> symbol(t);
  for (auto _ : state) {
    encoder.prepare(source, k, t);
    encode_repair_wzp(encoder, k, symbol);
  }
  set_label(state, k, t);
}

void encode_warm_lcrq(benchmark::State &state) {
  const auto k = static_cast<uint16_t>(state.range(0));
  const auto t = static_cast<uint16_t>(state.range(1));
  auto source = random_block(size_t{k} * t);
  std::vector<uint8_t> symbol(t);
  rq_t *rq = rq_init(source.size(), t);
  for (auto _ : state) {
    rq_encode(rq, source.data(), source.size());
    encode_repair_lcrq(rq, k, symbol);
  }
  rq_free(rq);
  set_label(state, k, t);
}

// wzp's decode is complete once every source symbol is written out, as
// lcrq's is: a received symbol is copied, a lost one regenerated.
void decode_wzp(benchmark::State &state, BlockDecoder &decoder, Received &in, uint16_t k,
                uint16_t t, std::vector<uint8_t> &out) {
  decoder.reset(k, t);
  for (size_t i = 0; i < in.esis.size(); ++i) decoder.add_symbol(in.esis[i], in.symbol(i, t));
  if (decoder.try_decode() != BlockDecoder::Status::kDecoded) state.SkipWithError("failed");
  for (uint16_t i = 0; i < k; ++i) {
    const auto s = decoder.source_symbol(i);
    std::copy(s.begin(), s.end(), out.begin() + ptrdiff_t{i} * t);
  }
  benchmark::DoNotOptimize(out.data());
}

void decode_lcrq(benchmark::State &state, rq_t *rq, Received &in, std::vector<uint8_t> &out) {
  if (rq_decode(rq, out.data(), in.symbols.data(), in.esis.data(),
                static_cast<uint32_t>(in.esis.size())) != 0)
    state.SkipWithError("failed");
  benchmark::DoNotOptimize(out.data());
}

void decode_cold_wzp(benchmark::State &state) {
  const auto k = static_cast<uint16_t>(state.range(0));
  const auto t = static_cast<uint16_t>(state.range(1));
  Received in(k, t, static_cast<uint32_t>(state.range(2)));
  std::vector<uint8_t> out(in.source.size());
  for (auto _ : state) {
    state.PauseTiming();
    state.ResumeTiming();
    auto decoder = std::make_unique<BlockDecoder>();
    decode_wzp(state, *decoder, in, k, t, out);
  }
  set_label(state, k, t);
}

void decode_cold_lcrq(benchmark::State &state) {
  const auto k = static_cast<uint16_t>(state.range(0));
  const auto t = static_cast<uint16_t>(state.range(1));
  Received in(k, t, static_cast<uint32_t>(state.range(2)));
  std::vector<uint8_t> out(in.source.size());
  for (auto _ : state) {
    state.PauseTiming();
    state.ResumeTiming();
    rq_t *rq = rq_init(in.source.size(), t);
    decode_lcrq(state, rq, in, out);
    rq_free(rq);
  }
  set_label(state, k, t);
}

void decode_warm_wzp(benchmark::State &state) {
  const auto k = static_cast<uint16_t>(state.range(0));
  const auto t = static_cast<uint16_t>(state.range(1));
  Received in(k, t, static_cast<uint32_t>(state.range(2)));
  std::vector<uint8_t> out(in.source.size());
  BlockDecoder decoder;
  for (auto _ : state) decode_wzp(state, decoder, in, k, t, out);
  set_label(state, k, t);
}

void decode_warm_lcrq(benchmark::State &state) {
  const auto k = static_cast<uint16_t>(state.range(0));
  const auto t = static_cast<uint16_t>(state.range(1));
  Received in(k, t, static_cast<uint32_t>(state.range(2)));
  std::vector<uint8_t> out(in.source.size());
  rq_t *rq = rq_init(in.source.size(), t);
  for (auto _ : state) decode_lcrq(state, rq, in, out);
  rq_free(rq);
  set_label(state, k, t);
}

BENCHMARK(encode_cold_wzp)->Name("encode_cold/wzp")->Apply(sizes);
BENCHMARK(encode_cold_lcrq)->Name("encode_cold/lcrq")->Apply(sizes);
BENCHMARK(encode_warm_wzp)->Name("encode_warm/wzp")->Apply(sizes);
BENCHMARK(encode_warm_lcrq)->Name("encode_warm/lcrq")->Apply(sizes);
BENCHMARK(decode_cold_wzp)->Name("decode_cold/wzp")->Apply(sizes_and_received);
BENCHMARK(decode_cold_lcrq)->Name("decode_cold/lcrq")->Apply(sizes_and_received);
BENCHMARK(decode_warm_wzp)->Name("decode_warm/wzp")->Apply(sizes_and_received);
BENCHMARK(decode_warm_lcrq)->Name("decode_warm/lcrq")->Apply(sizes_and_received);

}  // namespace
