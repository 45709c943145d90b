// wzpdemux through GstHarness on a GstTestClock: one pad per stream id with
// its own sticky events, packets in order, streams appearing mid-way, silent
// streams timing out, the application removing streams, malformed input and
// max-streams counted.
#include <gst/check/gstharness.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "plugins/gstwzp/wzpmeta.h"
#include "tests/support/wait.hpp"

namespace {

GstBuffer *make_packet(uint32_t stream_id, uint32_t sequence) {
  wzp::wire::MediaHeader header;
  header.codec = wzp::wire::codec::kOpus;
  header.stream_id = stream_id;
  header.sequence = sequence;
  header.timestamp = sequence * 960;
  uint8_t bytes[wzp::wire::kFullHeaderSize + 20] = {};
  size_t size = wzp::wire::write_full(header, nullptr, bytes);
  EXPECT_EQ(size, wzp::wire::kFullHeaderSize);
  for (size_t i = size; i < sizeof(bytes); ++i) bytes[i] = static_cast<uint8_t>(sequence + i);
  return gst_buffer_new_memdup(bytes, sizeof(bytes));
}

// What came out of the demuxer: per source pad name, the (stream id,
// sequence) of every packet in arrival order, EOS, and the pad's events.
struct Collector {
  std::map<std::string, std::vector<std::pair<uint32_t, uint32_t>>> packets;
  std::set<std::string> eos;
  std::map<std::string, GstPad *> sinks;  // our pad linked to each source pad
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::atomic<int> removed_count{0};  // for removals from another thread

  ~Collector() {
    for (auto &[name, pad] : sinks) gst_object_unref(pad);
  }
};

std::string source_name(GstPad *sink) {
  return static_cast<const char *>(g_object_get_data(G_OBJECT(sink), "source"));
}

GstFlowReturn collect_chain(GstPad *pad, GstObject *, GstBuffer *buffer) {
  auto *collector = static_cast<Collector *>(pad->element_private);
  GstMapInfo map;
  gst_buffer_map(buffer, &map, GST_MAP_READ);
  wzp::wire::PacketView view;
  EXPECT_EQ(wzp::wire::parse_full({map.data, map.size}, view), wzp::wire::WireError::kOk);
  collector->packets[source_name(pad)].emplace_back(view.header.stream_id, view.header.sequence);
  gst_buffer_unmap(buffer, &map);
  gst_buffer_unref(buffer);
  return GST_FLOW_OK;
}

gboolean collect_event(GstPad *pad, GstObject *, GstEvent *event) {
  auto *collector = static_cast<Collector *>(pad->element_private);
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) collector->eos.insert(source_name(pad));
  gst_event_unref(event);
  return TRUE;
}

void on_pad_added(GstElement *, GstPad *pad, Collector *collector) {
  std::string name = GST_PAD_NAME(pad);
  collector->added.push_back(name);
  GstPad *sink = gst_pad_new(("collect_" + name).c_str(), GST_PAD_SINK);
  g_object_set_data_full(G_OBJECT(sink), "source", g_strdup(name.c_str()), g_free);
  sink->element_private = collector;
  gst_pad_set_chain_function(sink, collect_chain);
  gst_pad_set_event_function(sink, collect_event);
  gst_pad_set_active(sink, TRUE);
  ASSERT_EQ(gst_pad_link(pad, sink), GST_PAD_LINK_OK);
  collector->sinks[name] = sink;
}

void on_pad_removed(GstElement *, GstPad *pad, Collector *collector) {
  collector->removed.push_back(GST_PAD_NAME(pad));
  collector->removed_count.fetch_add(1, std::memory_order_release);
}

