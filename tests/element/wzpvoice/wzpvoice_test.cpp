// wzpvoiceenc ! wzpvoicedec through GstHarness (a test clock): codec switches
// mid-stream keep the output timeline gapless, the length right, the level
// sane and the junction click-free; GAP events become concealment in both
// codecs.
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "plugins/gstwzp/wzpcompress.h"

namespace {

constexpr int kRate = 48000;
constexpr int kBufferSamples = 480;  // 10 ms, like a microphone
constexpr double kToneHz = 300;
constexpr double kAmplitude = 8000;
constexpr const char *kRawCaps =
    "audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved";

// A voiced-speech stand-in: a 300 Hz tone with two harmonics, which both
// codecs (Codec2 models voiced speech) carry at about its level. A steady
// tone is background to the voice-activity detector, so the switching tests
// run with dtx=false (wzpvoice_dtx_test.cpp covers DTX).
int16_t tone(int64_t n) {
  const double t = static_cast<double>(n) / kRate;
  const double w = 2 * M_PI * kToneHz * t;
  return static_cast<int16_t>(kAmplitude *
                              (0.6 * std::sin(w) + 0.3 * std::sin(2 * w) + 0.1 * std::sin(3 * w)));
}

GstBuffer *tone_buffer(int64_t first_sample) {
  GstBuffer *buffer = gst_buffer_new_allocate(nullptr, kBufferSamples * 2, nullptr);
  GstMapInfo map;
  gst_buffer_map(buffer, &map, GST_MAP_WRITE);
  auto *samples = reinterpret_cast<int16_t *>(map.data);
  for (int i = 0; i < kBufferSamples; ++i) samples[i] = tone(first_sample + i);
  gst_buffer_unmap(buffer, &map);
  GST_BUFFER_PTS(buffer) = gst_util_uint64_scale_int(first_sample, GST_SECOND, kRate);
  GST_BUFFER_DURATION(buffer) = gst_util_uint64_scale_int(kBufferSamples, GST_SECOND, kRate);
  return buffer;
}

struct Decoded {
  std::vector<int16_t> samples;
  GstClockTime first_pts = GST_CLOCK_TIME_NONE;
  int timeline_breaks = 0;  // a buffer not starting where the last one ended
};

Decoded pull_all(GstHarness *h) {
  Decoded out;
  GstClockTime expected = GST_CLOCK_TIME_NONE;
  while (GstBuffer *b = gst_harness_try_pull(h)) {
    if (!GST_CLOCK_TIME_IS_VALID(out.first_pts)) out.first_pts = GST_BUFFER_PTS(b);
    if (GST_CLOCK_TIME_IS_VALID(expected) && GST_BUFFER_PTS(b) != expected) ++out.timeline_breaks;
    expected = GST_BUFFER_PTS(b) + GST_BUFFER_DURATION(b);
    GstMapInfo map;
    gst_buffer_map(b, &map, GST_MAP_READ);
    auto *s = reinterpret_cast<const int16_t *>(map.data);
    out.samples.insert(out.samples.end(), s, s + map.size / 2);
    gst_buffer_unmap(b, &map);
    gst_buffer_unref(b);
  }
  return out;
}

double rms(const std::vector<int16_t> &s, double from_s, double to_s) {
  size_t a = static_cast<size_t>(from_s * kRate), b = static_cast<size_t>(to_s * kRate);
  b = std::min(b, s.size());
  double sum = 0;
  for (size_t i = a; i < b; ++i) sum += double(s[i]) * s[i];
  return b > a ? std::sqrt(sum / double(b - a)) : 0;
}

int largest_step(const std::vector<int16_t> &s, double from_s, double to_s) {
  size_t a = static_cast<size_t>(from_s * kRate) + 1, b = static_cast<size_t>(to_s * kRate);
  b = std::min(b, s.size());
  int largest = 0;
  for (size_t i = a; i < b; ++i) largest = std::max(largest, std::abs(s[i] - s[i - 1]));
  return largest;
}

GstStructure *stats_of(GstHarness *h, const char *factory) {
  GstElement *e = gst_harness_find_element(h, factory);
  GstStructure *stats = nullptr;
  g_object_get(e, "stats", &stats, nullptr);
  gst_object_unref(e);
  return stats;
}

guint64 stat_u64(GstStructure *s, const char *field) {
  guint64 v = 0;
  gst_structure_get_uint64(s, field, &v);
  return v;
}

// Drops every `period`-th encoded frame (counting from `first`) and sends a
// GAP event for it instead, as wzpjitterbuffer does for a lost frame.
struct Holes {
  int period = 0;
  int count = 0;
  int made = 0;
};
GstPadProbeReturn punch_hole(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  auto *holes = static_cast<Holes *>(data);
  GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER(info);
  if (holes->period == 0 || ++holes->count % holes->period != 0) return GST_PAD_PROBE_OK;
  ++holes->made;
  gst_pad_push_event(pad, gst_event_new_gap(GST_BUFFER_PTS(b), GST_BUFFER_DURATION(b)));
  return GST_PAD_PROBE_DROP;
}

// Pushes `seconds` of tone, setting the encoder's codec at the given times.
struct Switch {
  double at_s;
  const char *codec;
  int bitrate;
};
Decoded run(GstHarness *h, double seconds, const std::vector<Switch> &switches) {
  GstElement *encoder = gst_harness_find_element(h, "wzpvoiceenc");
  gst_harness_set_src_caps_str(h, kRawCaps);
  const int64_t total = static_cast<int64_t>(seconds * kRate);
  size_t next_switch = 0;
  for (int64_t n = 0; n < total; n += kBufferSamples) {
    if (next_switch < switches.size() && n >= switches[next_switch].at_s * kRate) {
      gst_util_set_object_arg(G_OBJECT(encoder), "codec", switches[next_switch].codec);
      g_object_set(encoder, "bitrate", switches[next_switch].bitrate, nullptr);
      ++next_switch;
    }
    EXPECT_EQ(gst_harness_push(h, tone_buffer(n)), GST_FLOW_OK);
  }
  EXPECT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  gst_object_unref(encoder);
  return pull_all(h);
}

TEST(WzpVoice, OpusToCodec2AndBackKeepsTimeLengthAndLevel) {
  GstHarness *h = gst_harness_new_parse("wzpvoiceenc bitrate=24000 dtx=false ! wzpvoicedec");
  Decoded out = run(h, 3.0, {{1.0, "codec2", 1200}, {2.0, "opus", 24000}});

  EXPECT_EQ(out.first_pts, 0u);
  EXPECT_EQ(out.timeline_breaks, 0);
  EXPECT_EQ(out.samples.size(), size_t{3 * kRate});

  const double input_rms = kAmplitude * std::sqrt((0.36 + 0.09 + 0.01) / 2);
  for (auto [from, to] : {std::pair{0.2, 0.9}, {1.2, 1.9}, {2.2, 2.9}}) {
    double level = rms(out.samples, from, to);
    EXPECT_GT(level, input_rms * 0.3) << from << "-" << to << " s";
    EXPECT_LT(level, input_rms * 2.0) << from << "-" << to << " s";
  }
  // No click: around each switch no sample step beyond what the decoded
  // audio of one codec alone has (a switch lands within 40 ms of the request).
  const int opus_steps = largest_step(out.samples, 0.2, 0.9);
  const int codec2_steps = largest_step(out.samples, 1.2, 1.9);
  const int steady = std::max(opus_steps, codec2_steps);
  EXPECT_LE(largest_step(out.samples, 0.95, 1.1), steady * 1.2);
  EXPECT_LE(largest_step(out.samples, 1.95, 2.1), steady * 1.2);

  GstStructure *enc = stats_of(h, "wzpvoiceenc");
  EXPECT_EQ(stat_u64(enc, "codec-switches"), 2u);
  EXPECT_EQ(stat_u64(enc, "frames-out-of-order"), 0u);
  GstStructure *dec = stats_of(h, "wzpvoicedec");
  EXPECT_EQ(stat_u64(dec, "codec-switches"), 2u);
  guint step = 0;
  gst_structure_get_uint(dec, "largest-step", &step);
  ::testing::Test::RecordProperty("largest-step-at-join", static_cast<int>(step));
  std::printf(
      "largest sample step: Opus alone %d, Codec2 alone %d, around the switches %d "
      "and %d (%u before smoothing); filled %lu samples, trimmed %lu; sender holes "
      "%.1f ms\n",
      opus_steps, codec2_steps, largest_step(out.samples, 0.95, 1.1),
      largest_step(out.samples, 1.95, 2.1), step,
      static_cast<unsigned long>(stat_u64(dec, "samples-filled")),
      static_cast<unsigned long>(stat_u64(dec, "samples-trimmed")),
      static_cast<double>(stat_u64(enc, "switch-gap-ns")) / 1e6);
  gst_structure_free(enc);
  gst_structure_free(dec);
  gst_harness_teardown(h);
}

GstPadProbeReturn count_buffer(GstPad *, GstPadProbeInfo *, gpointer data) {
  ++*static_cast<int *>(data);
  return GST_PAD_PROBE_OK;
}

// The Codec2 encoder inside costs CPU: it gets audio only while Codec2 is on
// air or a switch to it is under way, and the switch still happens.
TEST(WzpVoice, Codec2EncodesOnlyWhileNeeded) {
  GstHarness *h = gst_harness_new_parse("wzpvoiceenc bitrate=24000 dtx=false ! wzpvoicedec");
  GstElement *encoder = gst_harness_find_element(h, "wzpvoiceenc");
  GstElement *codec2 = gst_bin_get_by_name(GST_BIN(encoder), "codec2");
  ASSERT_NE(codec2, nullptr);
  GstPad *codec2_in = gst_element_get_static_pad(codec2, "sink");
  int codec2_buffers = 0;
  gst_pad_add_probe(codec2_in, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &codec2_buffers, nullptr);
  gst_harness_set_src_caps_str(h, kRawCaps);
  int64_t n = 0;
  for (; n < kRate; n += kBufferSamples)
    ASSERT_EQ(gst_harness_push(h, tone_buffer(n)), GST_FLOW_OK);
  EXPECT_EQ(codec2_buffers, 0) << "Codec2 ran on the Opus tier";
  gst_util_set_object_arg(G_OBJECT(encoder), "codec", "codec2");
  g_object_set(encoder, "bitrate", 1200, nullptr);
  for (; n < 2 * kRate; n += kBufferSamples) {
    ASSERT_EQ(gst_harness_push(h, tone_buffer(n)), GST_FLOW_OK);
  }
  EXPECT_GE(codec2_buffers, 90) << "Codec2 did not run on air";
  gst_util_set_object_arg(G_OBJECT(encoder), "codec", "opus");
  g_object_set(encoder, "bitrate", 24000, nullptr);
  for (; n < 3 * kRate; n += kBufferSamples) {
    ASSERT_EQ(gst_harness_push(h, tone_buffer(n)), GST_FLOW_OK);
  }
  // Back on Opus it stops once the cut is made, within a few frames.
  EXPECT_LE(codec2_buffers, 100 + 10);
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  Decoded out = pull_all(h);
  EXPECT_EQ(out.timeline_breaks, 0);
  EXPECT_EQ(out.samples.size(), size_t{3 * kRate});
  GstStructure *enc = stats_of(h, "wzpvoiceenc");
  EXPECT_EQ(stat_u64(enc, "codec-switches"), 2u);
  gst_structure_free(enc);
  gst_object_unref(codec2_in);
  gst_object_unref(codec2);
  gst_object_unref(encoder);
  gst_harness_teardown(h);
}

// A call that starts at the Codec2 tier: the codec set before the stream
// starts is on air from its first frame, with no switch from Opus (which
// sent a few Opus frames whose times the Codec2 ones overlapped).
TEST(WzpVoice, AStreamStartsOnTheCodecSetBeforeIt) {
  GstHarness *h =
      gst_harness_new_parse("wzpvoiceenc codec=codec2 bitrate=1200 frame-duration=80 dtx=false");
  gst_harness_set_src_caps_str(h, kRawCaps);
  // Six whole 80 ms frames.
  for (int64_t n = 0; n < kRate * 48 / 100; n += kBufferSamples) {
    ASSERT_EQ(gst_harness_push(h, tone_buffer(n)), GST_FLOW_OK);
  }
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  GstCaps *caps = gst_pad_get_current_caps(h->sinkpad);
  ASSERT_NE(caps, nullptr);
  EXPECT_TRUE(gst_structure_has_name(gst_caps_get_structure(caps, 0), "audio/x-codec2"))
      << gst_caps_to_string(caps);
  gst_caps_unref(caps);
  int frames = 0;
  GstClockTime expected = 0;
  while (GstBuffer *b = gst_harness_try_pull(h)) {
    EXPECT_EQ(GST_BUFFER_PTS(b), expected) << "frame " << frames;
    EXPECT_EQ(GST_BUFFER_DURATION(b), 80 * GST_MSECOND) << "frame " << frames;
    expected = GST_BUFFER_PTS(b) + GST_BUFFER_DURATION(b);
    ++frames;
    gst_buffer_unref(b);
  }
  EXPECT_EQ(frames, 6);
  GstStructure *enc = stats_of(h, "wzpvoiceenc");
  EXPECT_EQ(stat_u64(enc, "codec-switches"), 0u);
  gst_structure_free(enc);
  gst_harness_teardown(h);
}

TEST(WzpVoice, BitrateAndFrameChangesWithinOpusKeepTime) {
  GstHarness *h = gst_harness_new_parse("wzpvoiceenc bitrate=64000 dtx=false ! wzpvoicedec");
  GstElement *encoder = gst_harness_find_element(h, "wzpvoiceenc");
  gst_harness_set_src_caps_str(h, kRawCaps);
  for (int64_t n = 0; n < 2 * kRate; n += kBufferSamples) {
    if (n == kRate / 2) g_object_set(encoder, "bitrate", 6000, "frame-duration", 40, nullptr);
    if (n == kRate) g_object_set(encoder, "bitrate", 24000, "frame-duration", 20, nullptr);
    ASSERT_EQ(gst_harness_push(h, tone_buffer(n)), GST_FLOW_OK);
  }
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  Decoded out = pull_all(h);
  EXPECT_EQ(out.timeline_breaks, 0);
  EXPECT_EQ(out.samples.size(), size_t{2 * kRate});
  EXPECT_GT(rms(out.samples, 0.6, 0.9), 1000);
  gst_object_unref(encoder);
  gst_harness_teardown(h);
}

TEST(WzpVoice, GapsBecomeConcealmentInBothCodecs) {
  GstHarness *h = gst_harness_new_parse(
      "wzpvoiceenc bitrate=24000 dtx=false ! identity name=holes ! wzpvoicedec");
  GstElement *identity = gst_harness_find_element(h, "identity");
  GstPad *pad = gst_element_get_static_pad(identity, "src");
  Holes holes{7};
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, punch_hole, &holes, nullptr);
  Decoded out = run(h, 2.0, {{1.0, "codec2", 1200}});
  EXPECT_GE(holes.made, 8);
  EXPECT_EQ(out.timeline_breaks, 0);
  // Within 1 ms: a concealed last Codec2 frame may come out a few samples
  // short of 40 ms after resampling.
  EXPECT_NEAR(double(out.samples.size()), 2.0 * kRate, kRate / 1000);
  GstStructure *dec = stats_of(h, "wzpvoicedec");
  EXPECT_EQ(stat_u64(dec, "codec-switches"), 1u);
  gst_structure_free(dec);
  // Concealment, not silence: no 20 ms stretch of either codec's part is quiet.
  for (double t = 0.1; t < 1.9; t += 0.02) {
    if (t > 0.95 && t < 1.1) continue;  // the switch itself
    EXPECT_GT(rms(out.samples, t, t + 0.02), 200) << "at " << t << " s";
  }
  gst_object_unref(pad);
  gst_object_unref(identity);
  gst_harness_teardown(h);
}

