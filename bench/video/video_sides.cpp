#include "bench/video/video_sides.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>

namespace wzp::bench {

namespace {

uint32_t next(uint32_t &state) {
  state ^= state << 13;
  state ^= state >> 17;
  state ^= state << 5;
  return state;
}

}  // namespace

std::vector<GstBuffer *> camera_frames(const Size &size, int count, uint32_t seed) {
  const int w = size.width, h = size.height;
  const double speed = 1.5 + 0.25 * (seed % 5);
  const int margin = static_cast<int>(std::ceil(speed * count)) + 2;
  // One texture larger than the picture; each frame is a window into it.
  const int tw = w + margin, th = h + margin;
  std::vector<uint8_t> texture(static_cast<size_t>(tw) * th);
  for (int y = 0; y < th; ++y) {
    for (int x = 0; x < tw; ++x) {
      const double v = 110 + 45 * std::sin(x / 9.0) * std::cos(y / 13.0) +
                       30 * std::sin((x + 2 * y) / 31.0) + 20 * std::sin(x * y / 4000.0);
      texture[static_cast<size_t>(y) * tw + x] = static_cast<uint8_t>(std::clamp(v, 0.0, 255.0));
    }
  }
  uint32_t noise = 0x9e3779b9u ^ (seed * 2654435761u);
  std::vector<GstBuffer *> frames;
  const size_t luma = static_cast<size_t>(w) * h;
  const size_t chroma = static_cast<size_t>(w / 2) * (h / 2);
  for (int t = 0; t < count; ++t) {
    GstBuffer *buffer = gst_buffer_new_allocate(nullptr, luma + 2 * chroma, nullptr);
    GstMapInfo map;
    gst_buffer_map(buffer, &map, GST_MAP_WRITE);
    const int ox = static_cast<int>(speed * t), oy = static_cast<int>(speed * t / 2);
    const double bx = w * (0.1 + 0.8 * std::fmod(t * 0.011 * (1 + seed % 3), 1.0));
    const double by = h * (0.5 + 0.3 * std::sin(t * 0.07 + seed));
    const double r2 = (h / 8.0) * (h / 8.0);
    for (int y = 0; y < h; ++y) {
      uint8_t *row = map.data + static_cast<size_t>(y) * w;
      const uint8_t *src = texture.data() + static_cast<size_t>(y + oy) * tw + ox;
      for (int x = 0; x < w; ++x) {
        int v = src[x] + static_cast<int>(next(noise) % 7) - 3;
        if ((x - bx) * (x - bx) + (y - by) * (y - by) < r2)
          v = 230 + static_cast<int>(next(noise) % 7) - 3;
        row[x] = static_cast<uint8_t>(std::clamp(v, 0, 255));
      }
    }
    uint8_t *u = map.data + luma;
    uint8_t *v = u + chroma;
    for (int y = 0; y < h / 2; ++y) {
      for (int x = 0; x < w / 2; ++x) {
        const size_t i = static_cast<size_t>(y) * (w / 2) + x;
        u[i] = static_cast<uint8_t>(128 + 30 * std::sin((x + ox / 2) / 23.0 + t * 0.01));
        v[i] = static_cast<uint8_t>(128 + 30 * std::cos((y + oy / 2) / 19.0));
      }
    }
    gst_buffer_unmap(buffer, &map);
    GST_BUFFER_PTS(buffer) = gst_util_uint64_scale(t, GST_SECOND, kFps);
    GST_BUFFER_DURATION(buffer) = GST_SECOND / kFps;
    frames.push_back(buffer);
  }
  return frames;
}

void release(std::vector<GstBuffer *> &buffers) {
  for (GstBuffer *b : buffers) gst_buffer_unref(b);
  buffers.clear();
}

std::string raw_caps(const Size &size) {
  return "video/x-raw,format=I420,width=" + std::to_string(size.width) +
         ",height=" + std::to_string(size.height) + ",framerate=" + std::to_string(kFps) + "/1";
}

std::string wzp_encoder_caps(const Size &size) { return raw_caps(size); }

// Debian 12's av1enc (GStreamer 1.22.0) sets libaom's timebase to 1/framerate,
// and at 1/30 s libaom's CBR spends about twice the target (968 kbit/s for
// 500 on moving colour bars at 640x360); with framerate 0/1 the element uses a
// 90 kHz timebase and lands near the target (571). The frames keep their
// real timestamps and durations, so the peer gets the better of the two.
std::string aom_encoder_caps(const Size &size) {
  return "video/x-raw,format=I420,width=" + std::to_string(size.width) +
         ",height=" + std::to_string(size.height) + ",framerate=0/1";
}

std::string wzp_encoder(int kbps) {
  return "wzpsvtav1enc keyframe-interval=300 bitrate=" + std::to_string(kbps);
}

// libaom's real-time setup, as its RTC examples run it: the realtime usage
// profile at its fastest speed, CBR with the same 600/600/1000 ms buffer
// model as SVT-AV1's defaults, no lag, row multithreading on both cores,
// and the full quantizer range (av1enc's max-quantizer default of 0 makes
// libaom assert in CBR).
std::string aom_encoder(int kbps) {
  return "av1enc usage-profile=realtime cpu-used=10 end-usage=cbr lag-in-frames=0 "
         "min-quantizer=0 max-quantizer=63 buf-initial-sz=600 buf-optimal-sz=600 buf-sz=1000 "
         "threads=2 row-mt=true keyframe-max-dist=300 target-bitrate=" +
         std::to_string(kbps);
}

std::vector<GstBuffer *> run_through(const std::string &launch, const std::string &caps,
                                     const std::vector<GstBuffer *> &input) {
  GstHarness *h = gst_harness_new_parse(launch.c_str());
  gst_harness_set_src_caps_str(h, caps.c_str());
  for (GstBuffer *b : input) gst_harness_push(h, gst_buffer_ref(b));
  gst_harness_push_event(h, gst_event_new_eos());
  std::vector<GstBuffer *> out;
  while (GstBuffer *b = gst_harness_try_pull(h)) out.push_back(b);
  gst_harness_teardown(h);
  return out;
}

void init_gstreamer() {
  static bool done = false;
  if (done) return;
  done = true;
  gst_init(nullptr, nullptr);
  if (GstRegistry *registry = gst_registry_get()) gst_registry_scan_path(registry, WZP_PLUGIN_DIR);
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace wzp::bench
