// Prints the recovery table of docs/fec-blocks.md: 20 ms frames through
// FrameEncoder, netsim's loss model (random or Gilbert-Elliott with mean
// bursts of 3 packets) and FrameDecoder. For each setting: the fraction of
// frames delivered (received or recovered) beside the no-FEC peer (what the
// same loss leaves without repair), the bandwidth overhead, and the delay of
// recovered frames: how many ms after the frame was sent it came out.
#include <algorithm>
#include <cstdio>
#include <vector>

#include "libwzp/fec/frame_decoder.hpp"
#include "libwzp/fec/frame_encoder.hpp"
#include "libwzp/netsim/impairment.hpp"

namespace {

using namespace wzp;

constexpr uint32_t kFrames = 20000;
constexpr uint32_t kFrameTicks = 960;  // 20 ms at 48 kHz
constexpr double kFrameMs = 20.0;

struct Setting {
  uint16_t K;
  double ratio;
  uint8_t depth;
};

struct Result {
  double delivered = 0;    // with FEC
  double source_only = 0;  // the peer: source packets that arrived
  double overhead = 0;     // repair bytes / source bytes
  double mean_delay_ms = 0;
  double p95_delay_ms = 0;
};

struct Path : fec::PacketSink {
  netsim::ImpairmentModel model;
  std::vector<std::vector<uint8_t>> delivered;
  uint64_t source_bytes = 0, repair_bytes = 0, sources_arrived = 0;
  explicit Path(const netsim::DirectionConfig &c) : model(c) {}
  void on_packet(std::span<const uint8_t> p, const wire::MediaHeader &h) override {
    (h.repair ? repair_bytes : source_bytes) += p.size();
    if (model.submit(netsim::Micros{0}, p.size()).drop != netsim::Verdict::Drop::kNone) return;
    if (!h.repair) ++sources_arrived;
    delivered.emplace_back(p.begin(), p.end());
  }
};

struct Receiver : fec::FrameSink {
  uint32_t newest_sent = 0;
  uint64_t frames = 0;
  std::vector<uint32_t> delays;  // in frames
  void on_frame(const wire::MediaHeader &h, std::span<const uint8_t>, bool recovered) override {
    ++frames;
    if (recovered) delays.push_back(newest_sent - h.sequence);
  }
  void on_lost(const wire::MediaHeader &, bool) override {}
};

Result run(const Setting &s, double loss, double burst) {
  fec::EncoderConfig config;
  config.block_frames = s.K;
  config.repair_ratio = s.ratio;
  config.interleave_depth = s.depth;
  config.max_block_time = 0;
  fec::FrameEncoder encoder(config);
  fec::DecoderConfig decoder_config;
  decoder_config.deadline = kFrameTicks * (s.K * s.depth + 10);
  fec::FrameDecoder decoder(decoder_config);
  netsim::DirectionConfig path_config;
  path_config.loss = loss;
  path_config.mean_burst = burst;
  path_config.seed = 42;
  Path path(path_config);
  Receiver receiver;
  std::vector<uint8_t> frame(80);  // an Opus frame at 32 kbit/s
  for (uint32_t n = 0; n < kFrames; ++n) {
    std::fill(frame.begin(), frame.end(), static_cast<uint8_t>(n));
    encoder.push({frame, n * kFrameTicks, false}, path);
    receiver.newest_sent = n;
    for (const auto &p : path.delivered) decoder.push(p, receiver);
    path.delivered.clear();
  }
  encoder.flush(path);
  for (const auto &p : path.delivered) decoder.push(p, receiver);
  decoder.flush(receiver);

  Result r;
  r.delivered = static_cast<double>(receiver.frames) / kFrames;
  r.source_only = static_cast<double>(path.sources_arrived) / kFrames;
  r.overhead = static_cast<double>(path.repair_bytes) / path.source_bytes;
  if (!receiver.delays.empty()) {
    std::sort(receiver.delays.begin(), receiver.delays.end());
    double sum = 0;
    for (uint32_t d : receiver.delays) sum += d;
    r.mean_delay_ms = sum / receiver.delays.size() * kFrameMs;
    r.p95_delay_ms = receiver.delays[receiver.delays.size() * 95 / 100] * kFrameMs;
  }
  return r;
}

}  // namespace

int main() {
  const Setting settings[] = {{5, 0.4, 1},  {10, 0.5, 1}, {10, 1.0, 1},
                              {10, 1.0, 4}, {10, 2.0, 4}, {20, 3.0, 2}};
  const double losses[] = {0.05, 0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70};
  const struct {
    const char *name;
    double burst;
  } models[] = {{"random", 0.0}, {"Gilbert-Elliott, mean burst 3", 3.0}};

  std::printf("%u frames of 20 ms per cell; delivered %% with FEC (no-FEC peer in brackets)\n",
              kFrames);
  for (const auto &model : models) {
    std::printf("\n### %s loss\n\n| K, ratio, D | overhead | recovery delay mean / p95 |",
                model.name);
    for (double loss : losses) std::printf(" %d %% |", static_cast<int>(loss * 100 + 0.5));
    std::printf("\n|---|---|---|");
    for (size_t i = 0; i < std::size(losses); ++i) std::printf("---|");
    std::printf("\n");
    for (const auto &s : settings) {
      std::vector<Result> row;
      for (double loss : losses) row.push_back(run(s, loss, model.burst));
      // Delay and overhead do not depend much on the loss: show them at 30 %.
      const Result &mid = row[3];
      std::printf("| %u, %.1f, %u | %.0f %% | %.0f / %.0f ms |", s.K, s.ratio, s.depth,
                  mid.overhead * 100, mid.mean_delay_ms, mid.p95_delay_ms);
      for (const auto &r : row) {
        std::printf(" %.1f (%.0f) |", r.delivered * 100, r.source_only * 100);
      }
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  return 0;
}