struct Demux {
  GstHarness *h;
  GstElement *element;
  explicit Demux(Collector &collector) {
    h = gst_harness_new_with_padnames("wzpdemux", "sink", nullptr);
    element = h->element;
    g_signal_connect(element, "pad-added", G_CALLBACK(on_pad_added), &collector);
    g_signal_connect(element, "pad-removed", G_CALLBACK(on_pad_removed), &collector);
    gst_harness_set_src_caps_str(h, WZP_PACKET_CAPS_NAME);
  }
  ~Demux() { gst_harness_teardown(h); }
  void push(uint32_t stream_id, uint32_t sequence) {
    ASSERT_EQ(gst_harness_push(h, make_packet(stream_id, sequence)), GST_FLOW_OK);
  }
  guint64 stat(const char *name) {
    GstStructure *stats = nullptr;
    g_object_get(element, "stats", &stats, nullptr);
    guint64 value = 0;
    if (!gst_structure_get_uint64(stats, name, &value)) {
      guint small = 0;
      EXPECT_TRUE(gst_structure_get_uint(stats, name, &small)) << name;
      value = small;
    }
    gst_structure_free(stats);
    return value;
  }
};

std::vector<std::pair<uint32_t, uint32_t>> expected(uint32_t stream_id, uint32_t from,
                                                    uint32_t to) {
  std::vector<std::pair<uint32_t, uint32_t>> packets;
  for (uint32_t s = from; s < to; ++s) packets.emplace_back(stream_id, s);
  return packets;
}

TEST(WzpDemux, InterleavedStreamsLeaveOnTheirOwnPadsInOrder) {
  Collector collector;
  Demux demux(collector);
  for (uint32_t seq = 0; seq < 30; ++seq) {
    for (uint32_t id : {7u, 1000u, 42u}) demux.push(id, seq);
  }
  EXPECT_EQ(collector.added, (std::vector<std::string>{"src_7", "src_1000", "src_42"}));
  EXPECT_EQ(collector.packets["src_7"], expected(7, 0, 30));
  EXPECT_EQ(collector.packets["src_1000"], expected(1000, 0, 30));
  EXPECT_EQ(collector.packets["src_42"], expected(42, 0, 30));

  // Each pad has its own stream-start (one group), the packet caps and a segment.
  std::set<std::string> stream_ids;
  std::set<guint> groups;
  for (auto &[name, sink] : collector.sinks) {
    gchar *stream_id = gst_pad_get_stream_id(sink);
    ASSERT_NE(stream_id, nullptr) << name;
    stream_ids.insert(stream_id);
    g_free(stream_id);
    GstEvent *start = gst_pad_get_sticky_event(sink, GST_EVENT_STREAM_START, 0);
    guint group = 0;
    EXPECT_TRUE(gst_event_parse_group_id(start, &group));
    groups.insert(group);
    gst_event_unref(start);
    GstCaps *caps = gst_pad_get_current_caps(sink);
    ASSERT_NE(caps, nullptr);
    EXPECT_TRUE(gst_structure_has_name(gst_caps_get_structure(caps, 0), WZP_PACKET_CAPS_NAME));
    gst_caps_unref(caps);
    GstEvent *segment = gst_pad_get_sticky_event(sink, GST_EVENT_SEGMENT, 0);
    EXPECT_NE(segment, nullptr) << name;
    if (segment) gst_event_unref(segment);
  }
  EXPECT_EQ(stream_ids.size(), 3u);
  EXPECT_EQ(groups.size(), 1u);
  EXPECT_EQ(demux.stat("packets"), 90u);
  EXPECT_EQ(demux.stat("streams-active"), 3u);
  EXPECT_EQ(demux.stat("streams-created"), 3u);
}

TEST(WzpDemux, NewStreamMidwayAddsAPad) {
  Collector collector;
  Demux demux(collector);
  for (uint32_t seq = 0; seq < 10; ++seq) demux.push(1, seq);
  EXPECT_EQ(collector.added, (std::vector<std::string>{"src_1"}));
  for (uint32_t seq = 10; seq < 20; ++seq) {
    demux.push(1, seq);
    demux.push(2, seq - 10);
  }
  EXPECT_EQ(collector.added, (std::vector<std::string>{"src_1", "src_2"}));
  EXPECT_EQ(collector.packets["src_1"], expected(1, 0, 20));
  EXPECT_EQ(collector.packets["src_2"], expected(2, 0, 10));
}

