// Quality reports through wzpfecenc ! wzpfecdec (GstHarness): the report the
// application sets rides in packet headers in bursts, and the decoder posts
// it on the bus, rate-limited, with the same values.
#include <gst/check/gstharness.h>
#include <gtest/gtest.h>

#include <vector>

#include "libwzp/wire/header.hpp"
#include "plugins/gstwzp/wzpmeta.h"

namespace {

constexpr GstClockTime kReportFrame = 20 * GST_MSECOND;
constexpr uint32_t kTicksPerFrame = 960;  // 20 ms at 48 kHz

struct ReportHarnesses {
  GstHarness *enc = gst_harness_new_parse("wzpfecenc block-size=4 repair-ratio=0.5 stream-id=7");
  GstHarness *dec = gst_harness_new("wzpfecdec");
  GstBus *bus = gst_bus_new();
  ReportHarnesses() {
    gst_harness_set_src_caps_str(enc, "audio/x-opus, channel-mapping-family=(int)0");
    gst_harness_set_src_caps_str(dec, "application/x-wzp");
    gst_element_set_bus(dec->element, bus);
  }
  ~ReportHarnesses() {
    gst_harness_teardown(enc);
    gst_harness_teardown(dec);
    gst_object_unref(bus);
  }
  GstElement *encoder() { return gst_harness_find_element(enc, "wzpfecenc"); }
  void set_report(GstStructure *report) {
    GstElement *e = encoder();
    g_object_set(e, "quality-report", report, nullptr);
    gst_object_unref(e);
    if (report) gst_structure_free(report);
  }
  void push_frames(uint32_t first, uint32_t count) {
    for (uint32_t n = first; n < first + count; ++n) {
      std::vector<uint8_t> frame(40, static_cast<uint8_t>(n));
      GstBuffer *buffer = gst_buffer_new_memdup(frame.data(), frame.size());
      GST_BUFFER_PTS(buffer) = n * kReportFrame;
      ASSERT_EQ(gst_harness_push(enc, buffer), GST_FLOW_OK);
    }
  }
};

GstStructure *bad_path_report() {
  return gst_structure_new("report", "loss", G_TYPE_DOUBLE, 0.375, "rtt-ms", G_TYPE_UINT, 640u,
                           "jitter-ms", G_TYPE_UINT, 85u, "bandwidth-kbps", G_TYPE_UINT, 180u,
                           nullptr);
}
const wzp::wire::QualityReport kBadPathReport = wzp::wire::QualityReport::from(0.375, 640, 85, 180);

struct SentPacket {
  uint32_t timestamp;
  std::optional<wzp::wire::QualityReport> report;
};

// Pulls every packet, checks header and meta agree, and forwards it to the decoder.
std::vector<SentPacket> forward(ReportHarnesses &h) {
  std::vector<SentPacket> sent;
  while (GstBuffer *packet = gst_harness_try_pull(h.enc)) {
    WzpHeaderMeta *meta = wzp_buffer_get_header_meta(packet);
    GstMapInfo map;
    gst_buffer_map(packet, &map, GST_MAP_READ);
    wzp::wire::PacketView view;
    EXPECT_EQ(wzp::wire::parse_full({map.data, map.size}, view), wzp::wire::WireError::kOk);
    gst_buffer_unmap(packet, &map);
    EXPECT_NE(meta, nullptr);
    if (meta) {
      EXPECT_EQ(meta->header, view.header);
      EXPECT_EQ(bool(meta->has_report), view.report.has_value());
      EXPECT_EQ(meta->header_size, view.header_bytes.size());
      if (view.report) {
        EXPECT_EQ(meta->report, *view.report);
      }
    }
    sent.push_back({view.header.timestamp, view.report});
    EXPECT_EQ(gst_harness_push(h.dec, packet), GST_FLOW_OK);
  }
  return sent;
}

std::vector<GstStructure *> report_messages(GstBus *bus) {
  std::vector<GstStructure *> reports;
  while (GstMessage *m = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT)) {
    const GstStructure *s = gst_message_get_structure(m);
    if (gst_structure_has_name(s, "wzp-quality-report")) reports.push_back(gst_structure_copy(s));
    gst_message_unref(m);
  }
  return reports;
}

TEST(WzpFecReport, NoReportUntilTheApplicationSetsOne) {
  ReportHarnesses h;
  h.push_frames(0, 8);
  for (const auto &p : forward(h)) EXPECT_FALSE(p.report.has_value());
  EXPECT_TRUE(report_messages(h.bus).empty());
}

