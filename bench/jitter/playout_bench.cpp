// Playout quality benchmark: each trace goes through wzpjitterbuffer and the
// stock rtpjitterbuffer (200 ms default) in the same run, and is compared
// with the best fixed delay chosen in hindsight. Printed per trace: late
// loss, mean and 95th-percentile playout delay (send to playout), and
// cost = mean delay + 20 ms per 1 % late loss. For wzp, frames of delay
// growth or shrink inside speech count as late loss too (they are audible).
//
//   bench_jitter_playout [--seed N] [--seconds S] [--trace FILE]...
#include <gst/gst.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/jitter/element_driver.hpp"
#include "bench/jitter/traces.hpp"

namespace {

using namespace wzp::bench;

constexpr double kMs = 1e6;
constexpr int64_t kToleranceNs = 2'000'000;

struct Row {
  double late_pct = 0;
  double mean_ms = 0;
  double p95_ms = 0;
  double cost = 0;
};

size_t arrived(const Trace &trace) {
  size_t n = 0;
  for (const auto &f : trace.frames) n += f.arrival_ns >= 0;
  return n;
}

// Sorts `values` in place.
double percentile(std::vector<double> &values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(q * values.size()))];
}

Row score(const Trace &trace, const ElementRun &run) {
  std::vector<double> delays;
  size_t late = 0;
  for (size_t i = 0; i < trace.frames.size(); ++i) {
    const SentFrame &f = trace.frames[i];
    if (f.arrival_ns < 0) continue;
    const FrameOutcome &out = run.frames[i];
    if (!out.output || out.push_ns > out.playout_ns + kToleranceNs) {
      ++late;
      continue;
    }
    delays.push_back(static_cast<double>(out.playout_ns - f.send_ns) / kMs);
  }
  Row row;
  double n = static_cast<double>(arrived(trace));
  row.late_pct = 100.0 * static_cast<double>(late + run.stretched) / n;
  double sum = 0;
  for (double d : delays) sum += d;
  row.mean_ms = delays.empty() ? 0 : sum / static_cast<double>(delays.size());
  row.p95_ms = percentile(delays, 0.95);
  row.cost = row.mean_ms + 20.0 * row.late_pct;
  return row;
}

// The fixed delay (send to playout) with the lowest cost for this trace.
Row hindsight_best_fixed(const Trace &trace) {
  std::vector<int64_t> delays;
  for (const auto &f : trace.frames) {
    if (f.arrival_ns >= 0) delays.push_back(f.arrival_ns - f.send_ns);
  }
  std::sort(delays.begin(), delays.end());
  Row best;
  best.cost = 1e18;
  double n = static_cast<double>(delays.size());
  for (int64_t d = 0; d <= 3'000'000'000; d += 1'000'000) {
    auto on_time = std::upper_bound(delays.begin(), delays.end(), d) - delays.begin();
    double late_pct = 100.0 * (n - static_cast<double>(on_time)) / n;
    double cost = static_cast<double>(d) / kMs + 20.0 * late_pct;
    if (cost < best.cost)
      best = Row{late_pct, static_cast<double>(d) / kMs, static_cast<double>(d) / kMs, cost};
  }
  return best;
}

void print_row(const char *who, const Row &r) {
  std::printf("| %-22s | %7.2f | %8.1f | %8.1f | %8.1f |\n", who, r.late_pct, r.mean_ms, r.p95_ms,
              r.cost);
}

void run_trace(const Trace &trace) {
  Row wzp = score(trace, run_element(trace, Element::kWzp));
  Row rtp = score(trace, run_element(trace, Element::kRtpJitterBuffer));
  Row fixed = hindsight_best_fixed(trace);
  std::printf("\n**%s** (%zu frames)\n\n", trace.name.c_str(), trace.frames.size());
  std::printf("| %-22s | %7s | %8s | %8s | %8s |\n", "buffer", "late %", "mean ms", "p95 ms",
              "cost");
  std::printf("|%s|%s|%s|%s|%s|\n", "------------------------", "---------", "----------",
              "----------", "----------");
  print_row("wzpjitterbuffer", wzp);
  print_row("rtpjitterbuffer 200 ms", rtp);
  print_row("best fixed (hindsight)", fixed);
  std::printf("\nverdict: %s rtpjitterbuffer; %s hindsight-best fixed\n",
              wzp.cost < rtp.cost ? "beats" : "LOSES TO",
              wzp.cost <= fixed.cost ? "beats" : "behind");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  uint64_t seed = 1;
  int64_t seconds = 120;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = std::strtoll(argv[++i], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--trace") && i + 1 < argc) {
      files.push_back(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--seed N] [--seconds S] [--trace FILE]...\n", argv[0]);
      return 2;
    }
  }
  if (GstRegistry *registry = gst_registry_get()) gst_registry_scan_path(registry, WZP_PLUGIN_DIR);
  if (!files.empty()) {
    for (const auto &file : files) {
      auto trace = load_trace(file);
      if (!trace) {
        std::fprintf(stderr, "cannot read trace %s\n", file.c_str());
        return 1;
      }
      run_trace(*trace);
    }
    return 0;
  }
  for (Speech speech : {Speech::kTalkspurts, Speech::kContinuous}) {
    std::printf("\n## %s, %lld s per trace, seed %llu\n",
                speech == Speech::kTalkspurts ? "Talkspurts with DTX silence"
                                              : "Continuous speech (no silence)",
                static_cast<long long>(seconds), static_cast<unsigned long long>(seed));
    for (const auto &name : trace_names()) {
      Trace trace = generate_trace(name, seed, speech, seconds * 1'000'000'000);
      trace.name = name;
      run_trace(trace);
    }
  }
  return 0;
}
