// main() for wzp benchmarks: runs Google Benchmark as usual, then pairs each
// `<case>/wzp` with every `<case>/<peer>` and prints how many times faster
// wzp is (peer time ÷ wzp time; above 1 means wzp wins).
#include <benchmark/benchmark.h>

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

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run> &runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto &run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      Split s;
      if (!split_name(run.benchmark_name(), s)) continue;
      times_[s.case_name + "/" + s.args][s.who] = run.GetAdjustedRealTime();
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    bool header = false;
    for (const auto &[key, by_who] : times_) {
      auto ours = by_who.find("wzp");
      if (ours == by_who.end() || ours->second <= 0) continue;
      for (const auto &[who, time] : by_who) {
        if (who == "wzp") continue;
        if (!header) {
          std::printf("\n%-40s %-12s %14s\n", "case", "peer", "peer / wzp");
          header = true;
        }
        std::printf("%-40s %-12s %13.2fx\n", key.c_str(), who.c_str(), time / ours->second);
      }
    }
  }

 private:
  std::map<std::string, std::map<std::string, double>> times_;
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
