// wzpjitterbuffer through GstHarness on a GstTestClock: the clock moves only
// when a test moves it, so every playout time is exact.
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "tests/element/wzpjitter/frames.hpp"
#include "tests/support/harness.hpp"

namespace wzp::test {
namespace {

constexpr GstClockTime kMs = GST_MSECOND;

GstHarness *make_harness(const char *launch = "wzpjitterbuffer name=jb") {
  GstHarness *h = gst_harness_new_parse(launch);
  gst_harness_set_src_caps_str(h, "audio/x-opus, channel-mapping-family=(int)0");
  gst_harness_set_upstream_latency(h, 0);
  gst_harness_play(h);
  return h;
}

// Releases the element's next clock wait and returns the time it was for.
GstClockTime crank(GstHarness *h) {
  GstTestClock *clock = gst_harness_get_testclock(h);
  GstClockID id = nullptr;
  gst_test_clock_wait_for_next_pending_id(clock, &id);
  GstClockTime at = gst_clock_id_get_time(id);
  gst_clock_id_unref(id);
  gst_object_unref(clock);
  EXPECT_TRUE(gst_harness_crank_single_clock_wait(h));
  return at;
}

TEST(WzpJitterBuffer, PlaysFramesInOrderAtTheStartDelay) {
  GstHarness *h = make_harness();
  arrive(h, 0, make_frame(100));
  arrive(h, 20 * kMs, make_frame(102));
  arrive(h, 25 * kMs, make_frame(101));
  for (guint i = 0; i < 3; ++i) {
    EXPECT_EQ(crank(h), 80 * kMs + i * kFrame);
    GstBuffer *out = gst_harness_pull(h);
    ASSERT_NE(out, nullptr);
    // PTS + reported latency (80 ms) = the playout time.
    EXPECT_EQ(GST_BUFFER_PTS(out), i * kFrame);
    EXPECT_EQ(GST_BUFFER_DURATION(out), kFrame);
    EXPECT_EQ(wzp_buffer_get_header_meta(out)->header.sequence, 100 + i);
    EXPECT_EQ(GST_BUFFER_FLAG_IS_SET(out, GST_BUFFER_FLAG_DISCONT), i == 0);
    gst_buffer_unref(out);
  }
  EXPECT_EQ(element_stat(h, "wzpjitterbuffer", "played"), 3u);
  EXPECT_EQ(element_stat(h, "wzpjitterbuffer", "reordered"), 1u);
  gst_harness_teardown(h);
}

TEST(WzpJitterBuffer, AMissingFrameBecomesAGapEvent) {
  // At its delay limit the element cannot wait for a missing frame.
  GstHarness *h = make_harness("wzpjitterbuffer name=jb max-latency=80");
  arrive(h, 0, make_frame(0));
  arrive(h, 20 * kMs, make_frame(1));
  arrive(h, 60 * kMs, make_frame(3));
  crank(h);
  crank(h);
  gst_buffer_unref(gst_harness_pull(h));
  gst_buffer_unref(gst_harness_pull(h));
  EXPECT_EQ(crank(h), 120 * kMs);
  GstEvent *gap = pull_flow_event(h);
  ASSERT_NE(gap, nullptr);
  ASSERT_EQ(GST_EVENT_TYPE(gap), GST_EVENT_GAP);
  GstClockTime pts, duration;
  gst_event_parse_gap(gap, &pts, &duration);
  EXPECT_EQ(pts, 40 * kMs);
  EXPECT_EQ(duration, kFrame);
  gst_event_unref(gap);
  crank(h);
  GstBuffer *out = gst_harness_pull(h);
  EXPECT_EQ(GST_BUFFER_PTS(out), 60 * kMs);
  gst_buffer_unref(out);
  // Frame 2 turns up after its time: counted late, not played.
  arrive(h, 150 * kMs, make_frame(2));
  EXPECT_EQ(element_stat(h, "wzpjitterbuffer", "late"), 1u);
  EXPECT_EQ(element_stat(h, "wzpjitterbuffer", "concealed"), 1u);
  EXPECT_EQ(gst_harness_buffers_in_queue(h), 0u);
  gst_harness_teardown(h);
}

TEST(WzpJitterBuffer, AnswersTheLatencyQuery) {
  GstHarness *h = make_harness();
  EXPECT_EQ(gst_harness_query_latency(h), 80 * kMs);
  gst_harness_set_upstream_latency(h, 30 * kMs);
  EXPECT_EQ(gst_harness_query_latency(h), 110 * kMs);
  gst_harness_teardown(h);
}

TEST(WzpJitterBuffer, FixedModeHoldsTheConfiguredLatency) {
  GstHarness *h = gst_harness_new_parse("wzpjitterbuffer name=jb mode=fixed latency=200");
  gst_harness_set_src_caps_str(h, "audio/x-opus");
  gst_harness_set_upstream_latency(h, 0);
  gst_harness_play(h);
  EXPECT_EQ(gst_harness_query_latency(h), 200 * kMs);
  arrive(h, 0, make_frame(7));
  EXPECT_EQ(crank(h), 200 * kMs);
  gst_buffer_unref(gst_harness_pull(h));
  EXPECT_EQ(element_stat(h, "wzpjitterbuffer", "target-delay"), 200 * kMs);
  gst_harness_teardown(h);
}

// A steady path: after a silence gap the delay drops to what the path needs.
// The reported latency stays what it was when output began: the output
// times move instead, and the silence before the talkspurt is that much
// shorter, so a sink playing the samples in a row plays the talkspurt at
// its new delay.
TEST(WzpJitterBuffer, DelayAdaptsAtASilenceGapAndTheOutputTimesFollow) {
  GstHarness *h = make_harness();
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(h->element, bus);
  uint32_t sequence = 0;
  GstTestClock *clock = gst_harness_get_testclock(h);
  // Waits until the element is parked on its next clock wait. The buffer
  // always has something due in this test, so a wait always comes.
  auto settle = [&] { gst_test_clock_wait_for_next_pending_id(clock, nullptr); };
  std::optional<GstClockTime> talkspurt_pts;
  std::vector<GstClockTime> gap_ends;
  auto talk = [&](int frames, uint32_t first_slot) {
    for (int i = 0; i < frames; ++i) {
      GstClockTime arrival = (first_slot + i) * kFrame + 10 * kMs;
      // Play out everything due before this arrival.
      for (;;) {
        GstClockID id = nullptr;
        // Before the first frame nothing waits.
        if (!gst_test_clock_peek_next_pending_id(clock, &id)) break;
        GstClockTime at = gst_clock_id_get_time(id);
        gst_clock_id_unref(id);
        if (at > arrival) break;
        ASSERT_TRUE(gst_harness_crank_single_clock_wait(h));
        settle();
      }
      while (GstBuffer *b = gst_harness_try_pull(h)) {
        if (!talkspurt_pts && GST_BUFFER_IS_DISCONT(b)) talkspurt_pts = GST_BUFFER_PTS(b);
        gst_buffer_unref(b);
      }
      while (GstEvent *e = gst_harness_try_pull_event(h)) {
        if (GST_EVENT_TYPE(e) == GST_EVENT_GAP) {
          GstClockTime start, duration;
          gst_event_parse_gap(e, &start, &duration);
          gap_ends.push_back(start + duration);
        }
        gst_event_unref(e);
      }
      GstBuffer *frame = make_frame(sequence++);
      // DTX: the timestamp follows the slot, the sequence does not skip.
      wzp_buffer_get_header_meta(frame)->header.timestamp = (first_slot + i) * kTicks;
      arrive(h, arrival, frame);
      settle();
    }
  };
  talk(100, 0);
  EXPECT_EQ(gst_harness_query_latency(h), 80 * kMs);
  talkspurt_pts.reset();
  talk(20, 140);  // after 800 ms of silence
  EXPECT_EQ(gst_harness_query_latency(h), 80 * kMs);
  EXPECT_EQ(element_stat(h, "wzpjitterbuffer", "target-delay"), 20 * kMs);
  // Captured at 2800 ms, 10 ms on the way, played 20 ms after that; it
  // leaves 80 ms (the latency) earlier, where the silence's fill ends.
  ASSERT_TRUE(talkspurt_pts.has_value());
  EXPECT_EQ(*talkspurt_pts, (2800 + 10 + 20 - 80) * kMs);
  EXPECT_NE(std::find(gap_ends.begin(), gap_ends.end(), *talkspurt_pts), gap_ends.end());

  bool target_message = false;
  while (GstMessage *m = gst_bus_pop(bus)) {
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ELEMENT &&
        gst_structure_has_name(gst_message_get_structure(m), "wzp-jitter-target")) {
      target_message = true;
    }
    gst_message_unref(m);
  }
  EXPECT_TRUE(target_message);
  EXPECT_EQ(element_stat(h, "wzpjitterbuffer", "late"), 0u);
  gst_element_set_bus(h->element, nullptr);
  gst_object_unref(bus);
  gst_object_unref(clock);
  gst_harness_teardown(h);
}

TEST(WzpJitterBuffer, FloodsOfDuplicatesAndFarFutureFramesAreCountedAndBounded) {
  GstHarness *h = make_harness();
  arrive(h, 0, make_frame(10));
  for (int i = 0; i < 2000; ++i) gst_harness_push(h, make_frame(10));
  for (uint32_t i = 0; i < 2000; ++i) gst_harness_push(h, make_frame(1'000'000 + i * 7919));
  EXPECT_EQ(element_stat(h, "wzpjitterbuffer", "duplicates"), 2000u);
  EXPECT_EQ(element_stat(h, "wzpjitterbuffer", "dropped"), 2000u);
  // No stall: the stream plays on.
  arrive(h, 20 * kMs, make_frame(11));
  crank(h);
  crank(h);
  GstBuffer *first = gst_harness_pull(h);
  GstBuffer *second = gst_harness_pull(h);
  EXPECT_EQ(wzp_buffer_get_header_meta(second)->header.sequence, 11u);
  gst_buffer_unref(first);
  gst_buffer_unref(second);
  gst_harness_teardown(h);
}

TEST(WzpJitterBuffer, ANewStreamIdStartsOver) {
  GstHarness *h = make_harness();
  arrive(h, 0, make_frame(5, {0xfc}, 1));
  arrive(h, 10 * kMs, make_frame(900, {0xfc}, 2));
  EXPECT_EQ(crank(h), 90 * kMs);
  GstBuffer *out = gst_harness_pull(h);
  EXPECT_EQ(wzp_buffer_get_header_meta(out)->header.stream_id, 2u);
  gst_buffer_unref(out);
  EXPECT_EQ(element_stat(h, "wzpjitterbuffer", "restarts"), 1u);
  gst_harness_teardown(h);
}

TEST(WzpJitterBuffer, AFlushForgetsHeldFramesAndStartsOver) {
  GstHarness *h = make_harness();
  arrive(h, 0, make_frame(0));
  arrive(h, 20 * kMs, make_frame(1));
  EXPECT_TRUE(gst_harness_push_event(h, gst_event_new_flush_start()));
  EXPECT_EQ(gst_harness_push(h, make_frame(2)), GST_FLOW_FLUSHING);
  EXPECT_TRUE(gst_harness_push_event(h, gst_event_new_flush_stop(TRUE)));
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  gst_harness_push_event(h, gst_event_new_segment(&segment));
  arrive(h, 40 * kMs, make_frame(500));
  EXPECT_EQ(crank(h), 120 * kMs);
  GstBuffer *out = gst_harness_pull(h);
  EXPECT_EQ(wzp_buffer_get_header_meta(out)->header.sequence, 500u);
  gst_buffer_unref(out);
  EXPECT_EQ(gst_harness_buffers_received(h), 1u);
  gst_harness_teardown(h);
}

TEST(WzpJitterBuffer, EosPlaysOutWhatIsHeld) {
  GstHarness *h = make_harness();
  arrive(h, 0, make_frame(0));
  arrive(h, 20 * kMs, make_frame(1));
  gst_harness_push_event(h, gst_event_new_eos());
  crank(h);
  gst_buffer_unref(gst_harness_pull(h));
  crank(h);
  gst_buffer_unref(gst_harness_pull(h));
  GstEvent *eos = pull_flow_event(h);
  ASSERT_NE(eos, nullptr);
  EXPECT_EQ(GST_EVENT_TYPE(eos), GST_EVENT_EOS);
  gst_event_unref(eos);
  gst_harness_teardown(h);
}

}  // namespace
}  // namespace wzp::test
