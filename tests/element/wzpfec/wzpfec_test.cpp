// wzpfecenc ! <lossy path> ! wzpfecdec through GstHarness: byte-exact
// recovery under random and bursty loss, timestamps and frame numbers
// restored, gap buffers for lost frames, live property changes, stats.
#include <gst/check/gstharness.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "libwzp/netsim/impairment.hpp"
#include "plugins/gstwzp/wzpmeta.h"
#include "tests/support/harness.hpp"

namespace {

constexpr GstClockTime kFrameDuration = 20 * GST_MSECOND;

std::vector<uint8_t> make_frame(uint32_t n) {
  std::vector<uint8_t> frame(30 + (n * 53) % 140);
  for (size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<uint8_t>(n * 29 + i * 13);
  return frame;
}

// netsim's loss process: independent (mean_burst <= 1) or Gilbert-Elliott
// bursts of the given mean length, at a long-run rate of `loss`.
class LossModel {
 public:
  LossModel(double loss, double mean_burst, uint64_t seed)
      : model_({.loss = loss, .mean_burst = mean_burst, .seed = seed}) {}
  bool lose(size_t bytes) {
    return model_.submit(wzp::netsim::Micros{0}, bytes).drop != wzp::netsim::Verdict::Drop::kNone;
  }

 private:
  wzp::netsim::ImpairmentModel model_;
};

struct Harnesses {
  GstHarness *enc;
  GstHarness *dec;
  Harnesses(const char *enc_props, const char *dec_props = "") {
    std::string enc_desc = std::string("wzpfecenc ") + enc_props;
    std::string dec_desc = std::string("wzpfecdec ") + dec_props;
    enc = gst_harness_new_parse(enc_desc.c_str());
    dec = gst_harness_new_parse(dec_desc.c_str());
    gst_harness_set_src_caps_str(enc, "audio/x-opus, channel-mapping-family=(int)0");
    gst_harness_set_src_caps_str(dec, "application/x-wzp");
  }
  ~Harnesses() {
    gst_harness_teardown(enc);
    gst_harness_teardown(dec);
  }
  GstElement *encoder() { return gst_harness_find_element(enc, "wzpfecenc"); }
  GstElement *decoder() { return gst_harness_find_element(dec, "wzpfecdec"); }
};

void push_frame(GstHarness *h, uint32_t n) {
  auto frame = make_frame(n);
  GstBuffer *buffer = gst_buffer_new_memdup(frame.data(), frame.size());
  GST_BUFFER_PTS(buffer) = n * kFrameDuration;
  GST_BUFFER_DURATION(buffer) = kFrameDuration;
  ASSERT_EQ(gst_harness_push(h, buffer), GST_FLOW_OK);
}

struct Output {
  std::vector<uint8_t> data;
  GstClockTime pts;
  bool gap;
};

// Moves every packet the encoder has produced through the loss model into
// the decoder, then collects the decoder's frames by frame number.
void pump(Harnesses &h, LossModel *loss, std::map<uint32_t, Output> &out, size_t &duplicates) {
  while (GstBuffer *packet = gst_harness_try_pull(h.enc)) {
    if (loss && loss->lose(gst_buffer_get_size(packet))) {
      gst_buffer_unref(packet);
      continue;
    }
    ASSERT_EQ(gst_harness_push(h.dec, packet), GST_FLOW_OK);
  }
  while (GstBuffer *frame = gst_harness_try_pull(h.dec)) {
    WzpHeaderMeta *meta = wzp_buffer_get_header_meta(frame);
    ASSERT_NE(meta, nullptr);
    EXPECT_EQ(meta->header_size, 0u);
    Output o;
    o.gap = GST_BUFFER_FLAG_IS_SET(frame, GST_BUFFER_FLAG_GAP);
    o.pts = GST_BUFFER_PTS(frame);
    GstMapInfo map;
    ASSERT_TRUE(gst_buffer_map(frame, &map, GST_MAP_READ));
    o.data.assign(map.data, map.data + map.size);
    gst_buffer_unmap(frame, &map);
    if (!out.emplace(meta->header.sequence, o).second) ++duplicates;
    gst_buffer_unref(frame);
  }
}

guint64 stat(GstElement *element, const char *field) {
  GstStructure *stats = nullptr;
  g_object_get(element, "stats", &stats, nullptr);
  guint64 value = 0;
  EXPECT_TRUE(gst_structure_get_uint64(stats, field, &value)) << field;
  gst_structure_free(stats);
  return value;
}

struct LossCase {
  const char *name;
  double loss;
  double mean_burst;
  const char *enc_props;
  double min_delivered;  // fraction of frames that must come out
};

class WzpFecLoss : public testing::TestWithParam<LossCase> {};

TEST_P(WzpFecLoss, RecoversFramesByteExact) {
  const LossCase &c = GetParam();
  Harnesses h(c.enc_props);
  LossModel loss(c.loss, c.mean_burst, 1234);
  std::map<uint32_t, Output> out;
  size_t duplicates = 0;
  constexpr uint32_t kFrames = 3000;
  for (uint32_t n = 0; n < kFrames; ++n) {
    push_frame(h.enc, n);
    pump(h, &loss, out, duplicates);
  }
  gst_harness_push_event(h.enc, gst_event_new_eos());
  pump(h, &loss, out, duplicates);
  gst_harness_push_event(h.dec, gst_event_new_eos());
  pump(h, nullptr, out, duplicates);

  EXPECT_EQ(duplicates, 0u) << "each frame number comes out once";
  size_t delivered = 0;
  for (const auto &[number, o] : out) {
    ASSERT_LT(number, kFrames);
    if (o.gap) {
      EXPECT_TRUE(o.data.empty());
      continue;
    }
    ++delivered;
    ASSERT_EQ(o.data, make_frame(number)) << "frame " << number;
    ASSERT_EQ(o.pts, number * kFrameDuration) << "frame " << number;
  }
  double fraction = static_cast<double>(delivered) / kFrames;
  EXPECT_GE(fraction, c.min_delivered) << c.name;
  EXPECT_GT(stat(h.decoder(), "recovered"), 0u);
  EXPECT_EQ(stat(h.decoder(), "received") + stat(h.decoder(), "recovered"), delivered);
  RecordProperty("delivered", std::to_string(fraction));
}

// Without FEC these paths would deliver 90, 70 and 50 % of the frames.
INSTANTIATE_TEST_SUITE_P(
    Paths, WzpFecLoss,
    testing::Values(
        LossCase{"random10", 0.10, 0.0, "max-block-time=1000000000 block-size=10 repair-ratio=0.5",
                 0.995},
        LossCase{"random30", 0.30, 0.0, "max-block-time=1000000000 block-size=10 repair-ratio=1.0",
                 0.98},
        LossCase{"random50", 0.50, 0.0, "max-block-time=1000000000 block-size=10 repair-ratio=2.0",
                 0.95},
        LossCase{"bursty10", 0.10, 3.0,
                 "max-block-time=1000000000 block-size=10 repair-ratio=0.5 interleave-depth=4",
                 0.98},
        LossCase{"bursty30", 0.30, 3.0,
                 "max-block-time=1000000000 block-size=10 repair-ratio=1.0 interleave-depth=4",
                 0.95},
        LossCase{"bursty50", 0.50, 3.0,
                 "max-block-time=1000000000 block-size=10 repair-ratio=2.0 interleave-depth=4",
                 0.90}),
    [](const testing::TestParamInfo<LossCase> &param) { return std::string(param.param.name); });

TEST(WzpFec, PacketsCarryTheWireHeaderAndMeta) {
  Harnesses h("block-size=4 repair-ratio=0.5 stream-id=99");
  for (uint32_t n = 0; n < 4; ++n) push_frame(h.enc, n);
  ASSERT_EQ(gst_harness_buffers_in_queue(h.enc), 6u);
  GstCaps *caps = gst_pad_get_current_caps(h.enc->sinkpad);
  EXPECT_TRUE(gst_caps_is_equal(caps, gst_caps_from_string("application/x-wzp")));
  gst_caps_unref(caps);
  for (uint32_t i = 0; i < 6; ++i) {
    GstBuffer *packet = gst_harness_pull(h.enc);
    WzpHeaderMeta *meta = wzp_buffer_get_header_meta(packet);
    ASSERT_NE(meta, nullptr);
    EXPECT_EQ(meta->header_size, wzp::wire::kFullHeaderSize);
    GstMapInfo map;
    ASSERT_TRUE(gst_buffer_map(packet, &map, GST_MAP_READ));
    wzp::wire::PacketView view;
    ASSERT_EQ(wzp::wire::parse_full({map.data, map.size}, view), wzp::wire::WireError::kOk);
    EXPECT_EQ(view.header, meta->header);
    EXPECT_EQ(view.header.stream_id, 99u);
    EXPECT_EQ(view.header.codec, wzp::wire::codec::kOpus) << "derived from audio/x-opus";
    EXPECT_EQ(view.header.sequence, i);
    EXPECT_EQ(view.header.repair, i >= 4);
    gst_buffer_unmap(packet, &map);
    gst_buffer_unref(packet);
  }
  EXPECT_EQ(stat(h.encoder(), "blocks"), 1u);
  EXPECT_EQ(stat(h.encoder(), "repair-packets"), 2u);
}

TEST(WzpFec, DecoderDerivesCapsAndSendsGapsForLostFrames) {
  Harnesses h("block-size=5 repair-ratio=0.2", "deadline=100000000");
  std::map<uint32_t, Output> out;
  size_t duplicates = 0;
  for (uint32_t n = 0; n < 5; ++n) push_frame(h.enc, n);
  // Lose frames 1 and 2: one repair symbol cannot rebuild two.
  std::vector<GstBuffer *> packets;
  while (GstBuffer *p = gst_harness_try_pull(h.enc)) packets.push_back(p);
  ASSERT_EQ(packets.size(), 6u);
  gst_buffer_unref(packets[1]);
  gst_buffer_unref(packets[2]);
  for (size_t i : {0, 3, 4, 5}) gst_harness_push(h.dec, packets[i]);
  pump(h, nullptr, out, duplicates);
  EXPECT_EQ(out.size(), 3u) << "received frames go out at once; the lost wait for the deadline";
  // Later frames push media time past the deadline (100 ms = 5 frames).
  for (uint32_t n = 5; n < 15; ++n) push_frame(h.enc, n);
  pump(h, nullptr, out, duplicates);
  ASSERT_TRUE(out.count(1) && out.count(2));
  EXPECT_TRUE(out[1].gap);
  EXPECT_TRUE(out[2].gap);
  EXPECT_EQ(out[1].pts, kFrameDuration) << "estimated from the block's frame spacing";
  EXPECT_FALSE(out[3].gap);
  EXPECT_EQ(stat(h.decoder(), "unrecoverable"), 2u);
  EXPECT_EQ(stat(h.decoder(), "blocks-given-up"), 1u);

  GstCaps *caps = gst_pad_get_current_caps(h.dec->sinkpad);
  ASSERT_NE(caps, nullptr);
  EXPECT_STREQ(gst_structure_get_name(gst_caps_get_structure(caps, 0)), "audio/x-opus");
  gst_caps_unref(caps);
}

TEST(WzpFec, RepairRatioChangesWhilePlaying) {
  Harnesses h("block-size=4 repair-ratio=0.25");
  for (uint32_t n = 0; n < 4; ++n) push_frame(h.enc, n);
  EXPECT_EQ(stat(h.encoder(), "repair-packets"), 1u);
  g_object_set(h.encoder(), "repair-ratio", 1.0, "block-size", 2u, nullptr);
  for (uint32_t n = 4; n < 8; ++n) push_frame(h.enc, n);
  EXPECT_EQ(stat(h.encoder(), "blocks"), 3u) << "two blocks of the new size";
  EXPECT_EQ(stat(h.encoder(), "repair-packets"), 1u + 2u + 2u);
}

TEST(WzpFec, DecoderCountsGarbageWithoutOutput) {
  Harnesses h("");
  std::vector<uint8_t> junk{0x40, 1, 2, 3, 4, 5};
  gst_harness_push(h.dec, gst_buffer_new_memdup(junk.data(), junk.size()));
  gst_harness_push(h.dec, gst_buffer_new());
  EXPECT_EQ(gst_harness_buffers_in_queue(h.dec), 0u);
  EXPECT_EQ(stat(h.decoder(), "malformed"), 2u);
}

// A call's audio and video share the connection: behind a tee each decoder
// takes its own media type and never sees the other's packets (whose
// stream ids and sequence numbers would restart its packet counts).
TEST(WzpFec, MediaTakesOneMediaTypeOnly) {
  Harnesses audio("block-size=2 repair-ratio=0.5 stream-id=1", "media=audio");
  Harnesses video("stream-id=3 repair-ratio=1.0", "media=video");
  gst_harness_set_src_caps_str(video.enc, "video/x-av1, stream-format=obu-stream, alignment=tu");
  for (uint32_t n = 0; n < 4; ++n) push_frame(audio.enc, n);
  for (uint32_t n = 0; n < 2; ++n) push_frame(video.enc, n);
  std::vector<GstBuffer *> packets;
  for (GstHarness *enc : {audio.enc, video.enc}) {
    while (GstBuffer *p = gst_harness_try_pull(enc)) packets.push_back(p);
  }
  const guint64 audio_packets = 6;  // 4 frames, 2 repair
  ASSERT_GT(packets.size(), audio_packets);
  for (GstBuffer *p : packets) {
    for (GstHarness *dec : {audio.dec, video.dec}) {
      ASSERT_EQ(gst_harness_push(dec, gst_buffer_ref(p)), GST_FLOW_OK);
    }
    gst_buffer_unref(p);
  }
  EXPECT_EQ(gst_harness_buffers_in_queue(audio.dec), 4u);
  EXPECT_EQ(gst_harness_buffers_in_queue(video.dec), 2u);
  EXPECT_EQ(stat(audio.decoder(), "other-media"), packets.size() - audio_packets);
  EXPECT_EQ(stat(audio.decoder(), "packets-arrived"), audio_packets);
  EXPECT_EQ(stat(audio.decoder(), "foreign-stream"), 0u);
  EXPECT_EQ(stat(video.decoder(), "other-media"), audio_packets);
  EXPECT_EQ(stat(video.decoder(), "foreign-stream"), 0u);
}

TEST(WzpFec, CapsPropertyOverridesDerivedCaps) {
  Harnesses h("codec-id=0", "caps=\"audio/x-raw-test\"");
  for (uint32_t n = 0; n < 2; ++n) push_frame(h.enc, n);
  std::map<uint32_t, Output> out;
  size_t duplicates = 0;
  pump(h, nullptr, out, duplicates);
  EXPECT_EQ(out.size(), 2u);
  GstCaps *caps = gst_pad_get_current_caps(h.dec->sinkpad);
  ASSERT_NE(caps, nullptr);
  EXPECT_STREQ(gst_structure_get_name(gst_caps_get_structure(caps, 0)), "audio/x-raw-test");
  gst_caps_unref(caps);
}

}  // namespace

namespace {

GstPadProbeReturn count_buffer(GstPad *, GstPadProbeInfo *, gpointer counter) {
  ++*static_cast<guint *>(counter);
  return GST_PAD_PROBE_OK;
}

// The lossy path of a pipeline: drops the packets a seeded LossModel loses,
// so every run loses the same ones (identity's drop-probability is unseeded).
GstPadProbeReturn lossy_path(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *model = static_cast<LossModel *>(data);
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_BUFFER) {
    return model->lose(gst_buffer_get_size(GST_PAD_PROBE_INFO_BUFFER(info))) ? GST_PAD_PROBE_DROP
                                                                             : GST_PAD_PROBE_OK;
  }
  GstBufferList *list = gst_buffer_list_make_writable(GST_PAD_PROBE_INFO_BUFFER_LIST(info));
  GST_PAD_PROBE_INFO_DATA(info) = list;
  for (guint i = 0; i < gst_buffer_list_length(list);) {
    if (model->lose(gst_buffer_get_size(gst_buffer_list_get(list, i)))) {
      gst_buffer_list_remove(list, i, 1);
    } else {
      ++i;
    }
  }
  return gst_buffer_list_length(list) == 0 ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

// A real pipeline: Opus frames through FEC (`fec`: wzpfecenc's settings)
// and a path losing 20 % of the packets, decoded by opusdec (which conceals
// any gap buffers).
void run_opus_through_a_lossy_path(const std::string &fec) {
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(
      ("audiotestsrc num-buffers=300 samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=1 ! "
       "opusenc frame-size=20 ! wzpfecenc name=enc " +
       fec + " ! wzpfecdec name=dec ! opusdec ! fakesink name=sink")
          .c_str(),
      &error);
  ASSERT_EQ(error, nullptr) << error->message;
  LossModel loss(0.2, 1.0, 20);
  GstElement *enc = gst_bin_get_by_name(GST_BIN(pipeline), "enc");
  GstPad *enc_src = gst_element_get_static_pad(enc, "src");
  gst_pad_add_probe(
      enc_src,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      lossy_path, &loss, nullptr);
  gst_object_unref(enc_src);
  gst_object_unref(enc);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad(sink, "sink");
  guint decoded = 0;
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &decoded, nullptr);
  ASSERT_NE(gst_element_set_state(pipeline, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  wzp::test::expect_eos(pipeline, 60 * GST_SECOND);

  GstElement *dec = gst_bin_get_by_name(GST_BIN(pipeline), "dec");
  guint64 delivered = stat(dec, "received") + stat(dec, "recovered");
  EXPECT_GT(stat(dec, "recovered"), 0u);
  EXPECT_GE(delivered, 270u) << "20 % loss, ratio 1: nearly every frame";
  EXPECT_GE(decoded, delivered) << "opusdec decoded every frame (and concealed gaps)";
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(dec);
  gst_object_unref(pad);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
}

TEST(WzpFec, OpusPipelineThroughALossyPath) {
  run_opus_through_a_lossy_path("block-size=10 repair-ratio=1.0");
}

// The same with a sliding window: every frame followed by its repair over the
// last four frames, on the wire and back.
TEST(WzpFec, OpusPipelineThroughALossyPathWithASlidingWindow) {
  run_opus_through_a_lossy_path("window-frames=4 repair-ratio=1.0");
}

}  // namespace
