// Bit rate accuracy of wzpsvtav1enc against av1enc (libaom) in the same run:
// both encode the same 5 s of camera-like pictures in CBR at the same
// target, and the table gives achieved ÷ target (all bytes out, keyframe
// included, over the clip's duration) as min / median / max over the
// repetitions; each repetition moves the scene (pan speed, disc path, noise),
// so the spread is the encoders', not a replay. Also each side's median
// frames/s and the share of the machine's cores it kept busy.
//
//   bench_video_bitrate [--repetitions N]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/video/video_sides.hpp"

namespace {

using wzp::bench::Size;

constexpr int kFrames = 150;

struct Point {
  const Size *size;
  int kbps;
};

struct Run {
  double ratio;  // achieved ÷ target
  double fps;
  double cores;
};

Run encode(const std::string &launch, const std::string &caps, const Point &point,
           const std::vector<GstBuffer *> &frames) {
  const double cpu0 = wzp::bench::process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<GstBuffer *> out = wzp::bench::run_through(launch, caps, frames);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = wzp::bench::process_cpu_seconds() - cpu0;
  size_t bytes = 0;
  for (GstBuffer *b : out) bytes += gst_buffer_get_size(b);
  if (out.size() != frames.size()) {
    std::fprintf(stderr, "%s: %zu of %zu frames came out\n", launch.c_str(), out.size(),
                 frames.size());
    std::exit(1);
  }
  wzp::bench::release(out);
  const double seconds = static_cast<double>(frames.size()) / wzp::bench::kFps;
  const double achieved_kbps = static_cast<double>(bytes) * 8 / seconds / 1000;
  return {achieved_kbps / point.kbps, static_cast<double>(frames.size()) / wall, cpu / wall};
}

struct Spread {
  double min, median, max;
};

Spread spread(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return {v.front(), median, v.back()};
}

}  // namespace

int main(int argc, char **argv) {
  int repetitions = 5;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--repetitions") && i + 1 < argc) {
      repetitions = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--repetitions N]\n", argv[0]);
      return 2;
    }
  }
  wzp::bench::init_gstreamer();
  const Point points[] = {
      {&wzp::bench::k360p, 250}, {&wzp::bench::k360p, 500}, {&wzp::bench::k720p, 1500}};
  std::printf("size target_kbps side achieved/target(min median max) fps(median) cores(median)\n");
  for (const Point &point : points) {
    std::vector<Run> wzp, aom;
    for (int r = 0; r < repetitions; ++r) {
      std::vector<GstBuffer *> frames =
          wzp::bench::camera_frames(*point.size, kFrames, static_cast<uint32_t>(r + 1));
      // Alternate which side goes first, so neither always runs on a cold cache.
      auto ours = [&] {
        wzp.push_back(encode(wzp::bench::wzp_encoder(point.kbps),
                             wzp::bench::wzp_encoder_caps(*point.size), point, frames));
      };
      auto peer = [&] {
        aom.push_back(encode(wzp::bench::aom_encoder(point.kbps),
                             wzp::bench::aom_encoder_caps(*point.size), point, frames));
      };
      if (r % 2 == 0) {
        ours();
        peer();
      } else {
        peer();
        ours();
      }
      wzp::bench::release(frames);
    }
    for (auto [name, runs] : {std::pair{"wzp", &wzp}, std::pair{"av1enc", &aom}}) {
      std::vector<double> ratio, fps, cores;
      for (const Run &run : *runs) {
        ratio.push_back(run.ratio);
        fps.push_back(run.fps);
        cores.push_back(run.cores);
      }
      const Spread r = spread(ratio);
      std::printf("%s %d %s %.3f %.3f %.3f %.0f %.2f\n", point.size->name, point.kbps, name, r.min,
                  r.median, r.max, spread(fps).median, spread(cores).median);
    }
  }
  return 0;
}