// Moves every encoded frame from `at` on earlier by `by`, as a jitter buffer
// lowering its delay does: the decoded audio then overlaps what came before.
struct EarlierFrom {
  GstClockTime at;
  GstClockTime by;
};
GstPadProbeReturn move_earlier(GstPad *, GstPadProbeInfo *info, gpointer data) {
  const auto *moves = static_cast<const std::vector<EarlierFrom> *>(data);
  GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER(info);
  GstClockTime by = 0;
  for (const auto &move : *moves) by += GST_BUFFER_PTS(b) >= move.at ? move.by : 0;
  if (by == 0) return GST_PAD_PROBE_OK;
  b = gst_buffer_make_writable(b);
  GST_BUFFER_PTS(b) -= by;
  GST_PAD_PROBE_INFO_DATA(info) = b;
  return GST_PAD_PROBE_OK;
}

TEST(WzpVoice, AnOverlapInTheInputLeavesTheOutputInBothCodecs) {
  // 20 ms earlier in Opus, then 20 ms more in Codec2: shorter than the
  // 1/32 s within which audioresample (the Codec2 branch's 8 to 48 kHz)
  // would take the frame as continuing the last one.
  GstHarness *h = gst_harness_new_parse(
      "wzpvoiceenc bitrate=24000 dtx=false ! identity name=shift ! wzpvoicedec");
  GstElement *identity = gst_harness_find_element(h, "identity");
  GstPad *pad = gst_element_get_static_pad(identity, "src");
  const std::vector<EarlierFrom> moves{{GST_SECOND / 2, 20 * GST_MSECOND},
                                       {3 * GST_SECOND / 2, 20 * GST_MSECOND}};
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, move_earlier,
                    const_cast<std::vector<EarlierFrom> *>(&moves), nullptr);
  Decoded out = run(h, 2.0, {{1.0, "codec2", 1200}});
  EXPECT_EQ(out.timeline_breaks, 0);
  EXPECT_NEAR(double(out.samples.size()), 1.96 * kRate, kRate / 1000);
  GstStructure *dec = stats_of(h, "wzpvoicedec");
  EXPECT_NEAR(double(stat_u64(dec, "samples-trimmed")), 0.04 * kRate, kRate / 1000);
  gst_structure_free(dec);
  gst_object_unref(pad);
  gst_object_unref(identity);
  gst_harness_teardown(h);
}

