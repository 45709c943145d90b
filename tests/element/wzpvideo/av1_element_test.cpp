// wzpsvtav1enc / wzpdav1ddec through GstHarness: round trips with PSNR
// computed here, interop with libaom's av1enc and av1dec both ways (AV1
// decoding is exact, so two decoders must agree to the byte), keyframes on
// force-key-unit events and on the interval, the bit rate changing at the
// next keyframe, the encoder's three held frames, and broken input dropped,
// reported and answered with a keyframe request.
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/harness.hpp"
#include "tests/support/paths.hpp"

namespace {

constexpr int kWidth = 320;
constexpr int kHeight = 240;
constexpr GstClockTime kFrame = GST_SECOND / 30;

std::string raw_caps(const char *format = "I420", int width = kWidth, int height = kHeight) {
  return "video/x-raw,format=" + std::string(format) + ",width=" + std::to_string(width) +
         ",height=" + std::to_string(height) + ",framerate=30/1";
}

// Owns a list of buffers.
struct Buffers {
  std::vector<GstBuffer *> list;
  Buffers() = default;
  explicit Buffers(std::vector<GstBuffer *> b) : list(std::move(b)) {}
  Buffers(const Buffers &) = delete;
  Buffers &operator=(const Buffers &) = delete;
  Buffers(Buffers &&other) noexcept : list(std::move(other.list)) {}
  ~Buffers() {
    for (GstBuffer *b : list) gst_buffer_unref(b);
  }
  size_t size() const { return list.size(); }
  GstBuffer *operator[](size_t i) const { return list[i]; }
};

// `count` I420 frames of videotestsrc's `pattern`, moving.
Buffers source_frames(const std::string &pattern, int count, int width = kWidth,
                      int height = kHeight) {
  const std::string launch = "videotestsrc pattern=" + pattern +
                             " horizontal-speed=3 num-buffers=" + std::to_string(count) +
                             " ! capsfilter caps=\"" + raw_caps("I420", width, height) + "\"";
  GstHarness *h = gst_harness_new_parse(launch.c_str());
  gst_harness_play(h);
  Buffers out;
  for (int i = 0; i < count; ++i) out.list.push_back(gst_harness_pull(h));
  gst_harness_teardown(h);
  return out;
}

// Runs `frames` through the encoder `launch` (fed raw I420 at 30 frames/s)
// to its end of stream.
Buffers encode(const char *launch, const Buffers &frames, int width = kWidth,
               int height = kHeight) {
  GstHarness *h = gst_harness_new_parse(launch);
  gst_harness_set_src_caps_str(h, raw_caps("I420", width, height).c_str());
  for (GstBuffer *b : frames.list) EXPECT_EQ(gst_harness_push(h, gst_buffer_ref(b)), GST_FLOW_OK);
  EXPECT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  Buffers out(wzp::test::pull_buffers(h));
  gst_harness_teardown(h);
  return out;
}

GstHarness *decoder(const char *factory, const char *output_format = "I420", int width = kWidth,
                    int height = kHeight) {
  GstHarness *h = gst_harness_new(factory);
  gst_harness_set_src_caps_str(
      h, ("video/x-av1,stream-format=obu-stream,alignment=tu,width=" + std::to_string(width) +
          ",height=" + std::to_string(height) + ",framerate=30/1")
             .c_str());
  gst_harness_set_sink_caps_str(h, raw_caps(output_format, width, height).c_str());
  return h;
}

Buffers decode(const char *factory, const Buffers &packets, const char *output_format = "I420",
               int width = kWidth, int height = kHeight) {
  GstHarness *h = decoder(factory, output_format, width, height);
  for (GstBuffer *b : packets.list) EXPECT_EQ(gst_harness_push(h, gst_buffer_ref(b)), GST_FLOW_OK);
  EXPECT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  Buffers out(wzp::test::pull_buffers(h));
  gst_harness_teardown(h);
  return out;
}

GstVideoInfo info_of(const char *format, int width, int height) {
  GstVideoInfo info;
  GstCaps *caps = gst_caps_from_string(raw_caps(format, width, height).c_str());
  EXPECT_TRUE(gst_video_info_from_caps(&info, caps));
  gst_caps_unref(caps);
  return info;
}

// One plane of a frame, tightly packed.
std::vector<uint8_t> plane(GstBuffer *buffer, const char *format, int index, int width = kWidth,
                           int height = kHeight) {
  GstVideoInfo info = info_of(format, width, height);
  GstVideoFrame frame;
  EXPECT_TRUE(gst_video_frame_map(&frame, &info, buffer, GST_MAP_READ));
  const int w = GST_VIDEO_FRAME_COMP_WIDTH(&frame, index) *
                (GST_VIDEO_INFO_FORMAT(&info) == GST_VIDEO_FORMAT_NV12 && index == 1 ? 2 : 1);
  const int h = GST_VIDEO_FRAME_COMP_HEIGHT(&frame, index);
  std::vector<uint8_t> out(static_cast<size_t>(w * h));
  const auto *data = static_cast<const uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&frame, index));
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, index);
  for (int y = 0; y < h; ++y)
    std::copy(data + y * stride, data + y * stride + w, out.begin() + y * w);
  gst_video_frame_unmap(&frame);
  return out;
}

