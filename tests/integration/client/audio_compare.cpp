#include "tests/integration/client/audio_compare.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numbers>

#include "libwzp/audio/envelope.hpp"

namespace wzp::test {
namespace {

uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t{p[3]} << 24; }
uint16_t le16(const uint8_t *p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

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
  audio::EnvelopeBuilder builder(static_cast<size_t>(pcm.rate) * window_ms / 1000);
  if (window_ms > 0 && pcm.rate > 0) builder.add(pcm.samples);
  return builder.envelope();
}

double best_envelope_correlation(const std::vector<double> &a, const std::vector<double> &b,
                                 size_t max_lag) {
  auto lag = static_cast<long>(max_lag);
  return audio::best_lag(a, b, -lag, lag, 10).correlation;
}

double segmented_similarity(const std::vector<double> &a, const std::vector<double> &b,
                            size_t segment, size_t max_lag) {
  return audio::segmented_similarity(a, b, segment, 0, static_cast<long>(max_lag));
}

double speech_similarity(const std::filesystem::path &sent, const std::filesystem::path &received) {
  auto a = read_wav(sent), b = read_wav(received);
  if (!a || !b) return -1;
  return segmented_similarity(envelope(*a, 20), envelope(*b, 20), 100, 50);
}

void write_tone(const std::filesystem::path &path, double frequency, uint32_t seconds) {
  constexpr uint32_t kRate = 48000;
  const uint32_t samples = seconds * kRate;
  std::ofstream out(path, std::ios::binary);
  auto u32 = [&](uint32_t v) { out.write(reinterpret_cast<const char *>(&v), 4); };
  auto u16 = [&](uint16_t v) { out.write(reinterpret_cast<const char *>(&v), 2); };
  out.write("RIFF", 4);
  u32(36 + samples * 2);
  out.write("WAVEfmt ", 8);
  u32(16), u16(1), u16(1), u32(kRate), u32(kRate * 2), u16(2), u16(16);
  out.write("data", 4);
  u32(samples * 2);
  for (uint32_t i = 0; i < samples; ++i) {
    u16(static_cast<uint16_t>(
        static_cast<int16_t>(9000 * std::sin(2 * std::numbers::pi * frequency * i / kRate))));
  }
}

}  // namespace wzp::test
