// What bench/video runs: camera-like test pictures, and the two sides of
// each comparison (wzp's elements and libaom's stock ones) driven through
// GstHarness as fast as they go.
#pragma once

#include <gst/check/gstharness.h>
#include <gst/gst.h>

#include <cstdint>
#include <string>
#include <vector>

namespace wzp::bench {

struct Size {
  int width;
  int height;
  const char *name;  // "360p"
};

inline constexpr Size k360p{640, 360, "360p"};
inline constexpr Size k720p{1280, 720, "720p"};
inline constexpr int kFps = 30;

// `count` I420 frames of a camera-like scene: a detailed texture panning
// diagonally, a bright disc crossing it, and sensor noise of about ±3 levels,
// so neither encoder sees flat areas or a still picture. `seed` moves the
// pan speed, the disc's path and the noise.
std::vector<GstBuffer *> camera_frames(const Size &size, int count, uint32_t seed);
void release(std::vector<GstBuffer *> &buffers);

std::string raw_caps(const Size &size);

// The encoders at `kbps`, each at its fastest real-time setting (see
// docs/video.md), and the caps each is fed.
std::string wzp_encoder(int kbps);
std::string aom_encoder(int kbps);
std::string wzp_encoder_caps(const Size &size);
std::string aom_encoder_caps(const Size &size);

// Pushes every buffer through a harness made of `launch` with `caps` on its
// input, then EOS; returns what came out.
std::vector<GstBuffer *> run_through(const std::string &launch, const std::string &caps,
                                     const std::vector<GstBuffer *> &input);

// Scans the build tree's plugin folder once.
void init_gstreamer();
// This process's CPU time so far (user + system), in seconds.
double process_cpu_seconds();

}  // namespace wzp::bench