// Luma PSNR in dB of `decoded` against `source`, frame by frame, averaged.
double psnr(const Buffers &source, const Buffers &decoded, size_t first = 0) {
  EXPECT_EQ(source.size(), decoded.size());
  double sum = 0;
  size_t frames = 0;
  for (size_t i = first; i < std::min(source.size(), decoded.size()); ++i) {
    const auto a = plane(source[i], "I420", 0);
    const auto b = plane(decoded[i], "I420", 0);
    double error = 0;
    for (size_t k = 0; k < a.size(); ++k) {
      const double d = static_cast<double>(a[k]) - b[k];
      error += d * d;
    }
    const double mse = std::max(error / static_cast<double>(a.size()), 1e-3);
    sum += 10 * std::log10(255.0 * 255.0 / mse);
    ++frames;
  }
  return frames == 0 ? 0 : sum / static_cast<double>(frames);
}

bool identical(const Buffers &a, const Buffers &b, int width = kWidth, int height = kHeight) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    for (int p = 0; p < 3; ++p) {
      if (plane(a[i], "I420", p, width, height) != plane(b[i], "I420", p, width, height)) {
        return false;
      }
    }
  }
  return true;
}

std::vector<size_t> keyframes(const Buffers &packets) {
  std::vector<size_t> out;
  for (size_t i = 0; i < packets.size(); ++i) {
    if (!GST_BUFFER_FLAG_IS_SET(packets[i], GST_BUFFER_FLAG_DELTA_UNIT)) out.push_back(i);
  }
  return out;
}

size_t bytes(const Buffers &packets, size_t from, size_t to) {
  size_t sum = 0;
  for (size_t i = from; i < to; ++i) sum += gst_buffer_get_size(packets[i]);
  return sum;
}

constexpr const char *kEncoder = "wzpsvtav1enc bitrate=600 keyframe-interval=0";
constexpr double kMinPsnr = 30.0;

TEST(Av1Elements, RoundTripThroughBothDecoders) {
  const Buffers source = source_frames("smpte", 30);
  const Buffers packets = encode(kEncoder, source);
  ASSERT_EQ(packets.size(), source.size());
  EXPECT_EQ(keyframes(packets), std::vector<size_t>{0});
  for (size_t i = 0; i < packets.size(); ++i) {
    EXPECT_EQ(GST_BUFFER_PTS(packets[i]), GST_BUFFER_PTS(source[i])) << i;
  }

  const Buffers ours = decode("wzpdav1ddec", packets);
  const Buffers aom = decode("av1dec", packets);
  ASSERT_EQ(ours.size(), source.size());
  EXPECT_GT(psnr(source, ours), kMinPsnr);
  EXPECT_TRUE(identical(ours, aom)) << "dav1d and libaom decode the stream differently";
}