// Plays the jitter buffer's part in time compression (plugins/gstwzp/wzpcompress.h):
// from `from` on, asks for up to 10 ms off every frame, hears what the
// decoder removed, and moves the frames after it earlier by as much.
struct Compressing {
  GstClockTime from = GST_SECOND / 2;
  int64_t removed = 0;  // ns
  int reports = 0;
  int requests = 0;
};
GstPadProbeReturn ask_to_compress(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  auto *c = static_cast<Compressing *>(data);
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_UPSTREAM) {
    int64_t removed = wzp::gst::compress::event_time(GST_PAD_PROBE_INFO_EVENT(info),
                                                     wzp::gst::compress::kReportName);
    if (removed < 0) return GST_PAD_PROBE_OK;
    c->removed += removed;
    ++c->reports;
    return GST_PAD_PROBE_DROP;
  }
  GstBuffer *b = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = b;
  GST_BUFFER_PTS(b) -= static_cast<GstClockTime>(c->removed);
  if (GST_BUFFER_PTS(b) + static_cast<GstClockTime>(c->removed) >= c->from) {
    ++c->requests;
    gst_pad_push_event(pad, wzp::gst::compress::request_new(10 * GST_MSECOND));
  }
  return GST_PAD_PROBE_OK;
}

TEST(WzpVoice, FramesPlayShorterWhereTheJitterBufferAsksInBothCodecs) {
  GstHarness *h = gst_harness_new_parse(
      "wzpvoiceenc bitrate=24000 dtx=false ! identity name=shift ! wzpvoicedec");
  GstElement *identity = gst_harness_find_element(h, "identity");
  GstPad *pad = gst_element_get_static_pad(identity, "src");
  GstQuery *query = wzp::gst::compress::query_new();
  EXPECT_TRUE(gst_pad_peer_query(pad, query));  // the jitter buffer's question
  gst_query_unref(query);
  Compressing c;
  gst_pad_add_probe(
      pad,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_UPSTREAM),
      ask_to_compress, &c, nullptr);
  Decoded out = run(h, 2.0, {{1.0, "codec2", 1200}});
  EXPECT_EQ(c.reports, c.requests);
  // The tone is periodic (300 Hz: 3.3 ms): most frames lose a period or more.
  EXPECT_GT(c.removed, 200 * GST_MSECOND);
  EXPECT_EQ(out.timeline_breaks, 0);
  EXPECT_NEAR(double(out.samples.size()),
              2.0 * kRate - double(gst_util_uint64_scale(c.removed, kRate, GST_SECOND)),
              kRate / 1000);
  // No clicks where periods were cut out: Opus from 0.5 s on, played about
  // half as long, until the switch to Codec2 (1 s in, about 0.75 s out).
  const int natural = largest_step(out.samples, 0.1, 0.4);
  EXPECT_LE(largest_step(out.samples, 0.5, 0.7), natural * 3 / 2);
  GstStructure *dec = stats_of(h, "wzpvoicedec");
  EXPECT_EQ(stat_u64(dec, "samples-trimmed"), 0u);
  EXPECT_EQ(stat_u64(dec, "compressed-time"), static_cast<guint64>(c.removed));
  gst_structure_free(dec);
  gst_object_unref(pad);
  gst_object_unref(identity);
  gst_harness_teardown(h);
}

TEST(WzpVoice, UnknownCodecNameIsRefused) {
  GstElement *encoder = gst_element_factory_make("wzpvoiceenc", nullptr);
  ASSERT_NE(encoder, nullptr);
  GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(encoder), "codec");
  GValue value = G_VALUE_INIT;
  g_value_init(&value, spec->value_type);
  EXPECT_FALSE(gst_value_deserialize(&value, "speex"));
  EXPECT_TRUE(gst_value_deserialize(&value, "codec2"));
  g_value_unset(&value);
  gst_object_unref(encoder);
}

}  // namespace
