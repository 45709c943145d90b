// cberner/raptorq (Rust, raptorq_rs/lib.rs) as a second peer of
// bench_fec_raptorq, given the work wzp and liblcrq get (raptorq_work.hpp);
// built only with -DWZP_BENCH_RAPTORQ_RS_SOURCE (CMakeLists.txt here).
//  encode cold: a plan made for the block's size (what its
//               SourceBlockEncoder::new does on a miss of its process-wide
//               plan cache), the block encoded with it, the plan freed.
//  encode warm: one plan reused (SourceBlockEncoder::with_encoding_plan), as
//               a hit of that cache would, without its lock.
//  decode:      a new SourceBlockDecoder per block, cold and warm alike: its
//               API keeps nothing from one block to the next. The received
//               symbols are copied into its packets, as wzp's add_symbol
//               copies them; the source comes back as a new buffer.
// The cold cases pause the timers as the other peers' cold cases do.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "bench/fec/raptorq_work.hpp"
#include "libwzp/fec/raptorq.hpp"

extern "C" {
struct WzpRqrsPlan;
WzpRqrsPlan *wzp_rqrs_plan_new(uint16_t k);
void wzp_rqrs_plan_free(WzpRqrsPlan *plan);
void wzp_rqrs_encode(const WzpRqrsPlan *plan, const uint8_t *source, uint16_t k, uint16_t t,
                     uint32_t repairs, uint8_t *last);
bool wzp_rqrs_decode(uint16_t k, uint16_t t, const uint32_t *esis, const uint8_t *symbols,
                     uint32_t n, uint8_t *out);
}

namespace {

using wzp::bench::random_block;
using wzp::bench::Received;
using wzp::bench::repair_count;
using wzp::bench::set_label;
using wzp::bench::sizes;
using wzp::bench::sizes_and_received;

// Fails the case unless raptorq's last repair symbol is wzp's.
bool same_repair_as_wzp(benchmark::State &state, const std::vector<uint8_t> &source, uint16_t k,
                        uint16_t t) {
  wzp::fec::BlockEncoder encoder;
  encoder.prepare(source, k, t);
  std::vector<uint8_t> ours(t), theirs(t);
  encoder.symbol(k + repair_count(k) - 1, ours);
  WzpRqrsPlan *plan = wzp_rqrs_plan_new(k);
  wzp_rqrs_encode(plan, source.data(), k, t, repair_count(k), theirs.data());
  wzp_rqrs_plan_free(plan);
  if (ours != theirs) state.SkipWithError("repair symbols differ from wzp's");
  return ours == theirs;
}

void encode_cold_rs(benchmark::State &state) {
  const auto k = static_cast<uint16_t>(state.range(0));
  const auto t = static_cast<uint16_t>(state.range(1));
  const auto source = random_block(size_t{k} * t);
  std::vector<uint8_t> symbol(t);
  if (!same_repair_as_wzp(state, source, k, t)) return;
  for (auto _ : state) {
    state.PauseTiming();
    state.ResumeTiming();
    WzpRqrsPlan *plan = wzp_rqrs_plan_new(k);
    wzp_rqrs_encode(plan, source.data(), k, t, repair_count(k), symbol.data());
    wzp_rqrs_plan_free(plan);
    benchmark::DoNotOptimize(symbol.data());
  }
  set_label(state, k, t);
}

void encode_warm_rs(benchmark::State &state) {
  const auto k = static_cast<uint16_t>(state.range(0));
  const auto t = static_cast<uint16_t>(state.range(1));
  const auto source = random_block(size_t{k} * t);
  std::vector<uint8_t> symbol(t);
  if (!same_repair_as_wzp(state, source, k, t)) return;
  WzpRqrsPlan *plan = wzp_rqrs_plan_new(k);
  for (auto _ : state) {
    wzp_rqrs_encode(plan, source.data(), k, t, repair_count(k), symbol.data());
    benchmark::DoNotOptimize(symbol.data());
  }
  wzp_rqrs_plan_free(plan);
  set_label(state, k, t);
}

bool decode_rs(const Received &in, uint16_t k, uint16_t t, uint8_t *out) {
  return wzp_rqrs_decode(k, t, in.esis.data(), in.symbols.data(),
                         static_cast<uint32_t>(in.esis.size()), out);
}

// Fails the case unless raptorq decodes the received set to the source.
bool decodes_to_source(benchmark::State &state, const Received &in, uint16_t k, uint16_t t) {
  std::vector<uint8_t> out(in.source.size());
  const bool ok = decode_rs(in, k, t, out.data()) && out == in.source;
  if (!ok) state.SkipWithError("did not decode the received set");
  return ok;
}

void decode_cold_rs(benchmark::State &state) {
  const auto k = static_cast<uint16_t>(state.range(0));
  const auto t = static_cast<uint16_t>(state.range(1));
  const Received in(k, t, static_cast<uint32_t>(state.range(2)));
  if (!decodes_to_source(state, in, k, t)) return;
  for (auto _ : state) {
    state.PauseTiming();
    state.ResumeTiming();
    if (!decode_rs(in, k, t, nullptr)) state.SkipWithError("failed");
  }
  set_label(state, k, t);
}

void decode_warm_rs(benchmark::State &state) {
  const auto k = static_cast<uint16_t>(state.range(0));
  const auto t = static_cast<uint16_t>(state.range(1));
  const Received in(k, t, static_cast<uint32_t>(state.range(2)));
  if (!decodes_to_source(state, in, k, t)) return;
  for (auto _ : state) {
    if (!decode_rs(in, k, t, nullptr)) state.SkipWithError("failed");
  }
  set_label(state, k, t);
}

BENCHMARK(encode_cold_rs)->Name("encode_cold/raptorq_rs")->Apply(sizes);
BENCHMARK(encode_warm_rs)->Name("encode_warm/raptorq_rs")->Apply(sizes);
BENCHMARK(decode_cold_rs)->Name("decode_cold/raptorq_rs")->Apply(sizes_and_received);
BENCHMARK(decode_warm_rs)->Name("decode_warm/raptorq_rs")->Apply(sizes_and_received);

}  // namespace