TEST(Av1Elements, Dav1dDecodesLibaomsStream) {
  const Buffers source = source_frames("ball", 20);
  const Buffers packets = encode(
      "av1enc usage-profile=realtime cpu-used=10 end-usage=cbr target-bitrate=600 "
      "max-quantizer=63 lag-in-frames=0 keyframe-max-dist=1000",
      source);
  ASSERT_EQ(packets.size(), source.size());
  const Buffers ours = decode("wzpdav1ddec", packets);
  const Buffers aom = decode("av1dec", packets);
  ASSERT_EQ(ours.size(), source.size());
  EXPECT_GT(psnr(source, ours), kMinPsnr);
  EXPECT_TRUE(identical(ours, aom));
}

// An odd size (libaom encodes one; SVT-AV1 does not): the chroma planes
// round up, and dav1d's pictures still match libaom's.
TEST(Av1Elements, Dav1dDecodesAnOddSize) {
  const Buffers source = source_frames("ball", 5, 321, 241);
  const Buffers packets =
      encode("av1enc usage-profile=realtime cpu-used=10 max-quantizer=63", source, 321, 241);
  ASSERT_EQ(packets.size(), 5u);
  const Buffers ours = decode("wzpdav1ddec", packets, "I420", 321, 241);
  const Buffers aom = decode("av1dec", packets, "I420", 321, 241);
  ASSERT_EQ(ours.size(), 5u);
  EXPECT_TRUE(identical(ours, aom, 321, 241));
}

TEST(Av1Elements, Nv12OutputIsTheI420PictureInterleaved) {
  const Buffers packets = encode(kEncoder, source_frames("smpte", 5));
  const Buffers i420 = decode("wzpdav1ddec", packets);
  const Buffers nv12 = decode("wzpdav1ddec", packets, "NV12");
  ASSERT_EQ(i420.size(), 5u);
  ASSERT_EQ(nv12.size(), 5u);
  for (size_t f = 0; f < 5; ++f) {
    EXPECT_EQ(plane(nv12[f], "NV12", 0), plane(i420[f], "I420", 0));
    const auto uv = plane(nv12[f], "NV12", 1);
    const auto u = plane(i420[f], "I420", 1);
    const auto v = plane(i420[f], "I420", 2);
    ASSERT_EQ(uv.size(), 2 * u.size());
    bool same = true;
    for (size_t k = 0; k < u.size(); ++k) same = same && uv[2 * k] == u[k] && uv[2 * k + 1] == v[k];
    EXPECT_TRUE(same) << "frame " << f;
  }
}

// Keyframes exactly where asked: force-key-unit from downstream (an
// upstream event) and from upstream (a downstream event), and on the
// interval; the stream stays decodable across each new session.
TEST(Av1Elements, KeyframesOnForceKeyUnitAndInterval) {
  const Buffers source = source_frames("smpte", 30);
  GstHarness *h = gst_harness_new_parse(kEncoder);
  gst_harness_set_src_caps_str(h, raw_caps().c_str());
  for (size_t i = 0; i < source.size(); ++i) {
    if (i == 10) {
      ASSERT_TRUE(gst_harness_push_upstream_event(
          h, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 1)));
    }
    if (i == 20) {
      ASSERT_TRUE(gst_harness_push_event(
          h, gst_video_event_new_downstream_force_key_unit(
                 GST_BUFFER_PTS(source[i]), GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, FALSE, 1)));
    }
    ASSERT_EQ(gst_harness_push(h, gst_buffer_ref(source[i])), GST_FLOW_OK);
  }
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  const Buffers packets(wzp::test::pull_buffers(h));
  EXPECT_EQ(wzp::test::element_stat(h, "wzpsvtav1enc", "keyframes"), 3u);
  gst_harness_teardown(h);
  ASSERT_EQ(packets.size(), source.size());
  EXPECT_EQ(keyframes(packets), (std::vector<size_t>{0, 10, 20}));
  EXPECT_GT(psnr(source, decode("wzpdav1ddec", packets)), kMinPsnr);

  const Buffers interval = encode("wzpsvtav1enc keyframe-interval=8", source);
  EXPECT_EQ(keyframes(interval), (std::vector<size_t>{0, 8, 16, 24}));
}

