#include "bench/jitter/traces.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>

namespace wzp::bench {

namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kFrameNs = 20 * kMs;
constexpr uint32_t kTicks = 960;

// Which 20 ms slots carry speech: exponential talkspurts (mean 1.5 s) and
// pauses (mean 0.8 s), roughly the on/off pattern of conversational speech.
std::vector<bool> speech_slots(size_t slots, std::mt19937_64 &rng, Speech speech) {
  std::vector<bool> on(slots, true);
  if (speech == Speech::kContinuous) return on;
  std::exponential_distribution<double> talk(1.0 / 1.5), pause(1.0 / 0.8);
  size_t slot = 0;
  while (slot < slots) {
    slot += static_cast<size_t>(talk(rng) * 50) + 5;
    size_t silent = static_cast<size_t>(pause(rng) * 50) + 10;
    for (size_t i = slot; i < std::min(slots, slot + silent); ++i) on[i] = false;
    slot += silent;
  }
  return on;
}

using DelayFn = std::function<int64_t(int64_t send_ns)>;

DelayFn delay_model(const std::string &name, std::mt19937_64 &rng) {
  auto normal = [&rng](double mean_ms, double sd_ms) {
    return static_cast<int64_t>(std::normal_distribution<double>(mean_ms, sd_ms)(rng) * kMs);
  };
  auto uniform = [&rng](double lo_ms, double hi_ms) {
    return static_cast<int64_t>(std::uniform_real_distribution<double>(lo_ms, hi_ms)(rng) * kMs);
  };
  if (name == "steady") {
    return [=](int64_t) mutable { return 100 * kMs + std::abs(normal(0, 2)); };
  }
  if (name == "uniform40") {
    return [=](int64_t) mutable { return 100 * kMs + uniform(-40, 40); };
  }
  if (name == "heavytail") {
    // Small jitter, and 2 % of frames hit by a Pareto-tailed spike.
    return [=, &rng](int64_t) mutable {
      int64_t d = 100 * kMs +
                  static_cast<int64_t>(std::exponential_distribution<double>(1.0 / 5)(rng) * kMs);
      if (std::uniform_real_distribution<double>(0, 1)(rng) < 0.02) {
        double u = std::uniform_real_distribution<double>(1e-6, 1)(rng);
        d += std::min<int64_t>(static_cast<int64_t>(30.0 / std::pow(u, 1 / 1.5) * kMs), 800 * kMs);
      }
      return d;
    };
  }
  if (name == "handover") {
    // Every 15 s the link stalls for 150-300 ms; what was sent meanwhile
    // arrives in a burst when it comes back.
    auto stalls = std::make_shared<std::vector<std::pair<int64_t, int64_t>>>();
    for (int64_t t = 7'000 * kMs; t < 3'600'000 * kMs; t += 15'000 * kMs) {
      stalls->push_back({t, uniform(150, 300)});
      if (stalls->size() > 1000) break;
    }
    return [=](int64_t send) mutable {
      int64_t d = 120 * kMs + std::abs(normal(0, 5));
      for (auto &[start, length] : *stalls) {
        if (send >= start && send < start + length) d += start + length - send;
      }
      return d;
    };
  }
  if (name == "step") {
    // Route changes: base delay 80 ms, 250 ms from 40 s, 120 ms from 80 s.
    return [=](int64_t send) mutable {
      int64_t base = send < 40'000 * kMs ? 80 * kMs : send < 80'000 * kMs ? 250 * kMs : 120 * kMs;
      return base + std::abs(normal(0, 5));
    };
  }
  if (name == "reorder") {
    // 10 % of frames take a path 30-70 ms slower and arrive after later ones.
    return [=, &rng](int64_t) mutable {
      int64_t d = 100 * kMs + uniform(0, 10);
      if (std::uniform_real_distribution<double>(0, 1)(rng) < 0.10) d += uniform(30, 70);
      return d;
    };
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> trace_names() {
  return {"steady", "uniform40", "heavytail", "handover", "step", "reorder"};
}

Trace generate_trace(const std::string &name, uint64_t seed, Speech speech, int64_t length_ns) {
  std::mt19937_64 rng(seed ^ std::hash<std::string>{}(name));
  Trace trace{name, {}};
  DelayFn delay = delay_model(name, rng);
  if (!delay) return trace;
  auto slots = static_cast<size_t>(length_ns / kFrameNs);
  std::vector<bool> on = speech_slots(slots, rng, speech);
  uint32_t sequence = 1;
  for (size_t slot = 0; slot < slots; ++slot) {
    if (!on[slot]) continue;
    SentFrame f;
    f.sequence = sequence++;
    f.timestamp = static_cast<uint32_t>(slot) * kTicks;
    f.send_ns = static_cast<int64_t>(slot) * kFrameNs;
    f.arrival_ns = f.send_ns + std::max<int64_t>(delay(f.send_ns), 1 * kMs);
    trace.frames.push_back(f);
  }
  return trace;
}

std::optional<Trace> load_trace(const std::string &path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  Trace trace;
  trace.name = path.substr(path.find_last_of('/') + 1);
  std::string line;
  uint32_t sequence = 1;
  int64_t first_send = -1;
  while (std::getline(in, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream fields(line);
    double send_ms, arrival_ms;
    if (!(fields >> send_ms >> arrival_ms)) continue;
    SentFrame f;
    f.sequence = sequence++;
    f.send_ns = static_cast<int64_t>(send_ms * kMs);
    if (first_send < 0) first_send = f.send_ns;
    // Media time follows the send time (rounded to whole frames).
    f.timestamp =
        static_cast<uint32_t>((f.send_ns - first_send + kFrameNs / 2) / kFrameNs) * kTicks;
    f.arrival_ns = arrival_ms < 0 ? -1 : static_cast<int64_t>(arrival_ms * kMs);
    trace.frames.push_back(f);
  }
  if (trace.frames.empty()) return std::nullopt;
  return trace;
}

}  // namespace wzp::bench