TEST(WzpDemux, SilentStreamTimesOutAndComesBackAsANewPad) {
  Collector collector;
  Demux demux(collector);
  g_object_set(demux.element, "stream-timeout", guint64{GST_SECOND}, nullptr);
  gst_harness_set_time(demux.h, 0);
  demux.push(1, 0);
  demux.push(2, 0);
  gst_harness_set_time(demux.h, 900 * GST_MSECOND);
  demux.push(1, 1);
  demux.push(2, 1);
  gst_harness_set_time(demux.h, 1800 * GST_MSECOND);
  demux.push(2, 2);  // stream 1 silent for 900 ms: still there
  EXPECT_TRUE(collector.removed.empty());
  gst_harness_set_time(demux.h, 2100 * GST_MSECOND);
  demux.push(2, 3);  // stream 1 silent for 1.2 s: gone
  EXPECT_EQ(collector.removed, (std::vector<std::string>{"src_1"}));
  EXPECT_EQ(collector.eos, (std::set<std::string>{"src_1"}));
  EXPECT_EQ(demux.stat("streams-timed-out"), 1u);
  EXPECT_EQ(demux.stat("streams-active"), 1u);
  EXPECT_EQ(collector.packets["src_1"], expected(1, 0, 2));
  EXPECT_EQ(collector.packets["src_2"], expected(2, 0, 4));

  collector.packets.erase("src_1");
  demux.push(1, 50);  // the participant is back
  EXPECT_EQ(collector.added.back(), "src_1");
  EXPECT_EQ(collector.packets["src_1"], expected(1, 50, 51));
  EXPECT_EQ(demux.stat("streams-created"), 3u);
}

TEST(WzpDemux, StreamsTimeOutWhenNothingArrivesAtAll) {
  Collector collector;
  Demux demux(collector);
  g_object_set(demux.element, "stream-timeout", guint64{GST_SECOND}, nullptr);
  gst_harness_set_time(demux.h, 0);
  demux.push(1, 0);
  demux.push(2, 0);
  // The element waits on the clock for the earliest expiry; let it pass.
  ASSERT_TRUE(gst_harness_wait_for_clock_id_waits(demux.h, 1, 5));
  ASSERT_TRUE(gst_harness_crank_single_clock_wait(demux.h));
  EXPECT_GT(gst_clock_get_time(GST_ELEMENT_CLOCK(demux.element)), GST_SECOND);
  // The pads go away on the streaming thread.
  wzp::test::wait_until(
      [&] { return collector.removed_count.load(std::memory_order_acquire) >= 2; },
      std::chrono::seconds(5));
  ASSERT_EQ(collector.removed_count.load(std::memory_order_acquire), 2);
  EXPECT_EQ(std::set<std::string>(collector.removed.begin(), collector.removed.end()),
            (std::set<std::string>{"src_1", "src_2"}));
  EXPECT_EQ(collector.eos, (std::set<std::string>{"src_1", "src_2"}));
  EXPECT_EQ(demux.stat("streams-timed-out"), 2u);
  EXPECT_EQ(demux.stat("streams-active"), 0u);
}

TEST(WzpDemux, ZeroTimeoutKeepsStreams) {
  Collector collector;
  Demux demux(collector);
  g_object_set(demux.element, "stream-timeout", guint64{0}, nullptr);
  demux.push(1, 0);
  gst_harness_set_time(demux.h, 3600 * GST_SECOND);
  demux.push(2, 0);
  EXPECT_TRUE(collector.removed.empty());
  EXPECT_EQ(demux.stat("streams-active"), 2u);
}

