// The proof that a frame wzpjitterbuffer reports missing is concealed by the
// real opusdec: a tone goes through "wzpjitterbuffer ! opusdec plc=true" with
// one frame never arriving, and opusdec's output covers that frame's 20 ms
// with synthesised (non-silent) audio, counted in its own PLC statistics.
#include <gst/audio/audio.h>
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include <gtest/gtest.h>
#include <opus/opus.h>

#include <cmath>
#include <vector>

#include "tests/element/wzpjitter/frames.hpp"

namespace wzp::test {
namespace {

std::vector<std::vector<uint8_t>> encode_tone(int frames) {
  int error = 0;
  OpusEncoder *encoder = opus_encoder_create(48000, 1, OPUS_APPLICATION_AUDIO, &error);
  EXPECT_EQ(error, OPUS_OK);
  std::vector<std::vector<uint8_t>> out;
  std::vector<int16_t> pcm(kTicks);
  for (int f = 0; f < frames; ++f) {
    for (uint32_t i = 0; i < kTicks; ++i) {
      double t = static_cast<double>(f * kTicks + i) / 48000.0;
      pcm[i] = static_cast<int16_t>(8000 * std::sin(2 * M_PI * 440 * t));
    }
    std::vector<uint8_t> packet(1500);
    int size = opus_encode(encoder, pcm.data(), static_cast<int>(kTicks), packet.data(),
                           static_cast<opus_int32>(packet.size()));
    EXPECT_GT(size, 0);
    packet.resize(static_cast<size_t>(size));
    out.push_back(packet);
  }
  opus_encoder_destroy(encoder);
  return out;
}

double rms(GstBuffer *buffer) {
  GstMapInfo map;
  gst_buffer_map(buffer, &map, GST_MAP_READ);
  auto *samples = reinterpret_cast<const int16_t *>(map.data);
  size_t count = map.size / 2;
  double sum = 0;
  for (size_t i = 0; i < count; ++i) sum += static_cast<double>(samples[i]) * samples[i];
  gst_buffer_unmap(buffer, &map);
  return count ? std::sqrt(sum / static_cast<double>(count)) : 0.0;
}

TEST(OpusConcealment, OpusdecConcealsTheFrameReportedMissing) {
  constexpr int kFrames = 10;
  constexpr int kMissing = 5;
  auto packets = encode_tone(kFrames);
  // max-latency: in a stream's first seconds the buffer would otherwise wait
  // for the missing frame (expanding) up to 350 ms before concealing it.
  GstHarness *h =
      gst_harness_new_parse("wzpjitterbuffer max-latency=100 ! opusdec name=dec plc=true");
  gst_harness_set_src_caps_str(
      h, "audio/x-opus, channel-mapping-family=(int)0, channels=(int)1, rate=(int)48000");
  gst_harness_set_upstream_latency(h, 0);
  gst_harness_play(h);

  for (int i = 0; i < kFrames; ++i) {
    if (i == kMissing) continue;
    // All frames are in before the first one's 80 ms start delay is over.
    arrive(h, static_cast<GstClockTime>(i) * 5 * GST_MSECOND,
           make_frame(static_cast<uint32_t>(i), packets[i]));
  }
  // One clock wait per frame or gap: 9 frames and 1 gap.
  std::vector<GstBuffer *> out;
  for (int i = 0; i < kFrames; ++i) {
    ASSERT_TRUE(gst_harness_crank_single_clock_wait(h));
    out.push_back(gst_harness_pull(h));
    ASSERT_NE(out.back(), nullptr);
  }
  GstClockTime total = 0;
  for (int i = 0; i < kFrames; ++i) {
    EXPECT_EQ(GST_BUFFER_PTS(out[i]), i * kFrame) << "output " << i;
    EXPECT_EQ(GST_BUFFER_DURATION(out[i]), kFrame) << "output " << i;
    total += GST_BUFFER_DURATION(out[i]);
  }
  EXPECT_EQ(total, kFrames * kFrame);
  // The concealed frame carries the tone on, not silence.
  EXPECT_GT(rms(out[kMissing]), 500.0);

  GstElement *decoder = gst_bin_get_by_name(GST_BIN(h->element), "dec");
  ASSERT_NE(decoder, nullptr);
  GstStructure *stats = nullptr;
  g_object_get(decoder, "stats", &stats, nullptr);
  guint64 plc_samples = 0;
  ASSERT_TRUE(gst_structure_get_uint64(stats, "plc-num-samples", &plc_samples));
  EXPECT_EQ(plc_samples, kTicks);
  gst_structure_free(stats);
  gst_object_unref(decoder);
  for (GstBuffer *b : out) gst_buffer_unref(b);
  gst_harness_teardown(h);
}

}  // namespace
}  // namespace wzp::test