// A new input size mid-stream ends the sequence and starts one at the new
// size with a keyframe; the decoder follows with new caps.
TEST(Av1Elements, SizeChangeStartsANewSequence) {
  const Buffers small = source_frames("smpte", 5);
  const Buffers large = source_frames("smpte", 5, 640, 360);
  GstHarness *h = gst_harness_new_parse(kEncoder);
  gst_harness_set_src_caps_str(h, raw_caps().c_str());
  for (GstBuffer *b : small.list) ASSERT_EQ(gst_harness_push(h, gst_buffer_ref(b)), GST_FLOW_OK);
  gst_harness_set_src_caps_str(h, raw_caps("I420", 640, 360).c_str());
  for (GstBuffer *b : large.list) {
    GstBuffer *later = gst_buffer_copy(b);
    GST_BUFFER_PTS(later) += 5 * kFrame;
    ASSERT_EQ(gst_harness_push(h, later), GST_FLOW_OK);
  }
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  const Buffers packets(wzp::test::pull_buffers(h));
  gst_harness_teardown(h);
  ASSERT_EQ(packets.size(), 10u);
  EXPECT_EQ(keyframes(packets), (std::vector<size_t>{0, 5}));

  GstHarness *d = gst_harness_new("wzpdav1ddec");
  gst_harness_set_src_caps_str(d, "video/x-av1,stream-format=obu-stream,alignment=tu");
  auto output_width = [&] {
    GstCaps *caps = gst_pad_get_current_caps(d->sinkpad);
    gint width = 0;
    if (caps != nullptr) {
      gst_structure_get_int(gst_caps_get_structure(caps, 0), "width", &width);
      gst_caps_unref(caps);
    }
    return width;
  };
  for (size_t i = 0; i < 5; ++i)
    ASSERT_EQ(gst_harness_push(d, gst_buffer_ref(packets[i])), GST_FLOW_OK);
  EXPECT_EQ(output_width(), 320);
  for (size_t i = 5; i < 10; ++i)
    ASSERT_EQ(gst_harness_push(d, gst_buffer_ref(packets[i])), GST_FLOW_OK);
  EXPECT_EQ(output_width(), 640);
  EXPECT_EQ(gst_harness_buffers_received(d), 10u);
  gst_harness_teardown(d);
}

// SVT-AV1 takes no odd sizes: refused at negotiation, with a message.
TEST(Av1Elements, EncoderRefusesAnOddSize) {
  GstHarness *h = gst_harness_new_parse(kEncoder);
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  gst_harness_set_src_caps_str(h, raw_caps("I420", 321, 241).c_str());
  GstBuffer *frame = gst_buffer_new_allocate(nullptr, 321 * 241 * 2, nullptr);
  EXPECT_EQ(gst_harness_push(h, frame), GST_FLOW_NOT_NEGOTIATED);
  GstMessage *error = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  ASSERT_NE(error, nullptr);
  GError *gerror = nullptr;
  gst_message_parse_error(error, &gerror, nullptr);
  EXPECT_STREQ(gerror->message, "SVT-AV1 needs an even width and height");
  g_error_free(gerror);
  gst_message_unref(error);
  gst_element_set_bus(h->element, nullptr);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}

// SVT-AV1 holds three frames in low-delay mode, and the latency query says so.
TEST(Av1Elements, EncoderHoldsThreeFramesAndReportsThem) {
  const Buffers source = source_frames("smpte", 5);
  GstHarness *h = gst_harness_new_parse(kEncoder);
  gst_harness_set_src_caps_str(h, raw_caps().c_str());
  for (size_t i = 0; i < 3; ++i)
    ASSERT_EQ(gst_harness_push(h, gst_buffer_ref(source[i])), GST_FLOW_OK);
  EXPECT_EQ(gst_harness_buffers_received(h), 0u);
  ASSERT_EQ(gst_harness_push(h, gst_buffer_ref(source[3])), GST_FLOW_OK);
  EXPECT_EQ(gst_harness_buffers_received(h), 1u);
  EXPECT_EQ(gst_harness_query_latency(h), 3 * kFrame);
  gst_harness_teardown(h);
}

