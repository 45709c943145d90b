// DTX through wzpjitterbuffer on a GstTestClock: while the sender is silent
// the element conceals with GAP events; when speech resumes the talkspurt may
// start later than the last GAP reached. The output timeline (PTS) must still
// have no hole, or the decoder and sink see missing time.
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include <gtest/gtest.h>

#include "tests/element/wzpjitter/frames.hpp"

namespace wzp::test {
namespace {

struct Timeline {
  GstClockTime gap_end = GST_CLOCK_TIME_NONE;  // end of the last GAP event
  GstClockTime first_buffer = GST_CLOCK_TIME_NONE;
  int gaps = 0;
};

// Releases the element's clock waits due before `until` and records what
// comes out. Stops early once a buffer came out, when `stop_at_buffer`.
void play_until(GstHarness *h, GstClockTime until, Timeline &out, bool stop_at_buffer) {
  GstTestClock *clock = gst_harness_get_testclock(h);
  for (;;) {
    GstClockID id = nullptr;
    gst_test_clock_wait_for_next_pending_id(clock, &id);
    GstClockTime at = gst_clock_id_get_time(id);
    gst_clock_id_unref(id);
    if (at >= until) break;
    ASSERT_TRUE(gst_harness_crank_single_clock_wait(h));
    gst_test_clock_wait_for_next_pending_id(clock, nullptr);
    while (GstEvent *e = gst_harness_try_pull_event(h)) {
      if (GST_EVENT_TYPE(e) == GST_EVENT_GAP) {
        GstClockTime pts, duration;
        gst_event_parse_gap(e, &pts, &duration);
        out.gap_end = pts + duration;
        ++out.gaps;
      }
      gst_event_unref(e);
    }
    bool played = false;
    while (GstBuffer *b = gst_harness_try_pull(h)) {
      if (out.first_buffer == GST_CLOCK_TIME_NONE) out.first_buffer = GST_BUFFER_PTS(b);
      played = true;
      gst_buffer_unref(b);
    }
    if (played && stop_at_buffer) break;
  }
  gst_object_unref(clock);
}

TEST(WzpJitterBufferDtx, TheTalkspurtAfterSilenceStartsWhereTheLastGapEnded) {
  GstHarness *h = gst_harness_new_parse("wzpjitterbuffer name=jb");
  gst_harness_set_src_caps_str(h, "audio/x-opus, channel-mapping-family=(int)0");
  gst_harness_set_upstream_latency(h, 0);
  gst_harness_play(h);
  // Ten 20 ms frames, 10 ms in transit.
  for (uint32_t i = 0; i < 10; ++i) arrive(h, i * kFrame + 10 * GST_MSECOND, make_frame(i));
  Timeline speech;
  play_until(h, 10 * kFrame + 10 * GST_MSECOND, speech, false);
  // DTX: 400 ms not sent, the next sequence number, and the frame 60 ms
  // later than the others.
  constexpr uint32_t kResumeSlot = 10 + 20;
  GstClockTime arrival = kResumeSlot * kFrame + 70 * GST_MSECOND;
  Timeline silence;
  play_until(h, arrival, silence, false);
  ASSERT_GT(silence.gaps, 0);  // the silence was concealed up to the arrival
  GstBuffer *resumed = make_frame(10);
  wzp_buffer_get_header_meta(resumed)->header.timestamp = kResumeSlot * kTicks;
  arrive(h, arrival, resumed);
  Timeline talk;
  talk.gap_end = silence.gap_end;
  play_until(h, G_MAXUINT64, talk, true);

  ASSERT_NE(talk.first_buffer, GST_CLOCK_TIME_NONE);
  EXPECT_EQ(talk.first_buffer, talk.gap_end);
  gst_harness_teardown(h);
}

}  // namespace
}  // namespace wzp::test
