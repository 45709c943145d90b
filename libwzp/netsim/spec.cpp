#include "libwzp/netsim/spec.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <optional>

namespace wzp::netsim {
namespace {

// Round-trip times are twice each direction's delay.
constexpr std::array kProfiles{
    Profile{"clean", "loss=0", "no impairment"},
    Profile{"lossy", "loss=0.1,burst=1.5,delay=40ms,jitter=10ms",
            "10 % loss in short bursts, 80 ms RTT"},
    Profile{"warzone", "loss=0.4,burst=3,delay=300ms,jitter=40ms,rate=200kbps,queue=300ms",
            "40 % bursty loss, 600 ms RTT, 200 kbps"},
    Profile{"satellite", "loss=0.02,burst=2,delay=300ms,jitter=10ms,rate=1mbps",
            "geostationary hop: 600 ms RTT, light loss, 1 Mbit/s"},
    Profile{"congested", "loss=0.05,delay=60ms,jitter=30ms,reorder=1,rate=300kbps,queue=500ms",
            "overloaded uplink: deep queue, reordering jitter, 300 kbps"},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A finite non-negative number followed by a unit suffix; returns the suffix.
std::optional<std::pair<double, std::string_view>> number_with_suffix(std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || !std::isfinite(value) || value < 0) return std::nullopt;
  return std::pair{value, text.substr(static_cast<size_t>(end - text.data()))};
}

std::optional<double> parse_fraction(std::string_view text) {
  auto parsed = number_with_suffix(text);
  if (!parsed) return std::nullopt;
  auto [value, suffix] = *parsed;
  if (suffix == "%")
    value /= 100.0;
  else if (!suffix.empty())
    return std::nullopt;
  if (value > 1.0) return std::nullopt;
  return value;
}

std::optional<Micros> parse_duration(std::string_view text) {
  auto parsed = number_with_suffix(text);
  if (!parsed) return std::nullopt;
  auto [value, suffix] = *parsed;
  double scale = 0;
  if (suffix == "us")
    scale = 1;
  else if (suffix == "ms" || suffix.empty())
    scale = 1e3;
  else if (suffix == "s")
    scale = 1e6;
  else
    return std::nullopt;
  const double micros = value * scale;
  if (micros > 3600e6) return std::nullopt;  // an hour: nothing sensible is longer
  return Micros{static_cast<int64_t>(std::llround(micros))};
}

std::optional<uint64_t> parse_rate(std::string_view text) {
  auto parsed = number_with_suffix(text);
  if (!parsed) return std::nullopt;
  auto [value, suffix] = *parsed;
  double scale = 0;
  if (suffix == "bps" || suffix.empty())
    scale = 1;
  else if (suffix == "kbps" || suffix == "kbit")
    scale = 1e3;
  else if (suffix == "mbps" || suffix == "mbit")
    scale = 1e6;
  else
    return std::nullopt;
  const double bps = value * scale;
  if (bps > 100e9) return std::nullopt;
  if (bps > 0 && bps < 1000) return std::nullopt;  // slower than 1 kbps would stall every test
  return static_cast<uint64_t>(std::llround(bps));
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "1" || text == "true" || text == "yes" || text == "on") return true;
  if (text == "0" || text == "false" || text == "no" || text == "off") return false;
  return std::nullopt;
}

std::optional<uint64_t> parse_seed(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

const Profile *find_profile(std::string_view name) {
  for (const auto &profile : kProfiles) {
    if (profile.name == name) return &profile;
  }
  return nullptr;
}

std::string apply_item(std::string_view key, std::string_view value, DirectionConfig &config) {
  bool ok = false;
  if (key == "loss") {
    auto v = parse_fraction(value);
    if ((ok = v.has_value())) config.loss = *v;
  } else if (key == "burst") {
    auto v = number_with_suffix(value);
    if ((ok = v && v->second.empty() && v->first <= 1000)) {
      config.mean_burst = v->first < 1.0 ? 0.0 : v->first;  // below 1: independent loss
    }
  } else if (key == "delay" || key == "jitter" || key == "queue") {
    auto v = parse_duration(value);
    if ((ok = v.has_value()))
      (key == "delay" ? config.delay : key == "jitter" ? config.jitter : config.queue_limit) = *v;
  } else if (key == "reorder") {
    auto v = parse_bool(value);
    if ((ok = v.has_value())) config.reorder = *v;
  } else if (key == "dup") {
    auto v = parse_fraction(value);
    if ((ok = v.has_value())) config.duplicate = *v;
  } else if (key == "rate") {
    auto v = parse_rate(value);
    if ((ok = v.has_value())) config.rate_bps = *v;
  } else if (key == "seed") {
    auto v = parse_seed(value);
    if ((ok = v.has_value())) config.seed = *v;
  } else {
    return "unknown key '" + std::string(key) + "'";
  }
  return ok ? "" : "bad value '" + std::string(value) + "' for " + std::string(key);
}

}  // namespace

std::span<const Profile> profiles() { return kProfiles; }

std::string parse_spec(std::string_view spec, const DirectionConfig &base, DirectionConfig &out) {
  DirectionConfig config = base;
  bool first = true;
  while (true) {
    const size_t comma = spec.find(',');
    const std::string_view item = trim(spec.substr(0, comma));
    const size_t equals = item.find('=');
    if (equals == std::string_view::npos) {
      const Profile *profile = first && !item.empty() ? find_profile(item) : nullptr;
      if (profile == nullptr && !item.empty()) {
        return "'" + std::string(item) + "' is neither key=value nor a profile name";
      }
      if (profile != nullptr) {
        // Profiles are well-formed; they keep the caller's seed.
        DirectionConfig from_profile;
        parse_spec(profile->spec, DirectionConfig{}, from_profile);
        from_profile.seed = config.seed;
        config = from_profile;
      }
    } else {
      std::string error =
          apply_item(trim(item.substr(0, equals)), trim(item.substr(equals + 1)), config);
      if (!error.empty()) return error;
    }
    first = false;
    if (comma == std::string_view::npos) break;
    spec.remove_prefix(comma + 1);
  }
  if (std::string error = validate(config); !error.empty()) return error;
  out = config;
  return "";
}

std::string validate(const DirectionConfig &config) {
  if (config.loss < 0 || config.loss > 1) return "loss must be within [0, 1]";
  if (config.duplicate < 0 || config.duplicate > 1) return "dup must be within [0, 1]";
  if (config.mean_burst >= 1.0 && config.loss > 0 && config.loss < 1 &&
      config.mean_burst < config.loss / (1.0 - config.loss)) {
    // Otherwise the good state would have to enter the bad one more than always.
    return "burst is too short for this loss rate (needs at least loss / (1 - loss))";
  }
  if (config.delay.count() < 0 || config.jitter.count() < 0 || config.queue_limit.count() < 0) {
    return "durations must not be negative";
  }
  return "";
}

namespace {

std::string format_double(double value) {
  std::array<char, 32> text{};
  auto [end, ec] = std::to_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() ? std::string(text.data(), end) : "0";
}

std::string format_duration(Micros duration) {
  const int64_t micros = duration.count();
  if (micros % 1000 != 0) return std::to_string(micros) + "us";
  return std::to_string(micros / 1000) + "ms";
}

}  // namespace

std::string to_spec(const DirectionConfig &config) {
  std::string spec;
  auto add = [&spec](std::string item) {
    if (!spec.empty()) spec += ',';
    spec += item;
  };
  add("loss=" + format_double(config.loss));
  if (config.mean_burst >= 1.0) add("burst=" + format_double(config.mean_burst));
  add("delay=" + format_duration(config.delay));
  add("jitter=" + format_duration(config.jitter));
  add(std::string("reorder=") + (config.reorder ? "1" : "0"));
  add("dup=" + format_double(config.duplicate));
  add("rate=" + std::to_string(config.rate_bps) + "bps");
  add("queue=" + format_duration(config.queue_limit));
  add("seed=" + std::to_string(config.seed));
  return spec;
}

}  // namespace wzp::netsim
