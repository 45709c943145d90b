// Playout quality benchmark: each trace goes through wzpjitterbuffer and the
// stock rtpjitterbuffer in the same run, and is compared with the best fixed
// delay chosen in hindsight. rtpjitterbuffer runs at its 200 ms default and
// at each latency of a sweep; its best latency for the trace (lowest cost,
// in hindsight, as an operator tuning it for that path would) is reported
// too. Printed per trace: late loss, mean and 95th-percentile playout delay
// (send to playout), and cost = mean delay + 20 ms per 1 % late loss. For
// wzp, frames of delay growth or shrink inside speech count as late loss
// too (they are audible). Also printed, outside the cost: how often the
// played timeline jumps between neighbouring frames. A summary counts where
// wzp wins.
//
//   bench_jitter_playout [--seed N] [--seconds S] [--latencies MS,MS,...]
//                        [--only NAME,NAME,...] [--trace FILE]...
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
  // Frames played on time whose playout moved against the previous frame's
  // (media-time neighbours): a jump in the played timeline, audible as a
  // click, a cut or an overlap. Not in the cost (wzp's own moves are, as
  // late loss); shown because rtpjitterbuffer's output times follow arrival.
  double jump_pct = 0;
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
  size_t jumps = 0;
  for (size_t i = 1; i < trace.frames.size(); ++i) {
    const SentFrame &a = trace.frames[i - 1], &b = trace.frames[i];
    const FrameOutcome &x = run.frames[i - 1], &y = run.frames[i];
    if (a.arrival_ns < 0 || b.arrival_ns < 0 || !x.output || !y.output) continue;
    if (b.timestamp - a.timestamp != 960) continue;  // a DTX pause between them
    const int64_t moved = (y.playout_ns - x.playout_ns) - 20'000'000;
    jumps += moved > kToleranceNs || moved < -kToleranceNs;
  }
  row.jump_pct = 100.0 * static_cast<double>(jumps) / n;
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
  std::printf("| %-26s | %7.2f | %8.1f | %8.1f | %8.1f | %7.2f |\n", who, r.late_pct, r.mean_ms,
              r.p95_ms, r.cost, r.jump_pct);
}

struct Tally {
  int traces = 0;
  int beats_default = 0, beats_tuned = 0, beats_fixed = 0;
  int less_late_default = 0, less_late_tuned = 0;
};

void run_trace(const Trace &trace, const std::vector<int> &latencies, Tally &tally) {
  Row wzp = score(trace, run_element(trace, Element::kWzp));
  Row rtp = score(trace, run_element(trace, Element::kRtpJitterBuffer));
  Row tuned;
  int tuned_ms = 0;
  for (int ms : latencies) {
    Row r = score(trace, run_element(trace, Element::kRtpJitterBuffer, ms));
    if (tuned_ms == 0 || r.cost < tuned.cost) {
      tuned = r;
      tuned_ms = ms;
    }
  }
  Row fixed = hindsight_best_fixed(trace);
  std::printf("\n**%s** (%zu frames)\n\n", trace.name.c_str(), trace.frames.size());
  std::printf("| %-26s | %7s | %8s | %8s | %8s | %7s |\n", "buffer", "late %", "mean ms", "p95 ms",
              "cost", "jumps %");
  std::printf("|%s|%s|%s|%s|%s|%s|\n", "----------------------------", "---------", "----------",
              "----------", "----------", "---------");
  char tuned_name[64];
  std::snprintf(tuned_name, sizeof tuned_name, "rtpjitterbuffer best %d ms", tuned_ms);
  print_row("wzpjitterbuffer", wzp);
  print_row("rtpjitterbuffer 200 ms", rtp);
  print_row(tuned_name, tuned);
  print_row("best fixed (hindsight)", fixed);
  std::printf(
      "\nverdict: %s rtpjitterbuffer at 200 ms; %s rtpjitterbuffer at %d ms; %s "
      "hindsight-best fixed\n",
      wzp.cost < rtp.cost ? "beats" : "LOSES TO", wzp.cost < tuned.cost ? "beats" : "LOSES TO",
      tuned_ms, wzp.cost <= fixed.cost ? "beats" : "behind");
  std::fflush(stdout);
  ++tally.traces;
  tally.beats_default += wzp.cost < rtp.cost;
  tally.beats_tuned += wzp.cost < tuned.cost;
  tally.beats_fixed += wzp.cost <= fixed.cost;
  tally.less_late_default += wzp.late_pct < rtp.late_pct;
  tally.less_late_tuned += wzp.late_pct < tuned.late_pct;
}

