// Where a recorded call's playout delay went: replays the frame arrivals of
// a call trace (`wzp loopback|call|answer --trace FILE`) through the jitter
// buffer, with the call's own settings unless told otherwise, and prints how
// far above the path's fastest transit the frames played, per 2 s of the
// call, next to how late they arrived. Clock-free and deterministic: the
// same trace gives the same numbers (docs/loss-sweep.md, "70 %: where the
// delay goes").
//
//   wzp_call_trace_playout [--quantile Q] [--compress] TRACE...
//
// --compress: as if the decoder could play frames shorter (time compression)
// and always removed as much as the buffer asked for.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "libwzp/jitter/replay.hpp"
#include "libwzp/jitter/unwrap.hpp"
#include "libwzp/trace/call_trace.hpp"

namespace {

using namespace wzp;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kBucketNs = 2'000 * kMs;
constexpr int64_t kPlayOutNs = 3'000 * kMs;  // after the last arrival

struct Bucket {
  std::vector<int64_t> arrival_excess, playout_excess;
};

int64_t percentile(std::vector<int64_t> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(q * values.size()))];
}

bool report(const char *path, const double *quantile, bool compress) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  trace::CallTrace call;
  std::string error;
  if (!in || !trace::parse(text.str(), call, error)) {
    std::fprintf(stderr, "%s: %s\n", path, in ? error.c_str() : "cannot read");
    return false;
  }
  if (call.arrivals.empty()) {
    std::fprintf(stderr, "%s: no frame arrivals\n", path);
    return false;
  }
  if (quantile != nullptr) call.jitter.quantile = *quantile;
  call.jitter.compress_to_shrink = compress;
  const auto &arrivals = call.arrivals;
  auto result = jitter::replay(call.jitter, arrivals, arrivals.back().arrival_ns + kPlayOutNs);

  // Media time from the trace's timestamps at the codec clock the buffer
  // was configured with; the base is the fastest transit of the whole call.
  // Timestamps are unwrapped from the first arrival's: one just before it
  // is not 2^32 ticks on.
  const double ns_per_tick = 1e9 / call.jitter.clock_rate;
  std::vector<int64_t> media(arrivals.size());
  jitter::Unwrapper timestamps;
  for (size_t i = 0; i < arrivals.size(); ++i) {
    const int64_t ticks = timestamps.peek(arrivals[i].timestamp);
    timestamps.commit(arrivals[i].timestamp, ticks);
    media[i] = static_cast<int64_t>(static_cast<double>(ticks) * ns_per_tick);
  }
  auto media_ns = [&](const jitter::Arrival &a) { return media[&a - arrivals.data()]; };
  int64_t base = std::numeric_limits<int64_t>::max();
  for (const auto &a : arrivals) base = std::min(base, a.arrival_ns - media_ns(a));
  std::map<int64_t, Bucket> buckets;
  int64_t playout_sum = 0;
  size_t played = 0;
  for (size_t i = 0; i < arrivals.size(); ++i) {
    Bucket &b = buckets[(arrivals[i].arrival_ns - arrivals.front().arrival_ns) / kBucketNs];
    b.arrival_excess.push_back(arrivals[i].arrival_ns - media_ns(arrivals[i]) - base);
    if (result.playout_ns[i] < 0) continue;
    const int64_t above = result.playout_ns[i] - media_ns(arrivals[i]) - base;
    b.playout_excess.push_back(above);
    playout_sum += above;
    ++played;
  }
  std::printf(
      "%s (quantile %.3f): %zu frames in, played %llu, late %llu, concealed %llu, dropped to "
      "shrink %llu, compressed %llu (%lld ms); played on average %lld ms above the fastest "
      "transit\n",
      path, call.jitter.quantile, arrivals.size(),
      static_cast<unsigned long long>(result.stats.played),
      static_cast<unsigned long long>(result.stats.late),
      static_cast<unsigned long long>(result.stats.concealed),
      static_cast<unsigned long long>(result.stats.shrunk),
      static_cast<unsigned long long>(result.stats.compressed),
      static_cast<long long>(result.stats.compressed_ns / kMs),
      played == 0 ? 0LL : static_cast<long long>(playout_sum / static_cast<int64_t>(played) / kMs));
  std::printf(
      "  seconds | frames | arrival above fastest: p50 / p95 / max ms | played above fastest: mean "
      "ms\n");
  for (const auto &[index, b] : buckets) {
    int64_t mean = 0;
    for (int64_t v : b.playout_excess) mean += v;
    if (!b.playout_excess.empty()) mean /= static_cast<int64_t>(b.playout_excess.size());
    std::printf("  %3lld-%-3lld | %6zu | %4lld / %4lld / %4lld | %4lld\n",
                static_cast<long long>(index * 2), static_cast<long long>(index * 2 + 2),
                b.arrival_excess.size(),
                static_cast<long long>(percentile(b.arrival_excess, 0.5) / kMs),
                static_cast<long long>(percentile(b.arrival_excess, 0.95) / kMs),
                static_cast<long long>(percentile(b.arrival_excess, 1.0) / kMs),
                static_cast<long long>(mean / kMs));
  }
  return true;
}

}  // namespace

int main(int argc, char **argv) {
  double quantile = 0;
  bool quantile_given = false;
  bool compress = false;
  std::vector<const char *> paths;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--quantile" && i + 1 < argc) {
      quantile = std::strtod(argv[++i], nullptr);
      quantile_given = true;
    } else if (arg == "--compress") {
      compress = true;
    } else if (arg == "-h" || arg == "--help" || arg.starts_with("-")) {
      std::fprintf(stderr, "usage: %s [--quantile Q] [--compress] TRACE...\n", argv[0]);
      return arg == "-h" || arg == "--help" ? 0 : 2;
    } else {
      paths.push_back(argv[i]);
    }
  }
  if (paths.empty()) {
    std::fprintf(stderr, "usage: %s [--quantile Q] [--compress] TRACE...\n", argv[0]);
    return 2;
  }
  bool ok = true;
  for (const char *path : paths)
    ok = report(path, quantile_given ? &quantile : nullptr, compress) && ok;
  return ok ? 0 : 1;
}
