// A codec switch through wzpjitterbuffer: new caps arrive while frames of the
// old codec still wait for their playout time (and one of them arrives after
// the new caps, as an FEC-recovered frame does); downstream must see each
// caps event right before the first frame of its codec.
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/element/wzpjitter/frames.hpp"

namespace wzp::test {
namespace {

constexpr const char *kOpusCaps = "audio/x-opus, channel-mapping-family=(int)0";
constexpr const char *kCodec2Caps = "audio/x-codec2, mode=(string)1200";

GstBuffer *frame_of_codec(uint32_t sequence, uint8_t codec) {
  GstBuffer *buffer = make_frame(sequence);
  wzp_buffer_get_header_meta(buffer)->header.codec = codec;
  return buffer;
}

GstPadProbeReturn record(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *log = static_cast<std::vector<std::string> *>(data);
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(event) == GST_EVENT_CAPS) {
      GstCaps *caps;
      gst_event_parse_caps(event, &caps);
      log->push_back(gst_structure_get_name(gst_caps_get_structure(caps, 0)));
    } else if (GST_EVENT_TYPE(event) == GST_EVENT_GAP) {
      log->push_back("gap");
    }
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
    log->push_back("frame " + std::to_string(wzp_buffer_get_header_meta(buffer)->header.sequence));
  }
  return GST_PAD_PROBE_OK;
}

TEST(WzpJitterBufferCaps, EachCapsEventLeavesWithTheFirstFrameOfItsCodec) {
  // In a stream's first seconds the buffer would wait (expand) up to 350 ms
  // for frame 4; a delay capped at the 80 ms start delay gives it up at its
  // time. The gap is what this test is about, not how long it is waited for.
  GstHarness *h = gst_harness_new_parse("wzpjitterbuffer max-latency=80");
  gst_harness_set_upstream_latency(h, 0);
  gst_harness_play(h);
  std::vector<std::string> log;
  gst_pad_add_probe(
      h->sinkpad,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      record, &log, nullptr);
  constexpr uint8_t kCodec2 = wzp::wire::codec::kCodec2_1200;
  // Everything arrives within the 80 ms start delay, in wzpfecdec's order.
  gst_harness_set_src_caps_str(h, kOpusCaps);
  arrive(h, 0, frame_of_codec(0, wzp::wire::codec::kOpus));
  gst_harness_set_src_caps_str(h, kCodec2Caps);
  arrive(h, 1 * GST_MSECOND, frame_of_codec(2, kCodec2));
  gst_harness_set_src_caps_str(h, kOpusCaps);
  arrive(h, 2 * GST_MSECOND, frame_of_codec(1, wzp::wire::codec::kOpus));  // recovered late
  gst_harness_set_src_caps_str(h, kCodec2Caps);
  arrive(h, 3 * GST_MSECOND, frame_of_codec(3, kCodec2));
  arrive(h, 4 * GST_MSECOND, frame_of_codec(5, kCodec2));  // 4 never comes
  EXPECT_TRUE(log.empty()) << "nothing leaves before its playout time";
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(gst_harness_crank_single_clock_wait(h));
  for (int i = 0; i < 5; ++i) gst_buffer_unref(gst_harness_pull(h));
  std::vector<std::string> expected{"audio/x-opus", "frame 0", "frame 1", "audio/x-codec2",
                                    "frame 2",      "frame 3", "gap",     "frame 5"};
  EXPECT_EQ(log, expected);
  gst_harness_teardown(h);
}

}  // namespace
}  // namespace wzp::test
