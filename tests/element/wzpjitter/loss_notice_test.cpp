// wzpfecdec's loss notices (empty buffers flagged GAP: the frame is lost for
// good) leave wzpjitterbuffer as GAP events at the frame's time, because
// decoders drop an empty buffer without concealing it, flagged
// MISSING_DATA so a video decoder knows a reference is gone.
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include <gtest/gtest.h>

#include "tests/element/wzpjitter/frames.hpp"
#include "tests/support/harness.hpp"

namespace wzp::test {
namespace {

// As wzpfecdec sends it: no payload, the frame's header meta, flagged GAP.
GstBuffer *loss_notice(uint32_t sequence) {
  GstBuffer *frame = make_frame(sequence);
  GstBuffer *buffer = gst_buffer_new();
  wzp_buffer_set_header_meta(buffer, wzp_buffer_get_header_meta(frame)->header, nullptr, 0);
  gst_buffer_unref(frame);
  GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_GAP);
  return buffer;
}

TEST(WzpJitterBufferLossNotice, BecomesAGapEventAtTheFramesTime) {
  GstHarness *h = gst_harness_new("wzpjitterbuffer");
  gst_harness_set_src_caps_str(h, "audio/x-opus, channel-mapping-family=(int)0");
  gst_harness_set_upstream_latency(h, 0);
  gst_harness_play(h);
  arrive(h, 0, make_frame(0));
  arrive(h, 5 * GST_MSECOND, loss_notice(1));
  arrive(h, 40 * GST_MSECOND, make_frame(2));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(gst_harness_crank_single_clock_wait(h));
  gst_buffer_unref(gst_harness_pull(h));
  GstEvent *gap = pull_flow_event(h);
  ASSERT_NE(gap, nullptr);
  ASSERT_EQ(GST_EVENT_TYPE(gap), GST_EVENT_GAP);
  GstClockTime pts, duration;
  gst_event_parse_gap(gap, &pts, &duration);
  EXPECT_EQ(pts, kFrame);
  EXPECT_EQ(duration, kFrame);
  // The frame is gone, not late: a video decoder waits for a keyframe.
  GstGapFlags flags = static_cast<GstGapFlags>(0);
  gst_event_parse_gap_flags(gap, &flags);
  EXPECT_TRUE(flags & GST_GAP_FLAG_MISSING_DATA);
  gst_event_unref(gap);
  GstBuffer *next = gst_harness_pull(h);
  EXPECT_EQ(wzp_buffer_get_header_meta(next)->header.sequence, 2u);
  EXPECT_GT(gst_buffer_get_size(next), 0u);
  gst_buffer_unref(next);
  EXPECT_EQ(gst_harness_buffers_in_queue(h), 0u) << "the notice itself never leaves";
  EXPECT_EQ(element_stat(h, "wzpjitterbuffer", "played"), 2u);
  EXPECT_EQ(element_stat(h, "wzpjitterbuffer", "concealed"), 1u);
  // A notice that comes after its frame's time was concealed already: not late.
  arrive(h, 200 * GST_MSECOND, loss_notice(1));
  EXPECT_EQ(element_stat(h, "wzpjitterbuffer", "late"), 0u);
  gst_harness_teardown(h);
}

}  // namespace
}  // namespace wzp::test
