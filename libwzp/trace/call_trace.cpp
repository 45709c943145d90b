#include "libwzp/trace/call_trace.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>

namespace wzp::trace {
namespace {

using quality::Micros;

std::string format_observation(const char *kind, const ControllerInput &input) {
  char line[128];
  const auto &o = input.observation;
  // %.17g: the replay must see the very loss the live controller saw.
  std::snprintf(line, sizeof line, "%s %lld %.17g %u %u %u", kind,
                static_cast<long long>(input.at.count()), o.loss, o.rtt_ms, o.jitter_ms,
                o.bandwidth_kbps);
  return line;
}

std::string format_tier(const char *kind, Micros at, quality::Tier tier) {
  return std::string(kind) + " " + std::to_string(at.count()) + " " +
         std::string(quality::to_string(tier));
}

std::optional<quality::Change> change_from_string(std::string_view name) {
  for (auto change : {quality::Change::kNone, quality::Change::kStepDown, quality::Change::kStepUp,
                      quality::Change::kProbeStart, quality::Change::kProbeCommit,
                      quality::Change::kProbeAbort}) {
    if (name == quality::to_string(change)) return change;
  }
  return std::nullopt;
}

// The fields of one line, and whether each was read.
class Fields {
 public:
  explicit Fields(std::string_view line) {
    size_t at = 0;
    while (at < line.size()) {
      size_t start = line.find_first_not_of(" \t", at);
      if (start == std::string_view::npos) break;
      size_t end = line.find_first_of(" \t", start);
      if (end == std::string_view::npos) end = line.size();
      fields_.push_back(line.substr(start, end - start));
      at = end;
    }
  }
  size_t size() const { return fields_.size(); }
  std::string_view operator[](size_t i) const { return fields_[i]; }

  template <typename T>
  bool number(size_t i, T &value) const {
    std::string_view f = fields_[i];
    auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), value);
    return ec == std::errc{} && end == f.data() + f.size();
  }
  bool time(size_t i, Micros &at) const {
    int64_t us = 0;
    if (!number(i, us) || us < 0) return false;
    at = Micros{us};
    return true;
  }
  bool tier(size_t i, quality::Tier &tier) const {
    auto parsed = quality::tier_from_string(fields_[i]);
    if (parsed) tier = *parsed;
    return parsed.has_value();
  }
  bool observation(quality::PathObservation &o, size_t fields = 6) const {
    return size() == fields && number(2, o.loss) && std::isfinite(o.loss) && o.loss >= 0 &&
           o.loss <= 1 && number(3, o.rtt_ms) && number(4, o.jitter_ms) &&
           number(5, o.bandwidth_kbps);
  }

 private:
  std::vector<std::string_view> fields_;
};

bool parse_jitter(const Fields &f, jitter::JitterConfig &config) {
  uint32_t latency = 0, min = 0, max = 0;
  if (f.size() != 5 || !f.number(1, config.quantile) || !f.number(2, latency) ||
      !f.number(3, min) || !f.number(4, max)) {
    return false;
  }
  if (!(config.quantile >= 0.5 && config.quantile < 1) || min > max || max > 60'000) return false;
  config.latency_ns = int64_t{latency} * 1'000'000;
  config.min_latency_ns = int64_t{min} * 1'000'000;
  config.max_latency_ns = int64_t{max} * 1'000'000;
  return true;
}

bool parse_line(const Fields &f, CallTrace &trace) {
  const std::string_view kind = f[0];
  if (kind == "jitter") return parse_jitter(f, trace.jitter);
  if (f.size() < 2) return false;
  if (kind == "arrival") {
    jitter::Arrival a;
    if (f.size() != 5 || !f.number(1, a.arrival_ns) || a.arrival_ns < 0 ||
        !f.number(2, a.sequence) || !f.number(3, a.timestamp) || !f.number(4, a.duration)) {
      return false;
    }
    trace.arrivals.push_back(a);
    return true;
  }
  ControllerInput input;
  if (!f.time(1, input.at)) return false;
  if (kind == "tier") {
    quality::TierChange change{input.at, {}, {}, false};
    auto parsed = f.size() >= 4 ? change_from_string(f[3]) : std::nullopt;
    if (f.size() < 4 || f.size() > 5 || !f.tier(2, change.tier) || !parsed) return false;
    change.change = *parsed;
    if (f.size() == 5) {
      if (f[4] != "imposed") return false;
      change.imposed = true;
    }
    trace.tiers.push_back(change);
    return true;
  }
  if (kind == "start" || kind == "impose") {
    input.kind = kind == "start" ? ControllerInput::Kind::kStart : ControllerInput::Kind::kImpose;
    if (f.size() != 3 || !f.tier(2, input.tier)) return false;
  } else if (kind == "report" || kind == "path" || kind == "media") {
    input.kind = kind == "report" ? ControllerInput::Kind::kReport
                 : kind == "path" ? ControllerInput::Kind::kPathStats
                                  : ControllerInput::Kind::kPeerMedia;
    if (!f.observation(input.observation)) return false;
  } else if (kind == "early") {
    input.kind = ControllerInput::Kind::kEarlyPathStats;
    if (!f.observation(input.observation, 7) || !f.number(6, input.share) ||
        !(input.share > 0 && input.share < 1)) {
      return false;
    }
  } else if (kind == "tick") {
    input.kind = ControllerInput::Kind::kTick;
    if (f.size() != 2) return false;
  } else {
    return false;
  }
  trace.inputs.push_back(input);
  return true;
}

quality::Decision feed(quality::QualityController &controller, const ControllerInput &input) {
  switch (input.kind) {
    case ControllerInput::Kind::kReport:
      return controller.on_report(input.at, input.observation);
    case ControllerInput::Kind::kPathStats:
      return controller.on_path_stats(input.at, input.observation);
    case ControllerInput::Kind::kEarlyPathStats:
      return controller.on_early_path_stats(input.at, input.observation, input.share);
    case ControllerInput::Kind::kPeerMedia:
      return controller.on_peer_media(input.at, input.observation);
    default:
      return controller.tick(input.at);
  }
}

}  // namespace

