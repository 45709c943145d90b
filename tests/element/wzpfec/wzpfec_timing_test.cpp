// wzpfecenc's group deadline on the pipeline clock (a GstTestClock here) and
// codec switches mid-stream: new input caps close the open group, and
// wzpfecdec sends new caps in order with the frames.
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "plugins/gstwzp/wzpmeta.h"

namespace {

constexpr GstClockTime kFrame = 20 * GST_MSECOND;
constexpr const char *kOpusCaps = "audio/x-opus, channel-mapping-family=(int)0";
constexpr const char *kCodec2Caps = "audio/x-codec2, mode=(string)1200";

void push_sized_frame(GstHarness *h, uint32_t n) {
  std::vector<uint8_t> frame(20 + n % 7, static_cast<uint8_t>(n));
  GstBuffer *buffer = gst_buffer_new_memdup(frame.data(), frame.size());
  GST_BUFFER_PTS(buffer) = n * kFrame;
  GST_BUFFER_DURATION(buffer) = kFrame;
  ASSERT_EQ(gst_harness_push(h, buffer), GST_FLOW_OK);
}

wzp::wire::MediaHeader header_of(GstBuffer *packet) {
  WzpHeaderMeta *meta = wzp_buffer_get_header_meta(packet);
  EXPECT_NE(meta, nullptr);
  return meta ? meta->header : wzp::wire::MediaHeader{};
}

guint64 stat(GstHarness *h, const char *element, const char *field) {
  GstStructure *stats = nullptr;
  g_object_get(gst_harness_find_element(h, element), "stats", &stats, nullptr);
  guint64 value = 0;
  EXPECT_TRUE(gst_structure_get_uint64(stats, field, &value)) << field;
  gst_structure_free(stats);
  return value;
}

// The running time the element's next clock wait is for, or NONE if it
// starts none within a second.
GstClockTime pending_wait(GstHarness *h) {
  GstTestClock *clock = gst_harness_get_testclock(h);
  GstClockTime at = GST_CLOCK_TIME_NONE;
  if (gst_test_clock_timed_wait_for_multiple_pending_ids(clock, 1, 1000, nullptr)) {
    GstClockID id = nullptr;
    if (gst_test_clock_peek_next_pending_id(clock, &id)) {
      at = gst_clock_id_get_time(id);
      gst_clock_id_unref(id);
    }
  }
  gst_object_unref(clock);
  return at;
}

TEST(WzpFecEncDeadline, ClosesTheLastGroupOfATalkSpurtOnTheClock) {
  GstHarness *h =
      gst_harness_new_parse("wzpfecenc block-size=5 repair-ratio=1.0 max-block-time=100000000");
  gst_harness_set_src_caps_str(h, kOpusCaps);
  push_sized_frame(h, 0);
  push_sized_frame(h, 1);
  ASSERT_EQ(gst_harness_buffers_in_queue(h), 2u) << "sources leave at once";
  // The spurt ends: no frame comes to close the group. It is due when a
  // frame 100 ms after its first would have arrived, one frame later.
  ASSERT_EQ(pending_wait(h), 120 * GST_MSECOND);
  ASSERT_TRUE(gst_harness_crank_single_clock_wait(h));
  for (int i = 0; i < 4; ++i) gst_buffer_unref(gst_harness_pull(h));  // 2 sources, 2 repairs
  GstBuffer *repair = gst_harness_try_pull(h);
  EXPECT_EQ(repair, nullptr) << "a block of 2 frames at ratio 1 has 2 repair packets";
  if (repair) gst_buffer_unref(repair);
  EXPECT_EQ(stat(h, "wzpfecenc", "repair-packets"), 2u);
  EXPECT_EQ(stat(h, "wzpfecenc", "deadline-closes"), 1u);
  // The next spurt opens a new group with its own deadline.
  push_sized_frame(h, 50);
  EXPECT_EQ(pending_wait(h), 50 * kFrame + 120 * GST_MSECOND);
  gst_harness_teardown(h);
}

TEST(WzpFecEncDeadline, AGroupClosedByItsFramesIsNotClosedAgain) {
  GstHarness *h =
      gst_harness_new_parse("wzpfecenc block-size=2 repair-ratio=1.0 max-block-time=40000000");
  gst_harness_set_src_caps_str(h, kOpusCaps);
  push_sized_frame(h, 0);
  ASSERT_EQ(pending_wait(h), 60 * GST_MSECOND);
  push_sized_frame(h, 1);  // the group is full: closed with its repair
  push_sized_frame(h, 2);  // opens the next group, due at 100 ms
  // The wait for the closed group's deadline runs out (ending it early
  // would wake the task once more per group) and closes nothing.
  ASSERT_EQ(pending_wait(h), 60 * GST_MSECOND);
  ASSERT_TRUE(gst_harness_crank_single_clock_wait(h));
  EXPECT_EQ(pending_wait(h), 100 * GST_MSECOND) << "then the open group's deadline";
  EXPECT_EQ(stat(h, "wzpfecenc", "deadline-closes"), 0u);
  ASSERT_TRUE(gst_harness_crank_single_clock_wait(h));
  for (int i = 0; i < 3 + 2 + 1; ++i) gst_buffer_unref(gst_harness_pull(h));
  EXPECT_EQ(stat(h, "wzpfecenc", "blocks"), 2u);
  EXPECT_EQ(stat(h, "wzpfecenc", "deadline-closes"), 1u);
  gst_harness_teardown(h);
}

TEST(WzpFecCodecSwitch, NewCapsCloseTheOpenGroupSoNoBlockMixesCodecs) {
  GstHarness *h = gst_harness_new_parse("wzpfecenc block-size=5 repair-ratio=1.0");
  gst_harness_set_src_caps_str(h, kOpusCaps);
  push_sized_frame(h, 0);
  push_sized_frame(h, 1);
  gst_harness_set_src_caps_str(h, kCodec2Caps);
  push_sized_frame(h, 2);
  push_sized_frame(h, 3);
  std::vector<wzp::wire::MediaHeader> headers;
  while (GstBuffer *packet = gst_harness_try_pull(h)) {
    headers.push_back(header_of(packet));
    gst_buffer_unref(packet);
  }
  ASSERT_EQ(headers.size(), 6u) << "2 Opus sources, their 2 repairs, 2 Codec2 sources";
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(headers[i].codec, wzp::wire::codec::kOpus) << i;
    EXPECT_EQ(headers[i].block_id, headers[0].block_id) << i;
    EXPECT_EQ(headers[i].repair, i >= 2) << i;
  }
  for (size_t i = 4; i < 6; ++i) {
    EXPECT_EQ(headers[i].codec, wzp::wire::codec::kCodec2_1200) << i;
    EXPECT_NE(headers[i].block_id, headers[0].block_id) << i;
    EXPECT_FALSE(headers[i].repair) << i;
  }
  gst_harness_teardown(h);
}

