// wzpcodec2enc / wzpcodec2dec through GstHarness: frame sizes for every mode,
// a round trip that keeps length and energy, concealment of gaps, and bad
// input refused or counted.
#include <codec2/codec2.h>
#include <gst/check/gstharness.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/support/harness.hpp"

namespace {

constexpr int kRate = 8000;

std::vector<int16_t> sine(size_t samples, double frequency, double amplitude) {
  std::vector<int16_t> out(samples);
  for (size_t i = 0; i < samples; ++i) {
    out[i] = static_cast<int16_t>(amplitude * std::sin(2 * M_PI * frequency * i / kRate));
  }
  return out;
}

// Voiced-speech-like: a 150 Hz pitch with 30 harmonics of falling
// amplitude and dispersed phases, the signal Codec2's harmonic model is
// built for. (A pure sine is not: Codec2 keeps its length but only a
// fraction of its energy.)
std::vector<int16_t> voice(size_t samples) {
  std::vector<int16_t> out(samples);
  for (size_t i = 0; i < samples; ++i) {
    const double t = static_cast<double>(i) / kRate;
    double v = 0;
    for (int h = 1; h <= 30; ++h) v += std::sin(2 * M_PI * 150 * h * t + h * h) / h;
    out[i] = static_cast<int16_t>(2500 * v);
  }
  return out;
}

double rms(const int16_t *samples, size_t count) {
  double sum = 0;
  for (size_t i = 0; i < count; ++i) sum += static_cast<double>(samples[i]) * samples[i];
  return count == 0 ? 0 : std::sqrt(sum / static_cast<double>(count));
}
double rms(const std::vector<int16_t> &s) { return rms(s.data(), s.size()); }

void push_pcm(GstHarness *h, const std::vector<int16_t> &pcm) {
  wzp::test::push_s16(h, pcm, kRate, 1024);
}

using wzp::test::pull_buffers;
using wzp::test::pull_s16;

// Codec2 frames made with libcodec2 directly, to feed the decoder alone.
struct Encoded {
  std::vector<std::vector<uint8_t>> frames;
  size_t samples_per_frame;
};
Encoded encode_directly(int mode, const std::vector<int16_t> &pcm) {
  CODEC2 *codec = codec2_create(mode);
  Encoded out{{}, static_cast<size_t>(codec2_samples_per_frame(codec))};
  std::vector<short> frame(out.samples_per_frame);
  for (size_t at = 0; at + frame.size() <= pcm.size(); at += frame.size()) {
    std::copy(pcm.begin() + at, pcm.begin() + at + frame.size(), frame.begin());
    std::vector<uint8_t> bits(codec2_bytes_per_frame(codec));
    codec2_encode(codec, bits.data(), frame.data());
    out.frames.push_back(bits);
  }
  codec2_destroy(codec);
  return out;
}

GstHarness *decoder(const char *mode = "1200") {
  GstHarness *h = gst_harness_new("wzpcodec2dec");
  gst_harness_set_src_caps_str(h, (std::string("audio/x-codec2, mode=(string)") + mode).c_str());
  return h;
}

GstFlowReturn push_frame(GstHarness *h, const std::vector<uint8_t> &bits, GstClockTime pts,
                         GstClockTime duration) {
  GstBuffer *buffer =
      bits.empty() ? gst_buffer_new() : gst_buffer_new_memdup(bits.data(), bits.size());
  GST_BUFFER_PTS(buffer) = pts;
  GST_BUFFER_DURATION(buffer) = duration;
  return gst_harness_push(h, buffer);
}

constexpr const char *kRawCaps =
    "audio/x-raw, format=S16LE, rate=8000, channels=1, "
    "layout=interleaved";

struct ModeCase {
  const char *name;
  int library_mode;
};
const ModeCase kModes[] = {{"3200", CODEC2_MODE_3200}, {"2400", CODEC2_MODE_2400},
                           {"1600", CODEC2_MODE_1600}, {"1400", CODEC2_MODE_1400},
                           {"1300", CODEC2_MODE_1300}, {"1200", CODEC2_MODE_1200},
                           {"700C", CODEC2_MODE_700C}};

TEST(WzpCodec2Enc, EveryModeGivesOneFramePerBufferAndSaysItsMode) {
  for (const ModeCase &mode : kModes) {
    CODEC2 *reference = codec2_create(mode.library_mode);
    const size_t samples_per_frame = codec2_samples_per_frame(reference);
    const size_t bytes_per_frame = codec2_bytes_per_frame(reference);
    codec2_destroy(reference);

    GstHarness *h = gst_harness_new_parse((std::string("wzpcodec2enc mode=") + mode.name).c_str());
    gst_harness_set_src_caps_str(h, kRawCaps);
    push_pcm(h, sine(kRate, 440, 8000));
    ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
    auto buffers = pull_buffers(h);
    EXPECT_EQ(buffers.size(), kRate / samples_per_frame) << mode.name;
    for (GstBuffer *b : buffers) {
      EXPECT_EQ(gst_buffer_get_size(b), bytes_per_frame) << mode.name;
      gst_buffer_unref(b);
    }
    GstCaps *caps = gst_pad_get_current_caps(h->sinkpad);
    ASSERT_NE(caps, nullptr);
    EXPECT_STREQ(gst_structure_get_string(gst_caps_get_structure(caps, 0), "mode"), mode.name);
    gst_caps_unref(caps);
    gst_harness_teardown(h);
  }
}

TEST(WzpCodec2Enc, ModePropertyTakesTheModeNames) {
  GstElement *encoder = gst_element_factory_make("wzpcodec2enc", nullptr);
  ASSERT_NE(encoder, nullptr);
  gint mode = -1;
  g_object_get(encoder, "mode", &mode, nullptr);
  EXPECT_EQ(mode, CODEC2_MODE_1200);  // the catastrophic tier's rate by default
  gst_util_set_object_arg(G_OBJECT(encoder), "mode", "700C");
  g_object_get(encoder, "mode", &mode, nullptr);
  EXPECT_EQ(mode, CODEC2_MODE_700C);
  gst_object_unref(encoder);
}

TEST(WzpCodec2Enc, ALastPartialFrameIsPaddedNotDropped) {
  GstHarness *h = gst_harness_new_parse("wzpcodec2enc mode=1200");
  gst_harness_set_src_caps_str(h, kRawCaps);
  push_pcm(h, sine(320 + 100, 440, 8000));
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  auto buffers = pull_buffers(h);
  EXPECT_EQ(buffers.size(), 2u);
  for (GstBuffer *b : buffers) gst_buffer_unref(b);
  EXPECT_EQ(wzp::test::element_stat(h, "wzpcodec2enc", "frames-encoded"), 2u);
  EXPECT_EQ(wzp::test::element_stat(h, "wzpcodec2enc", "frames-padded"), 1u);
  gst_harness_teardown(h);
}

TEST(WzpCodec2Enc, ChangesModeMidStreamBetweenFrames) {
  GstHarness *h = gst_harness_new_parse("wzpcodec2enc mode=3200");
  gst_harness_set_src_caps_str(h, kRawCaps);
  push_pcm(h, voice(kRate));  // 50 frames of 20 ms, 8 bytes each
  GstElement *encoder = gst_harness_find_element(h, "wzpcodec2enc");
  gst_util_set_object_arg(G_OBJECT(encoder), "mode", "1200");
  gst_object_unref(encoder);
  push_pcm(h, voice(kRate));  // 25 frames of 40 ms, 6 bytes each
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  std::vector<size_t> sizes;
  for (GstBuffer *b : pull_buffers(h)) {
    sizes.push_back(gst_buffer_get_size(b));
    gst_buffer_unref(b);
  }
  // Takes effect after the frame being encoded when the property changed.
  ASSERT_GE(sizes.size(), 74u);
  ASSERT_LE(sizes.size(), 76u);
  EXPECT_EQ(sizes.front(), 8u);
  EXPECT_EQ(sizes.back(), 6u);
  size_t switches = 0;
  for (size_t i = 1; i < sizes.size(); ++i) switches += sizes[i] != sizes[i - 1];
  EXPECT_EQ(switches, 1u);
  GstCaps *caps = gst_pad_get_current_caps(h->sinkpad);
  EXPECT_STREQ(gst_structure_get_string(gst_caps_get_structure(caps, 0), "mode"), "1200");
  gst_caps_unref(caps);
  gst_harness_teardown(h);
}

TEST(WzpCodec2RoundTrip, AModeChangeMidStreamLosesNoAudio) {
  GstHarness *h = gst_harness_new_parse("wzpcodec2enc mode=1200 ! wzpcodec2dec");
  gst_harness_set_src_caps_str(h, kRawCaps);
  push_pcm(h, voice(kRate));
  GstElement *encoder = gst_harness_find_element(h, "wzpcodec2enc");
  gst_util_set_object_arg(G_OBJECT(encoder), "mode", "3200");
  gst_object_unref(encoder);
  push_pcm(h, voice(kRate));
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  const auto output = pull_s16(h);
  EXPECT_EQ(output.size(), 2u * kRate);
  // No stretch of silence at the switch (a gap would show as a dead frame).
  for (size_t at = 1600; at + 160 <= output.size(); at += 160) {
    EXPECT_GT(rms(output.data() + at, 160), 100.0) << "silent 20 ms at sample " << at;
  }
  gst_harness_teardown(h);
}

TEST(WzpCodec2RoundTrip, KeepsTheLengthAndTheEnergy) {
  for (const char *mode : {"3200", "2400", "1200", "700C"}) {
    for (bool use_voice : {true, false}) {
      GstHarness *h = gst_harness_new_parse(
          (std::string("wzpcodec2enc mode=") + mode + " ! wzpcodec2dec").c_str());
      gst_harness_set_src_caps_str(h, kRawCaps);
      const auto input = use_voice ? voice(2 * kRate) : sine(2 * kRate, 200, 8000);
      push_pcm(h, input);
      ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
      const auto output = pull_s16(h);
      EXPECT_EQ(output.size(), input.size()) << mode;
      // A vocoder keeps loudness, not waveform: compare energy once the
      // first frames have settled.
      const double in_rms = rms(input.data() + 1600, input.size() - 1600);
      const double out_rms = rms(output.data() + 1600, output.size() - 1600);
      if (use_voice) {
        EXPECT_GT(out_rms, 0.7 * in_rms) << mode;  // within about 3 dB
        EXPECT_LT(out_rms, 1.5 * in_rms) << mode;
      } else {
        EXPECT_GT(out_rms, 0.01 * in_rms) << mode << ": a tone must not come out silent";
      }
      gst_harness_teardown(h);
    }
  }
}

class WzpCodec2Dec : public ::testing::Test {
 protected:
  void SetUp() override {
    encoded_ = encode_directly(CODEC2_MODE_1200, voice(kRate));
    h_ = decoder("1200");
  }
  void TearDown() override { gst_harness_teardown(h_); }
  // Pushes frames [first, last) at their own times.
  void push_frames(size_t first, size_t last) {
    for (size_t i = first; i < last; ++i) {
      ASSERT_EQ(push_frame(h_, encoded_.frames[i], i * kFrame, kFrame), GST_FLOW_OK);
    }
  }

