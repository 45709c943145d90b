// client::AdaptiveQuality against real elements: a PLAYING sender pipeline
// (opusenc ! wzpfecenc) whose settings the loop changes, and the peer's
// wzpfecenc feeding our wzpfecdec through GstHarness, whose bus messages
// drive the controller. Time is driven explicitly, one second per round.
#include "client/adaptive.hpp"

#include <gst/check/gstharness.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "tests/support/wait.hpp"

namespace {

using wzp::quality::Micros;
using wzp::quality::Tier;
using namespace std::chrono_literals;

constexpr GstClockTime kFrameDuration = 20 * GST_MSECOND;
constexpr uint32_t kFramesPerSecond = 50;

struct Call {
  GstElement *sender = gst_parse_launch(
      "audiotestsrc is-live=true ! audioconvert ! audioresample ! "
      "audio/x-raw,rate=48000,channels=1 ! opusenc name=opus bitrate=24000 frame-size=20 ! "
      "wzpfecenc name=fec ! fakesink",
      nullptr);
  // The peer's sender and our receiver: its packets reach our wzpfecdec.
  GstHarness *peer = gst_harness_new_parse("wzpfecenc block-size=4 repair-ratio=0.5 stream-id=3");
  GstHarness *receiver = gst_harness_new("wzpfecdec");
  GstBus *bus = gst_bus_new();
  uint32_t frames = 0;

  Call() {
    gst_harness_set_src_caps_str(peer, "audio/x-opus, channel-mapping-family=(int)0");
    gst_harness_set_src_caps_str(receiver, "application/x-wzp");
    gst_element_set_bus(receiver->element, bus);
    gst_element_set_state(sender, GST_STATE_PLAYING);
  }
  ~Call() {
    gst_element_set_state(sender, GST_STATE_NULL);
    gst_object_unref(sender);
    gst_harness_teardown(peer);
    gst_harness_teardown(receiver);
    gst_object_unref(bus);
  }

  void peer_reports(double loss, guint rtt_ms, guint jitter_ms) {
    GstElement *fec = gst_harness_find_element(peer, "wzpfecenc");
    GstStructure *s =
        gst_structure_new("report", "loss", G_TYPE_DOUBLE, loss, "rtt-ms", G_TYPE_UINT, rtt_ms,
                          "jitter-ms", G_TYPE_UINT, jitter_ms, nullptr);
    g_object_set(fec, "quality-report", s, nullptr);
    gst_structure_free(s);
    gst_object_unref(fec);
  }

  // One second of the peer's media into our receiver; every `drop_every`-th
  // source packet is lost on the way (0: none).
  // Last second's packets, source and repair, and those of them dropped.
  uint32_t packets_sent = 0;
  uint32_t packets_dropped = 0;

  void one_second(uint32_t drop_every = 0) {
    for (uint32_t i = 0; i < kFramesPerSecond; ++i, ++frames) {
      GstBuffer *frame = gst_buffer_new_allocate(nullptr, 40, nullptr);
      gst_buffer_memset(frame, 0, static_cast<guint8>(frames), 40);
      GST_BUFFER_PTS(frame) = frames * kFrameDuration;
      ASSERT_EQ(gst_harness_push(peer, frame), GST_FLOW_OK);
    }
    uint32_t source = 0;
    packets_sent = packets_dropped = 0;
    while (GstBuffer *packet = gst_harness_try_pull(peer)) {
      ++packets_sent;
      bool repair = gst_buffer_get_size(packet) > 0 && is_repair(packet);
      if (!repair && drop_every != 0 && source++ % drop_every == 0) {
        ++packets_dropped;
        gst_buffer_unref(packet);
        continue;
      }
      ASSERT_EQ(gst_harness_push(receiver, packet), GST_FLOW_OK);
    }
    while (GstBuffer *frame = gst_harness_try_pull(receiver)) gst_buffer_unref(frame);
  }

  static bool is_repair(GstBuffer *packet) {
    GstMapInfo map;
    gst_buffer_map(packet, &map, GST_MAP_READ);
    wzp::wire::PacketView view;
    bool repair = wzp::wire::parse_full({map.data, map.size}, view) == wzp::wire::WireError::kOk &&
                  view.header.repair;
    gst_buffer_unmap(packet, &map);
    return repair;
  }

