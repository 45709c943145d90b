// Encoding and decoding speed, wzp's AV1 elements against libaom's stock
// ones in the same run: wzpsvtav1enc vs av1enc and wzpdav1ddec vs av1dec,
// on the same camera-like pictures (and, for decoding, the same AV1
// stream), at 360p and 720p, as fast as each side goes. Cases are
// <what>_<size>/wzp and <what>_<size>/<peer>; wzp_bench_main prints
// peer ÷ wzp. Counters: fps (frames per wall-clock second) and cores (process
// CPU time over wall time: how many of the machine's cores the side kept busy).
#include <benchmark/benchmark.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "bench/video/video_sides.hpp"

namespace {

using wzp::bench::Size;

constexpr int kFrames = 90;  // 3 s of video per iteration

int bitrate_for(const Size &size) { return size.height >= 720 ? 1500 : 500; }

const std::vector<GstBuffer *> &pictures(const Size &size) {
  static std::map<int, std::vector<GstBuffer *>> cache;
  auto &frames = cache[size.height];
  if (frames.empty()) frames = wzp::bench::camera_frames(size, kFrames, 1);
  return frames;
}

// The stream both decoders read: wzpsvtav1enc's at the size's bit rate.
const std::vector<GstBuffer *> &stream(const Size &size) {
  static std::map<int, std::vector<GstBuffer *>> cache;
  auto &packets = cache[size.height];
  if (packets.empty()) {
    packets = wzp::bench::run_through(wzp::bench::wzp_encoder(bitrate_for(size)),
                                      wzp::bench::raw_caps(size), pictures(size));
  }
  return packets;
}

void run(benchmark::State &state, const std::string &launch, const std::string &caps,
         const std::vector<GstBuffer *> &input) {
  double cpu = 0, wall = 0;
  int64_t frames = 0;
  for (auto _ : state) {
    const double cpu0 = wzp::bench::process_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<GstBuffer *> out = wzp::bench::run_through(launch, caps, input);
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    cpu += wzp::bench::process_cpu_seconds() - cpu0;
    if (out.size() != input.size()) {
      state.SkipWithError(
          (std::to_string(out.size()) + " of " + std::to_string(input.size()) + " frames came out")
              .c_str());
    }
    frames += static_cast<int64_t>(out.size());
    wzp::bench::release(out);
  }
  state.counters["fps"] =
      benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
  state.counters["cores"] = wall > 0 ? cpu / wall : 0;
}

void encode(benchmark::State &state, const Size &size, bool wzp) {
  wzp::bench::init_gstreamer();
  const int kbps = bitrate_for(size);
  run(state, wzp ? wzp::bench::wzp_encoder(kbps) : wzp::bench::aom_encoder(kbps),
      wzp ? wzp::bench::wzp_encoder_caps(size) : wzp::bench::aom_encoder_caps(size),
      pictures(size));
}

void decode(benchmark::State &state, const Size &size, bool wzp) {
  wzp::bench::init_gstreamer();
  const std::string caps =
      "video/x-av1,stream-format=obu-stream,alignment=tu,width=" + std::to_string(size.width) +
      ",height=" + std::to_string(size.height) + ",framerate=30/1";
  run(state, wzp ? "wzpdav1ddec" : "av1dec", caps, stream(size));
}

void options(benchmark::internal::Benchmark *b) {
  b->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime()->Iterations(1);
}

// Registered by hand: the names must be <case>/<side> for the ratio table.
const bool registered = [] {
  for (const Size *size : {&wzp::bench::k360p, &wzp::bench::k720p}) {
    for (bool wzp : {true, false}) {
      const std::string tail = std::string(size->name) + (wzp ? "/wzp" : "");
      benchmark::RegisterBenchmark(("encode_" + tail + (wzp ? "" : "/av1enc")).c_str(),
                                   [size, wzp](benchmark::State &s) { encode(s, *size, wzp); })
          ->Apply(options);
      benchmark::RegisterBenchmark(("decode_" + tail + (wzp ? "" : "/av1dec")).c_str(),
                                   [size, wzp](benchmark::State &s) { decode(s, *size, wzp); })
          ->Apply(options);
    }
  }
  return true;
}();

}  // namespace