  static constexpr GstClockTime kFrame = 40 * GST_MSECOND;
  static constexpr size_t kSamples = 320;
  Encoded encoded_;
  GstHarness *h_ = nullptr;
};

TEST_F(WzpCodec2Dec, DecodesFramesAndBuffersOfSeveralFrames) {
  push_frames(0, 5);
  std::vector<uint8_t> three;
  for (size_t i = 5; i < 8; ++i) {
    three.insert(three.end(), encoded_.frames[i].begin(), encoded_.frames[i].end());
  }
  ASSERT_EQ(push_frame(h_, three, 5 * kFrame, 3 * kFrame), GST_FLOW_OK);
  EXPECT_EQ(pull_s16(h_).size(), 8 * kSamples);
  EXPECT_EQ(wzp::test::element_stat(h_, "wzpcodec2dec", "frames-decoded"), 8u);
  EXPECT_EQ(wzp::test::element_stat(h_, "wzpcodec2dec", "frames-concealed"), 0u);
}

TEST_F(WzpCodec2Dec, AGapEventIsConcealedForItsDurationAndFades) {
  push_frames(0, 10);
  ASSERT_TRUE(gst_harness_push_event(h_, gst_event_new_gap(10 * kFrame, 5 * kFrame)));
  push_frames(15, 20);
  const auto pcm = pull_s16(h_);
  ASSERT_EQ(pcm.size(), 20 * kSamples);
  EXPECT_EQ(wzp::test::element_stat(h_, "wzpcodec2dec", "frames-concealed"), 5u);
  EXPECT_EQ(wzp::test::element_stat(h_, "wzpcodec2dec", "frames-decoded"), 15u);

  auto frame_rms = [&](size_t frame) { return rms(pcm.data() + frame * kSamples, kSamples); };
  // The first concealed frame carries the voice on; the fade (120 ms, three
  // frames) takes it down to silence, and the voice comes back afterwards.
  EXPECT_GT(frame_rms(10), 0.3 * frame_rms(9));
  EXPECT_LT(frame_rms(11), frame_rms(10));
  EXPECT_LT(frame_rms(12), frame_rms(11));
  EXPECT_EQ(frame_rms(13), 0.0);
  EXPECT_EQ(frame_rms(14), 0.0);
  EXPECT_GT(frame_rms(16), 0.3 * frame_rms(9));
}

TEST_F(WzpCodec2Dec, GapFlaggedBuffersAreConcealedForTheirDuration) {
  push_frames(0, 3);
  GstBuffer *flagged = gst_buffer_new_memdup(encoded_.frames[3].data(), encoded_.frames[3].size());
  GST_BUFFER_PTS(flagged) = 3 * kFrame;
  GST_BUFFER_DURATION(flagged) = 2 * kFrame;
  GST_BUFFER_FLAG_SET(flagged, GST_BUFFER_FLAG_GAP);
  ASSERT_EQ(gst_harness_push(h_, flagged), GST_FLOW_OK);
  EXPECT_EQ(pull_s16(h_).size(), 5 * kSamples);
  EXPECT_EQ(wzp::test::element_stat(h_, "wzpcodec2dec", "frames-concealed"), 2u);
  EXPECT_EQ(wzp::test::element_stat(h_, "wzpcodec2dec", "frames-decoded"), 3u);
}

TEST_F(WzpCodec2Dec, AConcealmentBeforeAnyFrameIsSilence) {
  ASSERT_TRUE(gst_harness_push_event(h_, gst_event_new_gap(0, 2 * kFrame)));
  const auto pcm = pull_s16(h_);
  ASSERT_EQ(pcm.size(), 2 * kSamples);
  EXPECT_EQ(rms(pcm), 0.0);
}

TEST_F(WzpCodec2Dec, AMalformedBufferIsCountedAndConcealed) {
  push_frames(0, 2);
  ASSERT_EQ(push_frame(h_, {1, 2, 3, 4, 5}, 2 * kFrame, kFrame), GST_FLOW_OK);
  EXPECT_EQ(pull_s16(h_).size(), 3 * kSamples);
  EXPECT_EQ(wzp::test::element_stat(h_, "wzpcodec2dec", "malformed-buffers"), 1u);
  EXPECT_EQ(wzp::test::element_stat(h_, "wzpcodec2dec", "frames-concealed"), 1u);
}

TEST_F(WzpCodec2Dec, AHugeGapIsBounded) {
  push_frames(0, 2);
  ASSERT_TRUE(gst_harness_push_event(h_, gst_event_new_gap(2 * kFrame, 3600 * GST_SECOND)));
  EXPECT_EQ(pull_s16(h_).size(), 2 * kSamples + 10 * kRate);  // at most 10 s at once
}

TEST(WzpCodec2DecCaps, RefusesCapsWithoutAKnownMode) {
  for (const char *caps : {"audio/x-codec2", "audio/x-codec2, mode=(string)9999"}) {
    GstHarness *h = gst_harness_new("wzpcodec2dec");
    gst_harness_set_src_caps_str(h, caps);
    EXPECT_EQ(push_frame(h, {1, 2, 3, 4, 5, 6}, 0, 40 * GST_MSECOND), GST_FLOW_NOT_NEGOTIATED)
        << caps;
    gst_harness_teardown(h);
  }
}

}  // namespace
