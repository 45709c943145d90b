#include "bench/jitter/element_driver.hpp"

#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>

#include <algorithm>
#include <unordered_map>

#include "plugins/gstwzp/wzpmeta.h"

namespace wzp::bench {

namespace {

constexpr int64_t kMs = 1'000'000;
// Simulated time moves in steps of at most kStepNs; after every push or
// released wait the driver pauses kSettleUs of real time so the element's
// threads catch up. Timing errors stay within a step (the scorer allows 2 ms).
constexpr int64_t kStepNs = 1'000'000;
constexpr gulong kStepPauseUs = 5;
constexpr gulong kSettleUs = 200;

struct Recorder {
  GstPad *pad = nullptr;
  GstTestClock *clock = nullptr;
  Element element = Element::kWzp;
  // Keyed by wire sequence (16-bit for RTP).
  std::unordered_map<uint32_t, FrameOutcome> outputs;
};

uint32_t sequence_of(Element element, GstBuffer *buffer) {
  if (element == Element::kWzp) {
    WzpHeaderMeta *meta = wzp_buffer_get_header_meta(buffer);
    return meta ? meta->header.sequence : UINT32_MAX;
  }
  guint8 header[4];
  if (gst_buffer_extract(buffer, 0, header, 4) != 4) return UINT32_MAX;
  return (static_cast<uint32_t>(header[2]) << 8) | header[3];
}

GstPadProbeReturn record(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *recorder = static_cast<Recorder *>(data);
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  GstQuery *query = gst_query_new_latency();
  GstClockTime latency = 0;
  if (gst_pad_query(recorder->pad, query))
    gst_query_parse_latency(query, nullptr, &latency, nullptr);
  gst_query_unref(query);
  FrameOutcome out;
  out.output = true;
  out.push_ns = static_cast<int64_t>(gst_clock_get_time(GST_CLOCK(recorder->clock)));
  out.playout_ns = static_cast<int64_t>(GST_BUFFER_PTS(buffer) + latency);
  recorder->outputs.emplace(sequence_of(recorder->element, buffer), out);
  return GST_PAD_PROBE_OK;
}

GstBuffer *make_input(Element element, const SentFrame &frame) {
  GstBuffer *buffer;
  if (element == Element::kWzp) {
    static const guint8 payload[] = {0xfc, 0xff, 0xfe};
    buffer = gst_buffer_new_memdup(payload, sizeof(payload));
    wzp::wire::MediaHeader header;
    header.codec = wzp::wire::codec::kOpus;
    header.stream_id = 1;
    header.sequence = frame.sequence;
    header.timestamp = frame.timestamp;
    wzp_buffer_set_header_meta(buffer, header, nullptr, 0);
  } else {
    guint8 rtp[15] = {0x80, 96};
    rtp[2] = static_cast<guint8>(frame.sequence >> 8);
    rtp[3] = static_cast<guint8>(frame.sequence);
    for (int i = 0; i < 4; ++i) rtp[4 + i] = static_cast<guint8>(frame.timestamp >> (24 - 8 * i));
    rtp[8] = 0x12;  // SSRC
    rtp[12] = 0xfc;
    buffer = gst_buffer_new_memdup(rtp, sizeof(rtp));
  }
  GST_BUFFER_DTS(buffer) = GST_BUFFER_PTS(buffer) = static_cast<GstClockTime>(frame.arrival_ns);
  GST_BUFFER_DURATION(buffer) = 20 * GST_MSECOND;
  return buffer;
}

// Gives the element's threads real time to act on what just happened and
// park on their next clock wait (if they have one).
void settle(GstTestClock *clock, guint wait_ms) {
  g_usleep(kSettleUs);
  gst_test_clock_timed_wait_for_multiple_pending_ids(clock, 1, wait_ms, nullptr);
}

// Releases every wait due by the clock's current time.
void release_due(GstTestClock *clock, guint wait_ms) {
  while (GstClockID processed = gst_test_clock_process_next_clock_id(clock)) {
    gst_clock_id_unref(processed);
    settle(clock, wait_ms);
  }
}

// Moves the clock to `to` in small steps, so a wait an element registers a
// moment late is still released within a step of its time.
void advance(GstTestClock *clock, int64_t to, guint wait_ms) {
  auto now = static_cast<int64_t>(gst_clock_get_time(GST_CLOCK(clock)));
  while (now < to) {
    int64_t step_end = std::min(to, now + kStepNs);
    GstClockID id = nullptr;
    if (gst_test_clock_peek_next_pending_id(clock, &id)) {
      auto at = static_cast<int64_t>(gst_clock_id_get_time(id));
      gst_clock_id_unref(id);
      if (at > now && at < step_end) step_end = at;
    }
    now = step_end;
    gst_test_clock_set_time(clock, static_cast<GstClockTime>(now));
    release_due(clock, wait_ms);
    g_usleep(kStepPauseUs);
  }
  release_due(clock, wait_ms);
}

void drain(GstHarness *h) {
  while (GstBuffer *b = gst_harness_try_pull(h)) gst_buffer_unref(b);
  while (GstEvent *e = gst_harness_try_pull_event(h)) gst_event_unref(e);
}

}  // namespace

ElementRun run_element(const Trace &trace, Element element) {
  GstHarness *h;
  if (element == Element::kWzp) {
    h = gst_harness_new("wzpjitterbuffer");
    gst_harness_set_src_caps_str(h, "audio/x-opus, channel-mapping-family=(int)0");
  } else {
    h = gst_harness_new("rtpjitterbuffer");  // latency: its 200 ms default
    gst_harness_set_src_caps_str(h,
                                 "application/x-rtp, media=audio, clock-rate=(int)48000, "
                                 "encoding-name=OPUS, payload=(int)96");
  }
  gst_harness_set_upstream_latency(h, 0);
  gst_harness_play(h);

  Recorder recorder;
  recorder.element = element;
  recorder.clock = gst_harness_get_testclock(h);
  recorder.pad = gst_element_get_static_pad(h->element, "src");
  gst_pad_add_probe(recorder.pad, GST_PAD_PROBE_TYPE_BUFFER, record, &recorder, nullptr);

  // wzpjitterbuffer always parks on a clock wait while it has a timeline,
  // so waiting long for that wait costs nothing; rtpjitterbuffer mostly has
  // none, so it gets a short grace period.
  guint wait_ms = element == Element::kWzp ? 50 : 1;
  std::vector<size_t> order;
  for (size_t i = 0; i < trace.frames.size(); ++i) {
    if (trace.frames[i].arrival_ns >= 0) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return trace.frames[a].arrival_ns < trace.frames[b].arrival_ns;
  });
  int64_t last = 0;
  for (size_t i : order) {
    const SentFrame &frame = trace.frames[i];
    advance(recorder.clock, frame.arrival_ns, wait_ms);
    gst_harness_push(h, make_input(element, frame));
    settle(recorder.clock, wait_ms);
    last = frame.arrival_ns;
    drain(h);
  }
  advance(recorder.clock, last + 3'000 * kMs, wait_ms);
  drain(h);

  ElementRun run;
  run.frames.resize(trace.frames.size());
  for (size_t i = 0; i < trace.frames.size(); ++i) {
    uint32_t key = trace.frames[i].sequence;
    if (element == Element::kRtpJitterBuffer) key &= 0xffff;
    auto found = recorder.outputs.find(key);
    if (found != recorder.outputs.end()) run.frames[i] = found->second;
  }
  if (element == Element::kWzp) {
    GstStructure *stats = nullptr;
    g_object_get(h->element, "stats", &stats, nullptr);
    guint64 expanded = 0, shrunk = 0;
    gst_structure_get_uint64(stats, "expanded", &expanded);
    gst_structure_get_uint64(stats, "shrunk", &shrunk);
    run.stretched = expanded + shrunk;
    gst_structure_free(stats);
  }
  gst_object_unref(recorder.pad);
  gst_object_unref(recorder.clock);
  gst_harness_teardown(h);
  return run;
}

}  // namespace wzp::bench
