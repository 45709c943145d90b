// Datagrams per second, CPU microseconds per datagram and one-way latency
// over loopback, for wzp's Endpoint (I/O thread, bounded queue, counters)
// and for a minimal single-threaded raw ngtcp2 pair, in the same run. Both
// sleep in ppoll when idle (neither busy-polls), so the latency rows compare
// like with like; what differs is wzp's thread handoffs and bookkeeping.
//
//   <case>/wzp/<bytes> and <case>/ngtcp2/<bytes>, case = single | packed
//   (throughput with and without packing several datagrams per UDP packet)
//   or latency (one datagram every 200 µs; p50/p90/p99 one-way latency).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <ctime>
#include <thread>
#include <vector>

#include "bench/quic/raw_ngtcp2.hpp"
#include "libwzp/quic/clock.hpp"
#include "libwzp/quic/endpoint.hpp"

namespace {

using namespace std::chrono_literals;

constexpr size_t kBatch = 20000;
constexpr size_t kLatencyBatch = 2000;
constexpr uint64_t kLatencyGapNs = 200'000;

double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

class WzpPair {
 public:
  explicit WzpPair(bool pack) : latencies_(kBatch) {
    wzp::quic::EndpointConfig server;
    server.bind_address = "127.0.0.1";
    server.accept_connections = true;
    std::string error;
    server_ = wzp::quic::Endpoint::create(
        server,
        [this](const std::shared_ptr<wzp::quic::Connection> &) {
          wzp::quic::ConnectionHandlers handlers;
          handlers.on_datagram = [this](std::span<const uint8_t> datagram) {
            uint64_t sent;
            std::memcpy(&sent, datagram.data(), sizeof sent);
            size_t index = received_.load(std::memory_order_relaxed);
            if (index < latencies_.size()) latencies_[index] = wzp::quic::now_ns() - sent;
            received_.store(index + 1, std::memory_order_release);
          };
          return handlers;
        },
        error);
    wzp::quic::EndpointConfig client;
    client.bind_address = "127.0.0.1";
    client.tls.server_fingerprint = server_ ? server_->fingerprint() : "";
    client.pack_datagrams = pack;
    client.max_queue_time = 10s;  // measure throughput, not staleness
    client.datagram_queue_capacity = 1024;
    client_ = wzp::quic::Endpoint::create(client, nullptr, error);
    if (!server_ || !client_) return;
    connection_ = client_->dial("127.0.0.1", server_->local_port(), {}, error);
    if (!connection_ || !connection_->wait_established(3s)) return;
    // Let path MTU discovery lift the limit above 1200-byte datagrams.
    for (int i = 0; i < 300 && connection_->stats().path.max_datagram_payload < 1200; ++i) {
      std::this_thread::sleep_for(10ms);
    }
  }
  bool ready() const {
    return connection_ && connection_->state() == wzp::quic::Connection::State::kEstablished;
  }

  size_t run(size_t count, size_t size, uint64_t gap_ns, std::vector<uint64_t> *latencies) {
    received_.store(0);
    std::vector<uint8_t> payload(std::max(size, sizeof(uint64_t)), 0x5a);
    auto before = connection_->stats();
    uint64_t next_due = 0;
    for (size_t i = 0; i < count; ++i) {
      // Backpressure instead of drops: this measures the transport, not the queue bound.
      while (connection_->queued_datagrams() >= 1000) std::this_thread::yield();
      // Sleep, not spin: a spinning producer would steal the I/O threads' core.
      if (gap_ns != 0 && wzp::quic::now_ns() < next_due) {
        std::this_thread::sleep_for(std::chrono::nanoseconds(next_due - wzp::quic::now_ns()));
      }
      uint64_t now = wzp::quic::now_ns();
      next_due = now + gap_ns;
      std::memcpy(payload.data(), &now, sizeof now);
      connection_->send_datagram(payload);
    }
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto stats = connection_->stats();
      size_t settled = received_.load(std::memory_order_acquire) +
                       (stats.datagrams_lost - before.datagrams_lost) +
                       (stats.datagrams_dropped_oversized - before.datagrams_dropped_oversized);
      if (settled >= count) break;
      std::this_thread::yield();
    }
    size_t received = std::min(received_.load(std::memory_order_acquire), latencies_.size());
    oversized_ +=
        connection_->stats().datagrams_dropped_oversized - before.datagrams_dropped_oversized;
    if (latencies != nullptr) {
      latencies->insert(latencies->end(), latencies_.begin(), latencies_.begin() + received);
    }
    return received;
  }
  // Datagrams refused as larger than the path allowed then (before path MTU
  // discovery raised it above 1200 bytes): part of what "delivered" misses.
  size_t oversized() const { return oversized_; }