void print_tally(const Tally &t) {
  std::printf("\n## Summary over %d traces\n\n", t.traces);
  std::printf(
      "wzp costs less than rtpjitterbuffer at 200 ms on %d, at its best latency on %d; "
      "at least matches the hindsight-best fixed delay on %d.\n",
      t.beats_default, t.beats_tuned, t.beats_fixed);
  std::printf(
      "wzp has less late loss than rtpjitterbuffer at 200 ms on %d, at its best latency "
      "on %d.\n",
      t.less_late_default, t.less_late_tuned);
}

std::vector<int> parse_latencies(const char *text) {
  std::vector<int> out;
  for (const char *p = text; *p;) {
    char *end = nullptr;
    long v = std::strtol(p, &end, 10);
    if (end == p || v <= 0) return {};
    out.push_back(static_cast<int>(v));
    p = *end == ',' ? end + 1 : end;
    if (*end != ',' && *end != '\0') return {};
  }
  return out;
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  uint64_t seed = 1;
  int64_t seconds = 120;
  std::vector<std::string> files;
  // 200 ms is run anyway as the default.
  std::vector<int> latencies = {5, 10, 20, 40, 60, 80, 120, 160, 300};
  std::vector<std::string> only;  // built-in traces to run; empty: all
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = std::strtoll(argv[++i], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--latencies") && i + 1 < argc) {
      latencies = parse_latencies(argv[++i]);
      if (latencies.empty()) {
        std::fprintf(stderr, "--latencies: milliseconds above 0, comma-separated\n");
        return 2;
      }
    } else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) {
      for (const char *p = argv[++i]; *p;) {
        const char *comma = std::strchr(p, ',');
        only.emplace_back(p, comma ? comma : p + std::strlen(p));
        p = comma ? comma + 1 : p + std::strlen(p);
      }
    } else if (!std::strcmp(argv[i], "--trace") && i + 1 < argc) {
      files.push_back(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: %s [--seed N] [--seconds S] [--latencies MS,MS,...] [--only NAME,...] "
                   "[--trace FILE]...\n",
                   argv[0]);
      return 2;
    }
  }
  if (GstRegistry *registry = gst_registry_get()) gst_registry_scan_path(registry, WZP_PLUGIN_DIR);
  Tally tally;
  if (!files.empty()) {
    for (const auto &file : files) {
      auto trace = load_trace(file);
      if (!trace) {
        std::fprintf(stderr, "cannot read trace %s\n", file.c_str());
        return 1;
      }
      run_trace(*trace, latencies, tally);
    }
    print_tally(tally);
    return 0;
  }
  for (Speech speech : {Speech::kTalkspurts, Speech::kContinuous}) {
    std::printf("\n## %s, %lld s per trace, seed %llu\n",
                speech == Speech::kTalkspurts ? "Talkspurts with DTX silence"
                                              : "Continuous speech (no silence)",
                static_cast<long long>(seconds), static_cast<unsigned long long>(seed));
    for (const auto &name : trace_names()) {
      if (!only.empty() && std::find(only.begin(), only.end(), name) == only.end()) continue;
      Trace trace = generate_trace(name, seed, speech, seconds * 1'000'000'000);
      trace.name = name;
      run_trace(trace, latencies, tally);
    }
  }
  print_tally(tally);
  return 0;
}
