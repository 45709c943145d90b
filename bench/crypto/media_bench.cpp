// Media packet protection against raw libsodium ChaCha20-Poly1305 (IETF) on
// the same packets: what wzp's framing costs on top of the AEAD itself
// (sender lock, stream table, nonce, epoch bookkeeping; receiver routing,
// replay window). Cases seal/<who>/<payload bytes> and open/<who>/<payload bytes>.
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <cstring>
#include <vector>

#include "libwzp/crypto/session.hpp"
#include "libwzp/wire/header.hpp"

namespace {

using namespace wzp::crypto;

constexpr size_t kHeader = wzp::wire::kFullHeaderSize;
constexpr uint32_t kStream = 1;
constexpr size_t kRing = 1 << 14;  // pre-sealed packets for the open cases

TrafficSecret bench_secret() {
  TrafficSecret s;
  s.fill(0x42);
  return s;
}

std::vector<uint8_t> packet(uint32_t sequence, size_t payload) {
  wzp::wire::MediaHeader header;
  header.stream_id = kStream;
  header.sequence = sequence;
  std::vector<uint8_t> bytes(kHeader + payload + kTagSize, 0x33);
  wzp::wire::write_full(header, nullptr, bytes);
  return bytes;
}

void set_counters(benchmark::State &state) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void seal_wzp(benchmark::State &state) {
  size_t payload = static_cast<size_t>(state.range(0));
  MediaSender sender(bench_secret());
  auto bytes = packet(0, payload);
  uint32_t sequence = 0;
  for (auto _ : state) {
    auto result =
        sender.seal(kStream, ++sequence, 0, &bytes[3], 0, std::span(bytes).first(kHeader),
                    std::span(bytes).subspan(kHeader, payload), &bytes[kHeader + payload]);
    benchmark::DoNotOptimize(result);
  }
  set_counters(state);
}

void seal_libsodium(benchmark::State &state) {
  size_t payload = static_cast<size_t>(state.range(0));
  EpochKeys keys = EpochKeys::derive(0, bench_secret());
  auto bytes = packet(0, payload);
  uint8_t nonce[kNonceSize] = {};
  uint32_t sequence = 0;
  for (auto _ : state) {
    ++sequence;
    std::memcpy(nonce + 8, &sequence, 4);
    crypto_aead_chacha20poly1305_ietf_encrypt_detached(
        &bytes[kHeader], &bytes[kHeader + payload], nullptr, &bytes[kHeader], payload, bytes.data(),
        kHeader, nullptr, nonce, keys.key);
    benchmark::ClobberMemory();
  }
  set_counters(state);
}

void open_wzp(benchmark::State &state) {
  size_t payload = static_cast<size_t>(state.range(0));
  MediaSender sender(bench_secret());
  std::vector<std::vector<uint8_t>> ring;
  for (uint32_t s = 1; s <= kRing; ++s) {
    ring.push_back(packet(s, payload));
    auto &b = ring.back();
    sender.seal(kStream, s, 0, &b[3], 0, std::span(b).first(kHeader),
                std::span(b).subspan(kHeader, payload), &b[kHeader + payload]);
  }
  MediaReceiver receiver;
  receiver.add_sender(0, 0, bench_secret());
  std::vector<uint8_t> scratch(ring[0].size());
  size_t next = 0;
  for (auto _ : state) {
    if (next == kRing) {  // every sequence used: start the window afresh
      state.PauseTiming();
      receiver.add_sender(0, 0, bench_secret());
      next = 0;
      state.ResumeTiming();
    }
    std::memcpy(scratch.data(), ring[next].data(), scratch.size());
    auto result = receiver.open(
        kStream, static_cast<uint32_t>(next + 1), 0, 0, std::span(scratch).first(kHeader),
        std::span(scratch).subspan(kHeader, payload), &scratch[kHeader + payload]);
    if (result.status != OpenStatus::kOk) state.SkipWithError("open failed");
    ++next;
  }
  set_counters(state);
}

void open_libsodium(benchmark::State &state) {
  size_t payload = static_cast<size_t>(state.range(0));
  EpochKeys keys = EpochKeys::derive(0, bench_secret());
  std::vector<std::vector<uint8_t>> ring;
  uint8_t nonce[kNonceSize] = {};
  for (uint32_t s = 1; s <= kRing; ++s) {
    ring.push_back(packet(s, payload));
    auto &b = ring.back();
    std::memcpy(nonce + 8, &s, 4);
    crypto_aead_chacha20poly1305_ietf_encrypt_detached(&b[kHeader], &b[kHeader + payload], nullptr,
                                                       &b[kHeader], payload, b.data(), kHeader,
                                                       nullptr, nonce, keys.key);
  }
  std::vector<uint8_t> scratch(ring[0].size());
  size_t next = 0;
  for (auto _ : state) {
    if (next == kRing) next = 0;
    std::memcpy(scratch.data(), ring[next].data(), scratch.size());
    uint32_t s = static_cast<uint32_t>(next + 1);
    std::memcpy(nonce + 8, &s, 4);
    if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(
            &scratch[kHeader], nullptr, &scratch[kHeader], payload, &scratch[kHeader + payload],
            scratch.data(), kHeader, nonce, keys.key) != 0) {
      state.SkipWithError("open failed");
    }
    ++next;
  }
  set_counters(state);
}

}  // namespace

BENCHMARK(seal_wzp)->Name("seal/wzp")->Arg(60)->Arg(200)->Arg(1200);
BENCHMARK(seal_libsodium)->Name("seal/libsodium")->Arg(60)->Arg(200)->Arg(1200);
BENCHMARK(open_wzp)->Name("open/wzp")->Arg(60)->Arg(200)->Arg(1200);
BENCHMARK(open_libsodium)->Name("open/libsodium")->Arg(60)->Arg(200)->Arg(1200);