std::string format_jitter(const jitter::JitterConfig &config) {
  char line[96];
  std::snprintf(line, sizeof line, "jitter %.4f %lld %lld %lld", config.quantile,
                static_cast<long long>(config.latency_ns / 1'000'000),
                static_cast<long long>(config.min_latency_ns / 1'000'000),
                static_cast<long long>(config.max_latency_ns / 1'000'000));
  return line;
}

std::string format(const ControllerInput &input) {
  switch (input.kind) {
    case ControllerInput::Kind::kStart:
      return format_tier("start", input.at, input.tier);
    case ControllerInput::Kind::kImpose:
      return format_tier("impose", input.at, input.tier);
    case ControllerInput::Kind::kReport:
      return format_observation("report", input);
    case ControllerInput::Kind::kPathStats:
      return format_observation("path", input);
    case ControllerInput::Kind::kEarlyPathStats: {
      char share[32];
      std::snprintf(share, sizeof share, " %.17g", input.share);
      return format_observation("early", input) + share;
    }
    case ControllerInput::Kind::kPeerMedia:
      return format_observation("media", input);
    case ControllerInput::Kind::kTick:
      break;
  }
  return "tick " + std::to_string(input.at.count());
}

std::string format(const quality::TierChange &change) {
  return format_tier("tier", change.at, change.tier) + " " + quality::to_string(change.change) +
         (change.imposed ? " imposed" : "");
}

std::string format(const jitter::Arrival &a) {
  char line[96];
  std::snprintf(line, sizeof line, "arrival %lld %u %u %u", static_cast<long long>(a.arrival_ns),
                a.sequence, a.timestamp, a.duration);
  return line;
}

bool parse(std::string_view text, CallTrace &trace, std::string &error) {
  trace = CallTrace{};
  size_t number = 0;
  while (!text.empty()) {
    ++number;
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    line = line.substr(0, line.find('#'));
    Fields fields(line);
    if (fields.size() == 0) continue;
    if (!parse_line(fields, trace)) {
      error = "line " + std::to_string(number) + ": not a trace event: '" +
              std::string(line.substr(0, 80)) + "'";
      trace = CallTrace{};
      return false;
    }
  }
  std::stable_sort(trace.arrivals.begin(), trace.arrivals.end(),
                   [](const auto &a, const auto &b) { return a.arrival_ns < b.arrival_ns; });
  return true;
}

quality::TierHistory replay_controller(std::span<const ControllerInput> inputs,
                                       const quality::ControllerConfig &config) {
  quality::TierHistory history;
  std::optional<quality::QualityController> controller;
  for (const auto &input : inputs) {
    using Kind = ControllerInput::Kind;
    if (input.kind == Kind::kStart || input.kind == Kind::kImpose) {
      quality::ControllerConfig started = config;
      started.initial = input.tier;
      controller.emplace(started, input.at);
      quality::record(history, input.at, {input.tier, quality::Change::kNone},
                      input.kind == Kind::kImpose);
      continue;
    }
    if (!controller) continue;  // nothing to feed before the controller exists
    quality::record(history, input.at, feed(*controller, input));
  }
  return history;
}

}  // namespace wzp::trace