// A new bit rate waits for the next keyframe, then moves the output: moving
// colour bars at 800 kbit/s, then at 150.
TEST(Av1Elements, BitrateChangeAppliesAtTheNextKeyframe) {
  const Buffers source = source_frames("smpte", 60);
  GstHarness *h = gst_harness_new_parse("wzpsvtav1enc bitrate=800 keyframe-interval=0");
  gst_harness_set_src_caps_str(h, raw_caps().c_str());
  GstElement *encoder = gst_harness_find_element(h, "wzpsvtav1enc");
  auto active = [&] {
    GstStructure *stats = nullptr;
    g_object_get(encoder, "stats", &stats, nullptr);
    guint kbps = 0;
    gst_structure_get_uint(stats, "active-bitrate", &kbps);
    gst_structure_free(stats);
    return kbps;
  };
  for (size_t i = 0; i < 30; ++i)
    ASSERT_EQ(gst_harness_push(h, gst_buffer_ref(source[i])), GST_FLOW_OK);
  g_object_set(encoder, "bitrate", 150u, nullptr);
  ASSERT_EQ(gst_harness_push(h, gst_buffer_ref(source[30])), GST_FLOW_OK);
  EXPECT_EQ(active(), 800u);
  ASSERT_TRUE(gst_harness_push_upstream_event(
      h, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 1)));
  for (size_t i = 31; i < 60; ++i)
    ASSERT_EQ(gst_harness_push(h, gst_buffer_ref(source[i])), GST_FLOW_OK);
  EXPECT_EQ(active(), 150u);
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  const Buffers packets(wzp::test::pull_buffers(h));
  gst_object_unref(encoder);
  gst_harness_teardown(h);
  ASSERT_EQ(packets.size(), 60u);
  EXPECT_EQ(keyframes(packets), (std::vector<size_t>{0, 31}));
  // The last 20 frames of each session, after each keyframe has settled.
  const size_t before = bytes(packets, 11, 31);
  const size_t after = bytes(packets, 40, 60);
  EXPECT_LT(after * 2, before) << before << " bytes at 800 kbit/s, " << after << " at 150";
}