  // Hands every bus message to the loop; returns how many were reports.
  int deliver(wzp::client::AdaptiveQuality &adaptive, Micros now) {
    int reports = 0;
    while (GstMessage *m = gst_bus_pop(bus)) {
      reports += adaptive.on_bus_message(m, now) ? 1 : 0;
      gst_message_unref(m);
    }
    return reports;
  }

  // The live sender encodes on with its new settings: no error, frames flow.
  void expect_sender_keeps_running() {
    GstElement *fec = sender_element("fec");
    GstStructure *stats = nullptr;
    g_object_get(fec, "stats", &stats, nullptr);
    guint64 before = 0, after = 0;
    gst_structure_get_uint64(stats, "frames", &before);
    gst_structure_free(stats);
    GstBus *sender_bus = gst_element_get_bus(sender);
    GstMessage *error =
        gst_bus_timed_pop_filtered(sender_bus, 300 * GST_MSECOND, GST_MESSAGE_ERROR);
    EXPECT_EQ(error, nullptr);
    if (error) gst_message_unref(error);
    gst_object_unref(sender_bus);
    g_object_get(fec, "stats", &stats, nullptr);
    gst_structure_get_uint64(stats, "frames", &after);
    gst_structure_free(stats);
    gst_object_unref(fec);
    EXPECT_GT(after, before);
  }

  GstElement *sender_element(const char *name) {
    return gst_bin_get_by_name(GST_BIN(sender), name);
  }
};

struct SenderSettings {
  gint bitrate;
  gint frame_size;
  guint block_size;
  gdouble repair_ratio;
  guint interleave_depth;
  guint window_frames;
};

SenderSettings sender_settings(Call &call) {
  SenderSettings s{};
  GstElement *opus = call.sender_element("opus");
  GstElement *fec = call.sender_element("fec");
  g_object_get(opus, "bitrate", &s.bitrate, "frame-size", &s.frame_size, nullptr);
  g_object_get(fec, "block-size", &s.block_size, "repair-ratio", &s.repair_ratio,
               "interleave-depth", &s.interleave_depth, "window-frames", &s.window_frames, nullptr);
  gst_object_unref(opus);
  gst_object_unref(fec);
  return s;
}

void expect_tier_applied(Call &call, Tier tier) {
  const auto &p = wzp::quality::profile(tier);
  SenderSettings s = sender_settings(call);
  EXPECT_EQ(s.bitrate, static_cast<gint>(p.bitrate_bps)) << p.name;
  EXPECT_EQ(s.frame_size, p.frame_ms) << p.name;
  EXPECT_EQ(s.block_size, p.block_frames) << p.name;
  EXPECT_DOUBLE_EQ(s.repair_ratio, p.repair_ratio) << p.name;
  EXPECT_EQ(s.interleave_depth, p.interleave_depth) << p.name;
  EXPECT_EQ(s.window_frames, p.window_frames) << p.name;
}

TEST(AdaptiveQuality, BadReportsStepDownAndGoodOnesStepBackUp) {
  Call call;
  wzp::client::AdaptiveQuality adaptive(call.sender, call.receiver->element, {}, Micros{0});
  ASSERT_EQ(adaptive.tier(), Tier::kGood);
  expect_tier_applied(call, Tier::kGood);

  // 15 % loss: more than good allows (5 %), within degraded (30 %), and not
  // the collapse (20 % here) that would step down at once.
  call.peer_reports(0.15, 400, 40);
  Micros now{0};
  int reports = 0;
  for (int second = 1; second <= 3; ++second) {
    call.one_second();
    now += 1s;
    reports += call.deliver(adaptive, now);
    if (second < 3) {
      EXPECT_EQ(adaptive.tier(), Tier::kGood) << "down only after 3 bad reports";
    }
  }
  EXPECT_EQ(reports, 3);
  ASSERT_EQ(adaptive.tier(), Tier::kDegraded);
  expect_tier_applied(call, Tier::kDegraded);
  call.expect_sender_keeps_running();

  // A clean path: five good reports move it back up one tier.
  call.peer_reports(0.0, 120, 10);
  for (int second = 1; second <= 5; ++second) {
    call.one_second();
    now += 1s;
    call.deliver(adaptive, now);
    if (second < 5) {
      EXPECT_EQ(adaptive.tier(), Tier::kDegraded);
    }
  }
  ASSERT_EQ(adaptive.tier(), Tier::kGood);
  expect_tier_applied(call, Tier::kGood);
  call.expect_sender_keeps_running();

  const auto &history = adaptive.history();
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[1].tier, Tier::kDegraded);
  EXPECT_EQ(history[1].change, wzp::quality::Change::kStepDown);
  EXPECT_EQ(history[2].change, wzp::quality::Change::kStepUp);
  EXPECT_EQ(history[2].at, now);
}