TEST(WzpFecReport, RidesABurstAfterEachUpdateAndOncePerSecond) {
  ReportHarnesses h;
  h.set_report(bad_path_report());
  h.push_frames(0, 150);  // 3 s of media
  auto sent = forward(h);
  std::vector<size_t> carriers;
  for (size_t i = 0; i < sent.size(); ++i) {
    if (!sent[i].report) continue;
    EXPECT_EQ(*sent[i].report, kBadPathReport);
    carriers.push_back(i);
  }
  // Bursts of five consecutive packets at 0, 1 and 2 s of media.
  ASSERT_EQ(carriers.size(), 15u);
  for (size_t burst = 0; burst < 3; ++burst) {
    size_t first = carriers[burst * 5];
    for (size_t k = 1; k < 5; ++k) EXPECT_EQ(carriers[burst * 5 + k], first + k);
    uint32_t second = static_cast<uint32_t>(burst) * 48000;
    EXPECT_GE(sent[first].timestamp, second);
    EXPECT_LT(sent[first].timestamp, second + 4 * kTicksPerFrame);
  }
  GstElement *enc = h.encoder();
  GstStructure *stats = nullptr;
  g_object_get(enc, "stats", &stats, nullptr);
  guint64 reports_sent = 0;
  gst_structure_get_uint64(stats, "reports-sent", &reports_sent);
  EXPECT_EQ(reports_sent, 15u);
  gst_structure_free(stats);

  // An update goes out at once, not at the next second.
  h.set_report(
      gst_structure_new("report", "loss", G_TYPE_DOUBLE, 0.0, "rtt-ms", G_TYPE_UINT, 90u, nullptr));
  h.push_frames(150, 1);
  auto after = forward(h);
  ASSERT_FALSE(after.empty());
  ASSERT_TRUE(after[0].report.has_value());
  EXPECT_EQ(after[0].report->rtt_ms, 90);
  GstStructure *current = nullptr;
  g_object_get(enc, "quality-report", &current, nullptr);
  ASSERT_NE(current, nullptr);
  guint rtt = 0;
  EXPECT_TRUE(gst_structure_get_uint(current, "rtt-ms", &rtt));
  EXPECT_EQ(rtt, 90u);
  gst_structure_free(current);

  // NULL stops reports.
  g_object_set(enc, "quality-report", nullptr, nullptr);
  gst_object_unref(enc);
  h.push_frames(151, 100);
  for (const auto &p : forward(h)) EXPECT_FALSE(p.report.has_value());
}

TEST(WzpFecReport, InvalidReportIsIgnored) {
  ReportHarnesses h;
  h.set_report(gst_structure_new("report", "loss", G_TYPE_DOUBLE, 1.5, nullptr));
  h.set_report(gst_structure_new("report", "rtt-ms", G_TYPE_STRING, "slow", nullptr));
  h.push_frames(0, 8);
  for (const auto &p : forward(h)) EXPECT_FALSE(p.report.has_value());
  GstElement *enc = h.encoder();
  GstStructure *current = nullptr;
  g_object_get(enc, "quality-report", &current, nullptr);
  EXPECT_EQ(current, nullptr);
  gst_object_unref(enc);
}

TEST(WzpFecReport, DecoderPostsTheSameValuesAtMostOncePerSecond) {
  ReportHarnesses h;
  h.set_report(bad_path_report());
  h.push_frames(0, 150);
  forward(h);
  auto messages = report_messages(h.bus);
  // 15 packets carried the report; one message per burst reached the bus.
  ASSERT_EQ(messages.size(), 3u);
  for (GstStructure *s : messages) {
    gdouble loss = 0;
    guint rtt = 0, jitter = 0, bandwidth = 0, stream = 0;
    EXPECT_TRUE(gst_structure_get(s, "loss", G_TYPE_DOUBLE, &loss, "rtt-ms", G_TYPE_UINT, &rtt,
                                  "jitter-ms", G_TYPE_UINT, &jitter, "bandwidth-kbps", G_TYPE_UINT,
                                  &bandwidth, "stream-id", G_TYPE_UINT, &stream, nullptr));
    EXPECT_DOUBLE_EQ(loss, 0.375);
    EXPECT_EQ(rtt, 640u);
    EXPECT_EQ(jitter, 85u);
    EXPECT_EQ(bandwidth, 180u);
    EXPECT_EQ(stream, 7u);
    gst_structure_free(s);
  }
  GstStructure *stats = nullptr;
  g_object_get(h.dec->element, "stats", &stats, nullptr);
  guint64 received = 0;
  guint rtt = 0;
  gdouble loss = 0;
  EXPECT_TRUE(gst_structure_get_uint64(stats, "reports-received", &received));
  EXPECT_TRUE(gst_structure_get_uint(stats, "report-rtt-ms", &rtt));
  EXPECT_TRUE(gst_structure_get_double(stats, "report-loss", &loss));
  EXPECT_EQ(received, 15u);
  EXPECT_EQ(rtt, 640u);
  EXPECT_DOUBLE_EQ(loss, 0.375);
  gst_structure_free(stats);
}

TEST(WzpFecReport, ALostFirstCopyStillPostsTheBurst) {
  ReportHarnesses h;
  h.set_report(bad_path_report());
  h.push_frames(0, 100);
  int posted_from_later_copy = 0;
  while (GstBuffer *packet = gst_harness_try_pull(h.enc)) {
    WzpHeaderMeta *meta = wzp_buffer_get_header_meta(packet);
    bool first_of_second_burst =
        meta->has_report && meta->header.timestamp >= 48000 && posted_from_later_copy++ < 2;
    if (first_of_second_burst) {
      gst_buffer_unref(packet);  // lost on the way
    } else {
      EXPECT_EQ(gst_harness_push(h.dec, packet), GST_FLOW_OK);
    }
  }
  auto messages = report_messages(h.bus);
  EXPECT_EQ(messages.size(), 2u);
  for (GstStructure *s : messages) gst_structure_free(s);
}

}  // namespace