// Broken input: a stream joined mid-way, a truncated frame, garbage and an
// empty buffer are dropped with a QoS message, reported as a warning once
// per run, answered with a force-key-unit event upstream, and decoding
// resumes at the next keyframe.
TEST(Av1Elements, DecoderDropsBrokenFramesAndAsksForAKeyframe) {
  const Buffers source = source_frames("smpte", 30);
  GstHarness *enc = gst_harness_new_parse(kEncoder);
  gst_harness_set_src_caps_str(enc, raw_caps().c_str());
  for (size_t i = 0; i < source.size(); ++i) {
    if (i == 10 || i == 20) {
      ASSERT_TRUE(gst_harness_push_upstream_event(
          enc, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 1)));
    }
    ASSERT_EQ(gst_harness_push(enc, gst_buffer_ref(source[i])), GST_FLOW_OK);
  }
  ASSERT_TRUE(gst_harness_push_event(enc, gst_event_new_eos()));
  const Buffers packets(wzp::test::pull_buffers(enc));
  gst_harness_teardown(enc);
  ASSERT_EQ(keyframes(packets), (std::vector<size_t>{0, 10, 20}));

  GstHarness *h = decoder("wzpdav1ddec");
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  auto count_upstream_key_requests = [&] {
    int n = 0;
    while (GstEvent *e = gst_harness_try_pull_upstream_event(h)) {
      if (gst_video_event_is_force_key_unit(e)) ++n;
      gst_event_unref(e);
    }
    return n;
  };
  // Warnings and QoS messages posted since the last call (popping with a
  // filter would throw the other kinds away).
  struct Posted {
    int warnings = 0;
    int qos = 0;
  };
  auto posted = [&] {
    Posted n;
    while (GstMessage *m = gst_bus_pop(bus)) {
      if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_WARNING) ++n.warnings;
      if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_QOS) ++n.qos;
      gst_message_unref(m);
    }
    return n;
  };
  auto push = [&](GstBuffer *b) { EXPECT_EQ(gst_harness_push(h, b), GST_FLOW_OK); };
  auto copy_of = [&](size_t i) {
    GstBuffer *b = gst_buffer_copy_deep(packets[i]);
    GST_BUFFER_FLAG_UNSET(b, GST_BUFFER_FLAG_DELTA_UNIT);  // to reach dav1d
    return b;
  };

  // Joining at frame 5: nothing decodes before the keyframe at 10.
  for (size_t i = 5; i < 10; ++i) push(copy_of(i));
  EXPECT_EQ(gst_harness_buffers_received(h), 0u);
  EXPECT_EQ(count_upstream_key_requests(), 1);
  Posted p = posted();
  EXPECT_EQ(p.warnings, 1);
  EXPECT_EQ(p.qos, 5);

  // Keyframe 10 and two frames decode; frame 13 arrives cut in half.
  for (size_t i = 10; i < 13; ++i) push(gst_buffer_ref(packets[i]));
  EXPECT_EQ(gst_harness_buffers_received(h), 3u);
  GstBuffer *cut = gst_buffer_copy_region(packets[13], GST_BUFFER_COPY_ALL, 0,
                                          gst_buffer_get_size(packets[13]) / 2);
  GST_BUFFER_FLAG_UNSET(cut, GST_BUFFER_FLAG_DELTA_UNIT);
  push(cut);
  EXPECT_EQ(count_upstream_key_requests(), 1);
  p = posted();
  EXPECT_EQ(p.warnings, 1);
  EXPECT_EQ(p.qos, 1);
  // Until the keyframe: garbage, an empty buffer and the rest of the delta
  // frames, all dropped without another report.
  std::vector<uint8_t> junk(300);
  for (size_t k = 0; k < junk.size(); ++k) junk[k] = static_cast<uint8_t>(k * 97 + 13);
  push(gst_buffer_new_memdup(junk.data(), junk.size()));
  push(gst_buffer_new());
  for (size_t i = 14; i < 20; ++i) push(gst_buffer_ref(packets[i]));
  EXPECT_EQ(gst_harness_buffers_received(h), 3u);
  EXPECT_EQ(count_upstream_key_requests(), 0);
  p = posted();
  EXPECT_EQ(p.warnings, 0);
  EXPECT_EQ(p.qos, 8);

  for (size_t i = 20; i < 30; ++i) push(gst_buffer_ref(packets[i]));
  EXPECT_EQ(gst_harness_buffers_received(h), 13u);
  EXPECT_EQ(wzp::test::element_stat(h, "wzpdav1ddec", "decode-errors"), 2u);
  EXPECT_EQ(wzp::test::element_stat(h, "wzpdav1ddec", "frames-dropped"), 14u);
  EXPECT_EQ(wzp::test::element_stat(h, "wzpdav1ddec", "frames-decoded"), 13u);

  Buffers decoded(wzp::test::pull_buffers(h));
  Buffers tail;
  for (size_t i = 20; i < 30; ++i) tail.list.push_back(gst_buffer_ref(source[i]));
  Buffers decoded_tail;
  for (size_t i = 3; i < decoded.size(); ++i)
    decoded_tail.list.push_back(gst_buffer_ref(decoded[i]));
  EXPECT_GT(psnr(tail, decoded_tail), kMinPsnr);
  gst_element_set_bus(h->element, nullptr);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}

}  // namespace

namespace {

// A GAP event flagged MISSING_DATA (wzpjitterbuffer: a frame FEC could not
// rebuild) means the next delta frame refers to a frame that is gone: the
// decoder drops the delta frames rather than show a wrong picture, asks for
// a keyframe once, and decodes again from the keyframe. A plain GAP (the
// jitter buffer waiting for a late frame) changes nothing.
TEST(Av1Elements, DecoderWaitsForAKeyframeAfterAFrameWentMissing) {
  const Buffers source = source_frames("smpte", 12);
  GstHarness *enc = gst_harness_new_parse(kEncoder);
  gst_harness_set_src_caps_str(enc, raw_caps().c_str());
  for (size_t i = 0; i < source.size(); ++i) {
    if (i == 8) {
      ASSERT_TRUE(gst_harness_push_upstream_event(
          enc, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 1)));
    }
    ASSERT_EQ(gst_harness_push(enc, gst_buffer_ref(source[i])), GST_FLOW_OK);
  }
  ASSERT_TRUE(gst_harness_push_event(enc, gst_event_new_eos()));
  const Buffers packets(wzp::test::pull_buffers(enc));
  gst_harness_teardown(enc);
  ASSERT_EQ(keyframes(packets), (std::vector<size_t>{0, 8}));