 private:
  size_t oversized_ = 0;
  std::vector<uint64_t> latencies_;
  std::atomic<size_t> received_{0};
  std::unique_ptr<wzp::quic::Endpoint> server_;
  std::unique_ptr<wzp::quic::Endpoint> client_;
  std::shared_ptr<wzp::quic::Connection> connection_;
};

template <class Pair>
void throughput(benchmark::State &state, bool pack) {
  Pair pair(pack);
  if (!pair.ready()) {
    state.SkipWithError("no connection");
    return;
  }
  size_t size = static_cast<size_t>(state.range(0));
  size_t delivered = 0;
  double cpu = 0;
  for (auto _ : state) {
    double cpu_before = cpu_seconds();
    auto start = std::chrono::steady_clock::now();
    size_t got = pair.run(kBatch, size, 0, nullptr);
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    cpu += cpu_seconds() - cpu_before;
    delivered += got;
  }
  state.SetItemsProcessed(static_cast<int64_t>(delivered));
  state.counters["delivered_%"] =
      100.0 * static_cast<double>(delivered) / static_cast<double>(kBatch * state.iterations());
  if constexpr (requires { pair.oversized(); }) {
    state.counters["oversized_%"] = 100.0 * static_cast<double>(pair.oversized()) /
                                    static_cast<double>(kBatch * state.iterations());
  }
  state.counters["cpu_us_per_dgram"] =
      delivered == 0 ? 0 : cpu * 1e6 / static_cast<double>(delivered);
}

template <class Pair>
void latency(benchmark::State &state) {
  Pair pair(true);
  if (!pair.ready()) {
    state.SkipWithError("no connection");
    return;
  }
  std::vector<uint64_t> latencies;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    pair.run(kLatencyBatch, static_cast<size_t>(state.range(0)), kLatencyGapNs, &latencies);
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  if (latencies.empty()) return;
  std::sort(latencies.begin(), latencies.end());
  auto percentile = [&](double p) {
    return static_cast<double>(latencies[static_cast<size_t>(p * (latencies.size() - 1))]) / 1000.0;
  };
  state.counters["p50_us"] = percentile(0.50);
  state.counters["p90_us"] = percentile(0.90);
  state.counters["p99_us"] = percentile(0.99);
  state.counters["max_us"] = percentile(1.0);
}

void single_wzp(benchmark::State &state) { throughput<WzpPair>(state, false); }
void single_ngtcp2(benchmark::State &state) { throughput<wzp::bench::RawNgtcp2Pair>(state, false); }
void packed_wzp(benchmark::State &state) { throughput<WzpPair>(state, true); }
void packed_ngtcp2(benchmark::State &state) { throughput<wzp::bench::RawNgtcp2Pair>(state, true); }
void latency_wzp(benchmark::State &state) { latency<WzpPair>(state); }
void latency_ngtcp2(benchmark::State &state) { latency<wzp::bench::RawNgtcp2Pair>(state); }

// Process CPU time, so the CPU ratio counts wzp's I/O threads too.
#define WZP_QUIC_CASE(fn, name) \
  BENCHMARK(fn)                 \
      ->Name(name)              \
      ->Arg(60)                 \
      ->Arg(200)                \
      ->Arg(1200)               \
      ->UseManualTime()         \
      ->MeasureProcessCPUTime() \
      ->Iterations(3)           \
      ->Unit(benchmark::kMillisecond)

WZP_QUIC_CASE(single_wzp, "single/wzp");
WZP_QUIC_CASE(single_ngtcp2, "single/ngtcp2");
WZP_QUIC_CASE(packed_wzp, "packed/wzp");
WZP_QUIC_CASE(packed_ngtcp2, "packed/ngtcp2");
WZP_QUIC_CASE(latency_wzp, "latency/wzp");
WZP_QUIC_CASE(latency_ngtcp2, "latency/ngtcp2");

}  // namespace
