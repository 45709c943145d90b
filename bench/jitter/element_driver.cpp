#include "bench/jitter/element_driver.hpp"

#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>

#include <algorithm>
#include <atomic>
#include <unordered_map>

#include "plugins/gstwzp/wzpmeta.h"

namespace wzp::bench {

namespace {

constexpr int64_t kMs = 1'000'000;
// Simulated time moves in steps of at most kStepNs; after every push or
// released wait the driver lets the element's threads catch up (settle).
// Timing errors stay within a step (the scorer allows 2 ms).
constexpr int64_t kStepNs = 1'000'000;
constexpr gulong kStepPauseUs = 5;
constexpr gulong kSettleUs = 200;
constexpr int64_t kSettleMaxUs = 50'000;

struct Recorder {
  GstPad *pad = nullptr;
  GstTestClock *clock = nullptr;
  Element element = Element::kWzp;
  // Buffers and events the element has pushed downstream, so far.
  std::atomic<uint64_t> pushed{0};
  // Keyed by wire sequence (16-bit for RTP); written on the streaming thread,
  // read once the harness is torn down.
  std::unordered_map<uint32_t, FrameOutcome> outputs;
};

uint32_t output_key(Element element, uint32_t sequence) {
  return element == Element::kRtpJitterBuffer ? sequence & 0xffff : sequence;
}

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
  recorder->pushed.fetch_add(1);
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn count_event(GstPad *, GstPadProbeInfo *, gpointer data) {
  static_cast<Recorder *>(data)->pushed.fetch_add(1);
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

// Gives the element's threads real time to act on what just happened (a
// push or a released wait): waits until the element parks on a clock wait
// or has pushed something downstream since `pushed_before`, at most
// kSettleMaxUs. The same rule for both elements: wzpjitterbuffer nearly
// always parks on a wait, rtpjitterbuffer passes an in-order packet or a
// lost event on at once and then often has no wait to park on.
void settle(Recorder &recorder, uint64_t pushed_before) {
  g_usleep(kSettleUs);
  const gint64 deadline = g_get_monotonic_time() + kSettleMaxUs;
  for (;;) {
    if (gst_test_clock_timed_wait_for_multiple_pending_ids(recorder.clock, 1, 1, nullptr)) return;
    if (recorder.pushed.load() != pushed_before) return;
    if (g_get_monotonic_time() >= deadline) return;
  }
}

// Releases every wait due by the clock's current time.
void release_due(Recorder &recorder) {
  for (;;) {
    const uint64_t before = recorder.pushed.load();
    GstClockID processed = gst_test_clock_process_next_clock_id(recorder.clock);
    if (processed == nullptr) return;
    gst_clock_id_unref(processed);
    settle(recorder, before);
  }
}

// Moves the clock to `to` in small steps, so a wait an element registers a
// moment late is still released within a step of its time.
void advance(Recorder &recorder, int64_t to) {
  GstTestClock *clock = recorder.clock;
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
    release_due(recorder);
    g_usleep(kStepPauseUs);
  }
  release_due(recorder);
}

void drain(GstHarness *h) {
  while (GstBuffer *b = gst_harness_try_pull(h)) gst_buffer_unref(b);
  while (GstEvent *e = gst_harness_try_pull_event(h)) gst_event_unref(e);
}

}  // namespace

ElementRun run_element(const Trace &trace, Element element, int latency_ms) {
  GstHarness *h;
  if (element == Element::kWzp) {
    h = gst_harness_new("wzpjitterbuffer");
    gst_harness_set_src_caps_str(h, "audio/x-opus, channel-mapping-family=(int)0");
  } else {
    h = gst_harness_new("rtpjitterbuffer");
    if (latency_ms > 0)
      g_object_set(h->element, "latency", static_cast<guint>(latency_ms), nullptr);
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
  gst_pad_add_probe(recorder.pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, count_event, &recorder,
                    nullptr);

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
    advance(recorder, frame.arrival_ns);
    const uint64_t before = recorder.pushed.load();
    gst_harness_push(h, make_input(element, frame));
    settle(recorder, before);
    last = frame.arrival_ns;
    drain(h);
  }
  advance(recorder, last + 3'000 * kMs);
  drain(h);

  ElementRun run;
  run.frames.resize(trace.frames.size());
  for (size_t i = 0; i < trace.frames.size(); ++i) {
    auto found = recorder.outputs.find(output_key(element, trace.frames[i].sequence));
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