  GstHarness *h = decoder("wzpdav1ddec");
  auto requests = [&] {
    int n = 0;
    while (GstEvent *e = gst_harness_try_pull_upstream_event(h)) {
      if (gst_video_event_is_force_key_unit(e)) ++n;
      gst_event_unref(e);
    }
    return n;
  };
  auto gap = [&](size_t frame, bool missing) {
    GstEvent *event = gst_event_new_gap(GST_BUFFER_PTS(packets[frame]), GST_SECOND / 30);
    if (missing) gst_event_set_gap_flags(event, GST_GAP_FLAG_MISSING_DATA);
    EXPECT_TRUE(gst_harness_push_event(h, event));
  };
  for (size_t i = 0; i < 3; ++i)
    ASSERT_EQ(gst_harness_push(h, gst_buffer_ref(packets[i])), GST_FLOW_OK);
  gap(3, false);  // waiting, not lost: frame 3 still comes
  ASSERT_EQ(gst_harness_push(h, gst_buffer_ref(packets[3])), GST_FLOW_OK);
  EXPECT_EQ(gst_harness_buffers_received(h), 4u);
  EXPECT_EQ(requests(), 0);
  gap(4, true);  // frame 4 is gone
  for (size_t i = 5; i < 12; ++i)
    ASSERT_EQ(gst_harness_push(h, gst_buffer_ref(packets[i])), GST_FLOW_OK);
  EXPECT_EQ(requests(), 1);
  // 5, 6 and 7 dropped; keyframe 8 and the frames after it decode.
  EXPECT_EQ(gst_harness_buffers_received(h), 8u);
  EXPECT_EQ(wzp::test::element_stat(h, "wzpdav1ddec", "frames-dropped"), 3u);
  EXPECT_EQ(wzp::test::element_stat(h, "wzpdav1ddec", "keyframe-requests"), 1u);
  Buffers decoded(wzp::test::pull_buffers(h));
  Buffers tail, decoded_tail;
  for (size_t i = 8; i < 12; ++i) tail.list.push_back(gst_buffer_ref(source[i]));
  for (size_t i = 4; i < 8; ++i) decoded_tail.list.push_back(gst_buffer_ref(decoded[i]));
  EXPECT_GT(psnr(tail, decoded_tail), kMinPsnr);
  gst_harness_teardown(h);
}

// A keyframe request can be lost too: while no keyframe comes, the decoder
// asks again each second of the frames' running time.
TEST(Av1Elements, DecoderAsksAgainWhileNoKeyframeComes) {
  const Buffers packets = encode(kEncoder, source_frames("smpte", 12));
  ASSERT_EQ(keyframes(packets), std::vector<size_t>{0});
  GstHarness *h = decoder("wzpdav1ddec");
  auto requests = [&] {
    int n = 0;
    while (GstEvent *e = gst_harness_try_pull_upstream_event(h)) {
      if (gst_video_event_is_force_key_unit(e)) ++n;
      gst_event_unref(e);
    }
    return n;
  };
  // Delta frames 1-11, 200 ms apart: running times 0 to 2 s.
  for (size_t i = 1; i < 12; ++i) {
    GstBuffer *b = gst_buffer_copy(packets[i]);
    GST_BUFFER_PTS(b) = (i - 1) * 200 * GST_MSECOND;
    ASSERT_EQ(gst_harness_push(h, b), GST_FLOW_OK);
  }
  EXPECT_EQ(requests(), 3);  // at 0, 1 and 2 s
  EXPECT_EQ(gst_harness_buffers_received(h), 0u);
  GstBuffer *key = gst_buffer_copy(packets[0]);
  GST_BUFFER_PTS(key) = 2200 * GST_MSECOND;
  ASSERT_EQ(gst_harness_push(h, key), GST_FLOW_OK);
  EXPECT_EQ(gst_harness_buffers_received(h), 1u);
  EXPECT_EQ(requests(), 0);
  EXPECT_EQ(wzp::test::element_stat(h, "wzpdav1ddec", "decode-errors"), 1u);
  EXPECT_EQ(wzp::test::element_stat(h, "wzpdav1ddec", "keyframe-requests"), 3u);
  EXPECT_EQ(wzp::test::element_stat(h, "wzpdav1ddec", "frames-dropped"), 11u);
  gst_harness_teardown(h);
}

}  // namespace