// The codec on air in a wzpvoiceenc once it is `expected`, or after 5 s of
// waiting for that (a live source: the switch needs frames to cut at).
std::string codec_on_air(GstElement *voice, const std::string &expected) {
  std::string codec;
  wzp::test::wait_until(
      [&] {
        GstStructure *stats = nullptr;
        g_object_get(voice, "stats", &stats, nullptr);
        codec = gst_structure_get_string(stats, "codec");
        gst_structure_free(stats);
        return codec == expected;
      },
      std::chrono::seconds(5));
  return codec;
}

TEST(AdaptiveQuality, ACollapseSwitchesWzpVoiceEncToCodec2AndARecoveryBackToOpus) {
  Call call;
  gst_element_set_state(call.sender, GST_STATE_NULL);
  gst_object_unref(call.sender);
  call.sender = gst_parse_launch(
      "audiotestsrc is-live=true samplesperbuffer=480 ! wzpvoiceenc name=voice ! "
      "wzpfecenc name=fec ! fakesink",
      nullptr);
  ASSERT_NE(call.sender, nullptr);
  gst_element_set_state(call.sender, GST_STATE_PLAYING);
  GstElement *voice = call.sender_element("voice");
  wzp::client::AdaptiveQuality adaptive(call.sender, call.receiver->element, {}, Micros{0});
  EXPECT_EQ(codec_on_air(voice, "opus"), "opus");

  // 60 % loss: three reports send it straight to the floor, Codec2.
  call.peer_reports(0.60, 400, 40);
  Micros now{0};
  for (int second = 1; second <= 3; ++second) {
    call.one_second();
    now += 1s;
    call.deliver(adaptive, now);
  }
  ASSERT_EQ(adaptive.tier(), Tier::kCatastrophic);
  gint codec = -1, bitrate = 0;
  g_object_get(voice, "codec", &codec, "bitrate", &bitrate, nullptr);
  EXPECT_EQ(codec, 1);
  EXPECT_EQ(bitrate, 1200);
  EXPECT_EQ(codec_on_air(voice, "codec2"), "codec2");
  call.expect_sender_keeps_running();

  // A clean path: five good reports climb one tier, back to Opus.
  call.peer_reports(0.0, 120, 10);
  for (int second = 1; second <= 5; ++second) {
    call.one_second();
    now += 1s;
    call.deliver(adaptive, now);
  }
  ASSERT_EQ(adaptive.tier(), Tier::kDegraded);
  g_object_get(voice, "codec", &codec, "bitrate", &bitrate, nullptr);
  EXPECT_EQ(codec, 0);
  EXPECT_EQ(bitrate, 6000);
  EXPECT_EQ(codec_on_air(voice, "opus"), "opus");
  call.expect_sender_keeps_running();

  GstStructure *stats = nullptr;
  g_object_get(voice, "stats", &stats, nullptr);
  guint64 switches = 0, out_of_order = 1;
  gst_structure_get_uint64(stats, "codec-switches", &switches);
  gst_structure_get_uint64(stats, "frames-out-of-order", &out_of_order);
  gst_structure_free(stats);
  EXPECT_EQ(switches, 2u);
  EXPECT_EQ(out_of_order, 0u);
  gst_object_unref(voice);
}

