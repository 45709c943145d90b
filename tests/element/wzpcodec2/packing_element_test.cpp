// Several Codec2 frames per packet through GstHarness: wzpcodec2enc
// frames-per-packet packs whole frames on a fixed grid, DTX cuts a packet
// short, and wzpcodec2dec decodes packed payloads to the same audio as
// single frames and conceals a lost packet frame by frame.
#include <gst/check/gstharness.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/element/wzpcodec2/codec2_test_audio.hpp"
#include "tests/support/harness.hpp"

namespace {

using namespace wzp::test::codec2;
using wzp::test::element_stat;
using wzp::test::pull_buffers;

void push_pcm(GstHarness *h, const std::vector<int16_t> &pcm, size_t first_sample = 0) {
  wzp::test::push_s16(h, pcm, kRate, 800, first_sample);
}

std::vector<GstBuffer *> encode(const std::string &settings, const std::vector<int16_t> &pcm) {
  GstHarness *h = gst_harness_new_parse(("wzpcodec2enc mode=1200 " + settings).c_str());
  gst_harness_set_src_caps_str(h, kRawCaps);
  push_pcm(h, pcm);
  EXPECT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  auto out = pull_buffers(h);
  gst_harness_teardown(h);
  return out;
}

// Decodes `packets` (taking them); every `lose_every`-th becomes a GAP event
// of its time, as wzpjitterbuffer sends for a lost packet.
std::vector<int16_t> decode(const std::vector<GstBuffer *> &packets, size_t lose_every,
                            guint64 *concealed) {
  GstHarness *h = gst_harness_new("wzpcodec2dec");
  gst_harness_set_src_caps_str(h, "audio/x-codec2, mode=(string)1200");
  for (size_t i = 0; i < packets.size(); ++i) {
    if (lose_every > 0 && (i + 1) % lose_every == 0) {
      EXPECT_TRUE(gst_harness_push_event(
          h, gst_event_new_gap(GST_BUFFER_PTS(packets[i]), GST_BUFFER_DURATION(packets[i]))));
      gst_buffer_unref(packets[i]);
    } else {
      EXPECT_EQ(gst_harness_push(h, packets[i]), GST_FLOW_OK);
    }
  }
  std::vector<int16_t> pcm = wzp::test::pull_s16(h);
  if (concealed != nullptr) *concealed = element_stat(h, "wzpcodec2dec", "frames-concealed");
  gst_harness_teardown(h);
  return pcm;
}

TEST(WzpCodec2Packing, TwoFramesPerPacketOnAnEightyMillisecondGrid) {
  // 3 s: 75 frames, so 37 packets of two and a last one of one.
  auto packets = encode("frames-per-packet=2", voice(3 * kRate));
  ASSERT_EQ(packets.size(), 38u);
  for (size_t i = 0; i < packets.size(); ++i) {
    const bool last = i + 1 == packets.size();
    EXPECT_EQ(gst_buffer_get_size(packets[i]), last ? kFrameBytes : 2 * kFrameBytes);
    EXPECT_EQ(GST_BUFFER_PTS(packets[i]), i * 2 * kFrameTime);
    EXPECT_EQ(GST_BUFFER_DURATION(packets[i]), last ? kFrameTime : 2 * kFrameTime);
    gst_buffer_unref(packets[i]);
  }
}

std::vector<uint8_t> payload_bytes(const std::vector<GstBuffer *> &packets) {
  std::vector<uint8_t> bytes;
  for (GstBuffer *b : packets) {
    const size_t at = bytes.size();
    bytes.resize(at + gst_buffer_get_size(b));
    gst_buffer_extract(b, 0, bytes.data() + at, gst_buffer_get_size(b));
  }
  return bytes;
}

double rms(const std::vector<int16_t> &pcm) {
  double sum = 0;
  for (int16_t s : pcm) sum += double(s) * s;
  return std::sqrt(sum / double(pcm.size()));
}

TEST(WzpCodec2Packing, PackedPayloadsAreTheSingleFramesBackToBackAndDecodeAlike) {
  const auto input = voice(2 * kRate);
  auto single = encode("frames-per-packet=1", input);
  auto packed = encode("frames-per-packet=4", input);
  EXPECT_EQ(packed.size(), 13u);  // 50 frames: 12 packets of 4 and one of 2
  EXPECT_EQ(payload_bytes(packed), payload_bytes(single));
  // libcodec2 draws unvoiced phases from one process-wide random generator,
  // so two decodes in one process are alike, not bit-identical.
  const auto from_single = decode(single, 0, nullptr);
  const auto from_packed = decode(packed, 0, nullptr);
  ASSERT_EQ(from_single.size(), input.size());
  ASSERT_EQ(from_packed.size(), input.size());
  EXPECT_NEAR(20 * std::log10(rms(from_packed) / rms(from_single)), 0.0, 0.5);
}

TEST(WzpCodec2Packing, ALostPacketIsConcealedFrameByFrame) {
  const auto input = voice(4 * kRate);
  auto packets = encode("frames-per-packet=2", input);
  ASSERT_EQ(packets.size(), 50u);
  guint64 concealed = 0;
  const auto pcm = decode(packets, 5, &concealed);
  EXPECT_EQ(pcm.size(), input.size());  // each lost packet's 80 ms is filled, no more
  EXPECT_EQ(concealed, 2u * 10);        // two frames for each of the 10 lost packets
}

TEST(WzpCodec2Packing, DtxEndsAPacketEarlyAndSidFramesStandAlone) {
  std::vector<int16_t> input = voice(2 * kRate);
  const auto background = noise(4 * kRate, -45.0, 3);
  input.insert(input.end(), background.begin(), background.end());
  auto packets = encode("frames-per-packet=2 dtx=true", input);
  GstClockTime end = 0;
  size_t sids = 0;
  for (GstBuffer *b : packets) {
    const size_t size = gst_buffer_get_size(b);
    EXPECT_TRUE(size == 2 * kFrameBytes || size == kFrameBytes || size == kSidBytes) << size;
    EXPECT_EQ(GST_BUFFER_DURATION(b), (size == 2 * kFrameBytes ? 2 : 1) * kFrameTime);
    EXPECT_GE(GST_BUFFER_PTS(b), end);  // forward, never overlapping
    end = GST_BUFFER_PTS(b) + GST_BUFFER_DURATION(b);
    // Packets of frames start on the 80 ms grid, unless speech resumes.
    if (size == 2 * kFrameBytes) {
      EXPECT_EQ(GST_BUFFER_PTS(b) % (2 * kFrameTime), 0u);
    }
    // After the hangover only SID frames go out.
    if (GST_BUFFER_PTS(b) >= 3 * GST_SECOND) {
      EXPECT_EQ(size, kSidBytes);
    }
    sids += size == kSidBytes;
    gst_buffer_unref(b);
  }
  EXPECT_GE(sids, 7u);
}

TEST(WzpCodec2Packing, PackingChangesWhilePlayingFromTheNextPacket) {
  GstHarness *h = gst_harness_new_parse("wzpcodec2enc mode=1200 frames-per-packet=1");
  gst_harness_set_src_caps_str(h, kRawCaps);
  const auto input = voice(2 * kRate);
  push_pcm(h, std::vector<int16_t>(input.begin(), input.begin() + kRate));
  GstElement *encoder = gst_harness_find_element(h, "wzpcodec2enc");
  g_object_set(encoder, "frames-per-packet", 2, nullptr);
  gst_object_unref(encoder);
  push_pcm(h, std::vector<int16_t>(input.begin() + kRate, input.end()), kRate);
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  GstClockTime end = 0;
  size_t single = 0, packed = 0;
  for (GstBuffer *b : pull_buffers(h)) {
    EXPECT_EQ(GST_BUFFER_PTS(b), end);  // contiguous across the change
    end = GST_BUFFER_PTS(b) + GST_BUFFER_DURATION(b);
    ++(gst_buffer_get_size(b) == kFrameBytes ? single : packed);
    gst_buffer_unref(b);
  }
  EXPECT_EQ(end, 2 * GST_SECOND);
  EXPECT_GE(single, 25u);  // the first second, one frame each
  EXPECT_GE(packed, 12u);  // the second, two each
  gst_harness_teardown(h);
}

TEST(WzpCodec2Packing, FramesPerPacketIsBounded) {
  GstElement *encoder = gst_element_factory_make("wzpcodec2enc", nullptr);
  ASSERT_NE(encoder, nullptr);
  GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(encoder), "frames-per-packet");
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(G_PARAM_SPEC_INT(spec)->minimum, 1);
  EXPECT_EQ(G_PARAM_SPEC_INT(spec)->maximum, 8);
  gst_object_unref(encoder);
}

}  // namespace
