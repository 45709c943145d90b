// main() for wzp benchmarks: runs Google Benchmark as usual, then pairs each
// `<case>/wzp` with every `<case>/<peer>` and prints how many times faster
// wzp is (peer time ÷ wzp time; above 1 means wzp wins). With
// --benchmark_repetitions=N the ratio is taken per repetition (repetition i of
// the peer over repetition i of wzp) and printed as min / median / max over
// the N, for wall time and for CPU time: one repetition alone can be a lucky
// or an unlucky draw on a shared machine. Each side's median CPU time follows,
// so a ratio can be read back to the times it came from. The table is one
// whitespace-separated row per pair, for scripts as much as for people.
// CPU time is Google Benchmark's: the
// benchmark thread's only, unless the case asks for MeasureProcessCPUTime
// (a threaded case must).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {

struct Split {
  std::string case_name;
  std::string who;
  std::string args;
};

// "encode/wzp/64/1200" -> {"encode", "wzp", "64/1200"}; names without an
// implementation part are left unpaired.
bool split_name(const std::string &name, Split &out) {
  auto first = name.find('/');
  if (first == std::string::npos) return false;
  auto second = name.find('/', first + 1);
  out.case_name = name.substr(0, first);
  out.who =
      name.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
  out.args = second == std::string::npos ? "" : name.substr(second + 1);
  return true;
}

struct Times {
  double real = 0;
  double cpu = 0;
};

// One side's repetitions of one case, in the case's time unit.
struct Side {
  std::vector<Times> reps;
  benchmark::TimeUnit unit = benchmark::kNanosecond;
};

struct Spread {
  double min = 0, median = 0, max = 0;
};

// A time with four significant digits and no exponent, and its unit.
std::string time_text(double t, benchmark::TimeUnit unit) {
  const int decimals = t > 0 ? std::max(0, 3 - static_cast<int>(std::floor(std::log10(t)))) : 0;
  char text[48];
  std::snprintf(text, sizeof text, "%.*f%s", decimals, t, benchmark::GetTimeUnitString(unit));
  return text;
}

Spread spread(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return {v.front(), median, v.back()};
}

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run> &runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto &run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      Split s;
      if (!split_name(run.benchmark_name(), s)) continue;
      Side &side = times_[s.case_name + "/" + s.args][s.who];
      const auto index = static_cast<size_t>(std::max<int64_t>(run.repetition_index, 0));
      if (side.reps.size() <= index) side.reps.resize(index + 1);
      side.reps[index] = {run.GetAdjustedRealTime(), run.GetAdjustedCPUTime()};
      side.unit = run.time_unit;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    bool header = false;
    for (const auto &[key, by_who] : times_) {
      auto ours = by_who.find("wzp");
      if (ours == by_who.end()) continue;
      for (const auto &[who, theirs] : by_who) {
        if (who == "wzp") continue;
        const std::vector<Times> &w = ours->second.reps, &p = theirs.reps;
        std::vector<double> real, cpu, wzp_cpu, peer_cpu;
        for (size_t i = 0; i < std::min(w.size(), p.size()); ++i) {
          if (w[i].real > 0 && p[i].real > 0) real.push_back(p[i].real / w[i].real);
          if (w[i].cpu > 0 && p[i].cpu > 0) {
            cpu.push_back(p[i].cpu / w[i].cpu);
            wzp_cpu.push_back(w[i].cpu);
            peer_cpu.push_back(p[i].cpu);
          }
        }
        if (real.empty() || cpu.empty()) continue;
        if (!header) {
          std::printf("\n%-34s %-12s %4s  %-26s  %-26s  %-23s\n", "case", "peer", "reps",
                      "peer / wzp, wall min/med/max", "peer / wzp, CPU min/med/max",
                      "median CPU, wzp / peer");
          header = true;
        }
        const Spread r = spread(real), c = spread(cpu);
        std::printf("%-34s %-12s %4zu  %7.2fx %7.2fx %7.2fx   %7.2fx %7.2fx %7.2fx   %11s %11s\n",
                    key.c_str(), who.c_str(), real.size(), r.min, r.median, r.max, c.min, c.median,
                    c.max, time_text(spread(wzp_cpu).median, ours->second.unit).c_str(),
                    time_text(spread(peer_cpu).median, theirs.unit).c_str());
      }
    }
  }

 private:
  // case/args -> implementation -> times per repetition
  std::map<std::string, std::map<std::string, Side>> times_;
};

}  // namespace

int main(int argc, char **argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