namespace {

guint64 decoded_by(GstElement *pipeline) {
  GstElement *dec = gst_bin_get_by_name(GST_BIN(pipeline), "dec");
  GstStructure *stats = nullptr;
  g_object_get(dec, "stats", &stats, nullptr);
  guint64 frames = 0;
  gst_structure_get_uint64(stats, "frames-decoded", &frames);
  gst_structure_free(stats);
  gst_object_unref(dec);
  return frames;
}

guint64 run_to_eos(const std::string &launch) {
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(launch.c_str(), &error);
  EXPECT_EQ(error, nullptr) << (error ? error->message : "");
  if (pipeline == nullptr) return 0;
  EXPECT_NE(gst_element_set_state(pipeline, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  wzp::test::expect_eos(pipeline, 30 * GST_SECOND);
  guint64 decoded = 0;
  if (GstElement *dec = gst_bin_get_by_name(GST_BIN(pipeline), "dec")) {
    gst_object_unref(dec);
    decoded = decoded_by(pipeline);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return decoded;
}

// The pipelines the element docs open with, on a test pattern and a file:
// encode and decode directly, and through av1parse and Matroska.
TEST(Av1Elements, DocumentedPipelinesRun) {
  const std::string source =
      "videotestsrc num-buffers=30 ! video/x-raw,width=320,height=240,framerate=30/1 ! ";
  EXPECT_EQ(run_to_eos(source + "wzpsvtav1enc bitrate=500 ! wzpdav1ddec name=dec ! "
                                "videoconvert ! fakesink"),
            30u);
  const auto dir = wzp::test::make_temp_dir("wzpvideo");
  const std::string file = (dir / "test.mkv").string();
  run_to_eos(source +
             "wzpsvtav1enc bitrate=500 ! av1parse ! matroskamux ! filesink location=" + file);
  EXPECT_EQ(run_to_eos("filesrc location=" + file +
                       " ! matroskademux ! av1parse ! wzpdav1ddec name=dec ! videoconvert ! "
                       "fakesink"),
            30u);
  std::filesystem::remove_all(dir);
  // Stock av1enc links straight to the decoder (its caps name no
  // stream-format).
  EXPECT_EQ(run_to_eos("videotestsrc num-buffers=10 ! "
                       "video/x-raw,format=I420,width=320,height=240,framerate=30/1 ! "
                       "av1enc usage-profile=realtime cpu-used=10 max-quantizer=63 ! "
                       "wzpdav1ddec name=dec ! fakesink"),
            10u);
}

// Annex B is refused at negotiation, with a message saying what to do.
TEST(Av1Elements, DecoderRefusesAnnexB) {
  GstHarness *h = gst_harness_new("wzpdav1ddec");
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  gst_harness_set_src_caps_str(h, "video/x-av1,stream-format=annexb,alignment=tu");
  EXPECT_EQ(gst_harness_push(h, gst_buffer_new_allocate(nullptr, 100, nullptr)),
            GST_FLOW_NOT_NEGOTIATED);
  GstMessage *error = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  ASSERT_NE(error, nullptr);
  GError *gerror = nullptr;
  gst_message_parse_error(error, &gerror, nullptr);
  EXPECT_STREQ(gerror->message, "dav1d reads AV1 as obu-stream only");
  g_error_free(gerror);
  gst_message_unref(error);
  gst_element_set_bus(h->element, nullptr);
  gst_object_unref(bus);
  gst_harness_teardown(h);
}

}  // namespace
