#include "tests/integration/client/audio_compare.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>

namespace wzp::test {
namespace {

uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t{p[3]} << 24; }
uint16_t le16(const uint8_t *p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

double pearson(const double *a, const double *b, size_t n) {
  double ma = 0, mb = 0;
  for (size_t i = 0; i < n; ++i) ma += a[i], mb += b[i];
  ma /= n, mb /= n;
  double num = 0, da = 0, db = 0;
  for (size_t i = 0; i < n; ++i) {
    num += (a[i] - ma) * (b[i] - mb);
    da += (a[i] - ma) * (a[i] - ma);
    db += (b[i] - mb) * (b[i] - mb);
  }
  return da == 0 || db == 0 ? 0 : num / std::sqrt(da * db);
}

}  // namespace

std::optional<Pcm> read_wav(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0) return std::nullopt;
  Pcm pcm;
  int channels = 0, bits = 0;
  for (size_t pos = 12; pos + 8 <= bytes.size();) {
    uint32_t size = le32(&bytes[pos + 4]);
    const uint8_t *body = &bytes[pos + 8];
    size_t available = bytes.size() - pos - 8;
    if (std::memcmp(&bytes[pos], "fmt ", 4) == 0 && available >= 16) {
      channels = le16(body + 2);
      pcm.rate = static_cast<int>(le32(body + 4));
      bits = le16(body + 14);
    } else if (std::memcmp(&bytes[pos], "data", 4) == 0) {
      if (bits != 16 || channels < 1) return std::nullopt;
      size_t frames = std::min<size_t>(size, available) / (2 * channels);
      for (size_t i = 0; i < frames; ++i) {
        auto sample = static_cast<int16_t>(le16(body + 2 * channels * i));
        pcm.samples.push_back(sample / 32768.0f);
      }
      return pcm;
    }
    pos += 8 + size + (size & 1);
  }
  return std::nullopt;
}

std::vector<double> envelope(const Pcm &pcm, int window_ms) {
  size_t window = static_cast<size_t>(pcm.rate) * window_ms / 1000;
  std::vector<double> out;
  for (size_t start = 0; window > 0 && start + window <= pcm.samples.size(); start += window) {
    double energy = 0;
    for (size_t i = start; i < start + window; ++i) energy += pcm.samples[i] * pcm.samples[i];
    out.push_back(std::sqrt(energy / window));
  }
  return out;
}

double best_envelope_correlation(const std::vector<double> &a, const std::vector<double> &b,
                                 size_t max_lag) {
  double best = -1;
  auto lag_limit = static_cast<long>(max_lag);
  for (long lag = -lag_limit; lag <= lag_limit; ++lag) {
    // b[i + lag] is compared with a[i].
    size_t a_start = lag < 0 ? static_cast<size_t>(-lag) : 0;
    size_t b_start = lag < 0 ? 0 : static_cast<size_t>(lag);
    if (a_start >= a.size() || b_start >= b.size()) continue;
    size_t n = std::min(a.size() - a_start, b.size() - b_start);
    if (n < 10) continue;
    best = std::max(best, pearson(a.data() + a_start, b.data() + b_start, n));
  }
  return best;
}

double segmented_similarity(const std::vector<double> &a, const std::vector<double> &b,
                            size_t segment, size_t max_lag) {
  double sum = 0;
  size_t segments = 0;
  auto lag_limit = static_cast<long>(max_lag);
  for (size_t start = 0; start + segment <= a.size(); start += segment) {
    double best = -1;
    for (long lag = -lag_limit; lag <= lag_limit; ++lag) {
      long b_start = static_cast<long>(start) + lag;
      if (b_start < 0 || static_cast<size_t>(b_start) + segment > b.size()) continue;
      best = std::max(best, pearson(a.data() + start, b.data() + b_start, segment));
    }
    sum += best;
    ++segments;
  }
  return segments == 0 ? -1 : sum / segments;
}

}  // namespace wzp::test