// Records what reaches the harness's sink pad, in order (its chain_list
// passes a list's buffers one by one).
GstPadProbeReturn record(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *log = static_cast<std::vector<std::string> *>(data);
  if ((info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) &&
      GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_CAPS) {
    GstCaps *caps;
    gst_event_parse_caps(GST_PAD_PROBE_INFO_EVENT(info), &caps);
    log->push_back(gst_structure_get_name(gst_caps_get_structure(caps, 0)));
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    log->push_back("frame " + std::to_string(header_of(GST_PAD_PROBE_INFO_BUFFER(info)).sequence));
  }
  return GST_PAD_PROBE_OK;
}

TEST(WzpFecCodecSwitch, DecoderSendsNewCapsInOrderWithTheFrames) {
  GstHarness *enc = gst_harness_new_parse("wzpfecenc block-size=3 repair-ratio=1.0");
  GstHarness *dec = gst_harness_new("wzpfecdec");
  gst_harness_set_src_caps_str(enc, kOpusCaps);
  gst_harness_set_src_caps_str(dec, "application/x-wzp");
  std::vector<std::string> log;
  gst_pad_add_probe(
      dec->sinkpad,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST |
                                   GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      record, &log, nullptr);
  push_sized_frame(enc, 0);
  push_sized_frame(enc, 1);
  gst_harness_set_src_caps_str(enc, kCodec2Caps);
  push_sized_frame(enc, 2);
  push_sized_frame(enc, 3);
  gst_harness_set_src_caps_str(enc, kOpusCaps);
  push_sized_frame(enc, 4);
  gst_harness_push_event(enc, gst_event_new_eos());
  // Lose frame 1's source packet: the decoder recovers it from the Opus block's
  // repair, which travels after the Codec2 frames' sources.
  std::vector<GstBuffer *> packets;
  while (GstBuffer *packet = gst_harness_try_pull(enc)) packets.push_back(packet);
  ASSERT_EQ(packets.size(), 2u + 2u + 2u + 2u + 1u + 1u);
  std::swap(packets[2], packets[4]);  // Codec2 frame 2's source before the Opus repairs
  gst_buffer_unref(packets[1]);
  for (size_t i = 0; i < packets.size(); ++i) {
    if (i == 1) continue;
    ASSERT_EQ(gst_harness_push(dec, packets[i]), GST_FLOW_OK);
  }
  std::vector<std::string> expected{"audio/x-opus", "frame 0", "audio/x-codec2", "frame 2",
                                    "audio/x-opus", "frame 1", "audio/x-codec2", "frame 3",
                                    "audio/x-opus", "frame 4"};
  EXPECT_EQ(log, expected);
  gst_harness_teardown(enc);
  gst_harness_teardown(dec);
}

}  // namespace