TEST(AdaptiveQuality, TickReportsTheLossOurDecoderSees) {
  Call call;
  wzp::client::AdaptiveQuality adaptive(call.sender, call.receiver->element, {}, Micros{0});
  // Every 4th source packet lost: a quarter of the frames, and of all the
  // packets (repair too) the share the report carries, by sequence number.
  call.one_second(4);
  const double packet_loss =
      static_cast<double>(call.packets_dropped) / static_cast<double>(call.packets_sent);
  ASSERT_GT(call.packets_dropped, 5u);
  adaptive.tick(Micros{1'000'000});
  ASSERT_TRUE(adaptive.last_report().has_value());
  EXPECT_NEAR(adaptive.last_report()->loss, packet_loss, 0.03);

  GstElement *fec = call.sender_element("fec");
  GstStructure *report = nullptr;
  g_object_get(fec, "quality-report", &report, nullptr);
  gst_object_unref(fec);
  ASSERT_NE(report, nullptr) << "the report goes into our wzpfecenc";
  gdouble loss = 0;
  EXPECT_TRUE(gst_structure_get_double(report, "loss", &loss));
  EXPECT_NEAR(loss, packet_loss, 0.03);
  gst_structure_free(report);

  // A clean second reports no loss: the window is the last tick's.
  call.one_second();
  adaptive.tick(Micros{2'000'000});
  ASSERT_TRUE(adaptive.last_report().has_value());
  EXPECT_LT(adaptive.last_report()->loss, 0.03);
}

TEST(AdaptiveQuality, SilenceStepsDownThroughTick) {
  Call call;
  wzp::client::AdaptiveQuality adaptive(call.sender, call.receiver->element, {}, Micros{0});
  // No report for 5 s, then each further second counts as bad: 3 of them.
  for (int second = 1; second <= 8; ++second) adaptive.tick(Micros{second * 1'000'000});
  EXPECT_EQ(adaptive.tier(), Tier::kDegraded);
  expect_tier_applied(call, Tier::kDegraded);
}

TEST(AdaptiveQuality, ImposedTierIsAppliedAndRecordedAsADirective) {
  Call call;
  wzp::client::AdaptiveQuality adaptive(call.sender, call.receiver->element, {}, Micros{0});
  adaptive.impose(Tier::kDegraded, Micros{1'000'000});
  EXPECT_EQ(adaptive.tier(), Tier::kDegraded);
  expect_tier_applied(call, Tier::kDegraded);
  adaptive.impose(Tier::kDegraded, Micros{2'000'000});  // already there: no change
  const auto &history = adaptive.history();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_FALSE(history[0].imposed);
  EXPECT_TRUE(history[1].imposed);
  EXPECT_EQ(history[1].tier, Tier::kDegraded);
  EXPECT_EQ(history[1].at, Micros{1'000'000});
  EXPECT_EQ(wzp::quality::describe(history), "0.0s good (none) 1.0s degraded (imposed)");

  // The controller goes on from the imposed tier: five good reports step
  // it up one tier, its own change.
  call.peer_reports(0.0, 120, 10);
  Micros now{2'000'000};
  for (int second = 1; second <= 5; ++second) {
    call.one_second();
    now += 1s;
    call.deliver(adaptive, now);
  }
  EXPECT_EQ(adaptive.tier(), Tier::kGood);
  expect_tier_applied(call, Tier::kGood);
  ASSERT_EQ(adaptive.history().size(), 3u);
  EXPECT_FALSE(adaptive.history()[2].imposed);
  EXPECT_EQ(adaptive.history()[2].change, wzp::quality::Change::kStepUp);
}

TEST(AdaptiveQuality, KeepsThePeersLastReport) {
  Call call;
  wzp::client::AdaptiveQuality adaptive(call.sender, call.receiver->element, {}, Micros{0});
  EXPECT_FALSE(adaptive.peer_report().has_value());
  call.peer_reports(0.30, 400, 40);
  call.one_second();
  ASSERT_GT(call.deliver(adaptive, Micros{1'000'000}), 0);
  ASSERT_TRUE(adaptive.peer_report().has_value());
  EXPECT_NEAR(adaptive.peer_report()->loss, 0.30, 0.01);
  EXPECT_EQ(adaptive.peer_report()->rtt_ms, 400u);
}

TEST(AdaptiveQuality, IgnoresMessagesFromOtherElements) {
  Call call;
  wzp::client::AdaptiveQuality adaptive(call.sender, call.receiver->element, {}, Micros{0});
  GstStructure *s = gst_structure_new("wzp-quality-report", "loss", G_TYPE_DOUBLE, 0.9, nullptr);
  GstElement *fec = call.sender_element("fec");
  GstMessage *m = gst_message_new_element(GST_OBJECT(fec), s);
  EXPECT_FALSE(adaptive.on_bus_message(m, Micros{0}));
  gst_message_unref(m);
  gst_object_unref(fec);
  EXPECT_EQ(adaptive.controller().stats().reports, 0u);
}

}  // namespace