TEST(WzpDemux, ApplicationRemovesAndClearsStreams) {
  Collector collector;
  Demux demux(collector);
  for (uint32_t id : {1u, 2u, 3u}) demux.push(id, 0);
  gboolean removed = FALSE;
  g_signal_emit_by_name(demux.element, "remove-stream", 2u, &removed);
  EXPECT_TRUE(removed);
  g_signal_emit_by_name(demux.element, "remove-stream", 99u, &removed);
  EXPECT_FALSE(removed);
  EXPECT_EQ(collector.removed, (std::vector<std::string>{"src_2"}));
  EXPECT_EQ(collector.eos, (std::set<std::string>{"src_2"}));
  g_signal_emit_by_name(demux.element, "clear");
  EXPECT_EQ(collector.removed.size(), 3u);
  EXPECT_EQ(demux.stat("streams-active"), 0u);
  EXPECT_EQ(demux.stat("streams-removed"), 3u);
  GstIterator *pads = gst_element_iterate_src_pads(demux.element);
  GValue item = G_VALUE_INIT;
  EXPECT_EQ(gst_iterator_next(pads, &item), GST_ITERATOR_DONE);
  gst_iterator_free(pads);
}

TEST(WzpDemux, MalformedPacketsAreDroppedAndCounted) {
  Collector collector;
  Demux demux(collector);
  const std::vector<std::vector<uint8_t>> bad = {
      {},                           // empty
      {0x40, 0x00, 0x01},           // truncated full header
      std::vector<uint8_t>(24, 0),  // version 0
      std::vector<uint8_t>(24, 0xff),
      std::vector<uint8_t>(2000, 0x40),  // oversized
  };
  for (const auto &bytes : bad) {
    GstBuffer *buffer =
        bytes.empty() ? gst_buffer_new() : gst_buffer_new_memdup(bytes.data(), bytes.size());
    ASSERT_EQ(gst_harness_push(demux.h, buffer), GST_FLOW_OK);
  }
  EXPECT_TRUE(collector.added.empty());
  EXPECT_EQ(demux.stat("dropped-malformed"), bad.size());

  // A header meta from an earlier element is trusted over the bytes.
  GstBuffer *buffer = make_packet(5, 0);
  wzp::wire::MediaHeader header;
  header.stream_id = 5;
  wzp_buffer_set_header_meta(buffer, header, nullptr, wzp::wire::kFullHeaderSize);
  ASSERT_EQ(gst_harness_push(demux.h, buffer), GST_FLOW_OK);
  EXPECT_EQ(collector.added, (std::vector<std::string>{"src_5"}));
}

TEST(WzpDemux, MaxStreamsBoundsThePads) {
  Collector collector;
  Demux demux(collector);
  g_object_set(demux.element, "max-streams", 2u, nullptr);
  for (uint32_t id = 1; id <= 100; ++id) demux.push(id, 0);
  demux.push(1, 1);
  EXPECT_EQ(collector.added, (std::vector<std::string>{"src_1", "src_2"}));
  EXPECT_EQ(demux.stat("dropped-over-limit"), 98u);
  EXPECT_EQ(collector.packets["src_1"], expected(1, 0, 2));

  gboolean removed = FALSE;
  g_signal_emit_by_name(demux.element, "remove-stream", 2u, &removed);
  demux.push(3, 7);  // room again
  EXPECT_EQ(collector.added.back(), "src_3");
  EXPECT_EQ(collector.packets["src_3"], expected(3, 7, 8));
}

TEST(WzpDemux, EosReachesEveryPad) {
  Collector collector;
  Demux demux(collector);
  demux.push(1, 0);
  demux.push(2, 0);
  ASSERT_TRUE(gst_harness_push_event(demux.h, gst_event_new_eos()));
  EXPECT_EQ(collector.eos, (std::set<std::string>{"src_1", "src_2"}));
}

}  // namespace
