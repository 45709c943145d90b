// wzpvoiceenc dtx through GstHarness: in silence Opus sends only its noise
// updates (no one-byte DTX packets) and Codec2 only SID frames, the
// catastrophic tier's Codec2 goes out two frames per packet, a codec switch
// in silence still happens, and through wzpvoicedec (with GAP events for the
// time not sent, as wzpjitterbuffer makes them) the silence comes out as
// comfort noise on an unbroken timeline.
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "tests/support/harness.hpp"

namespace {

constexpr int kRate = 48000;
constexpr int kBufferSamples = 480;  // 10 ms
constexpr double kBackgroundDbfs = -55.0;
constexpr const char *kRawCaps =
    "audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved";

// `speech_s` of a speech-like voiced buzz (four syllables a second, which the
// voice-activity detectors keep as speech), then the background alone until
// `total_s`; the background (white noise) runs under the speech too.
// `speech_again_s` > 0 starts speech again from there.
std::vector<int16_t> call_audio(double speech_s, double total_s, double speech_again_s = 0) {
  std::mt19937 random(7);
  std::normal_distribution<double> background(0.0, 32768.0 * std::pow(10.0, kBackgroundDbfs / 20));
  std::vector<int16_t> out(static_cast<size_t>(total_s * kRate));
  for (size_t i = 0; i < out.size(); ++i) {
    const double t = static_cast<double>(i) / kRate;
    double v = background(random);
    if (t < speech_s || (speech_again_s > 0 && t >= speech_again_s)) {
      double voiced = 0;
      for (int h = 1; h <= 20; ++h) voiced += std::sin(2 * M_PI * 150 * h * t + h * h) / h;
      v += 2500 * voiced * (0.05 + std::pow(std::sin(M_PI * 4.0 * t), 2.0));
    }
    out[i] = static_cast<int16_t>(std::lround(std::fmax(-32768.0, std::fmin(32767.0, v))));
  }
  return out;
}

double level_dbfs(const std::vector<int16_t> &s, double from_s, double to_s) {
  const size_t a = static_cast<size_t>(from_s * kRate);
  const size_t b = std::min(s.size(), static_cast<size_t>(to_s * kRate));
  double sum = 0;
  for (size_t i = a; i < b; ++i) sum += double(s[i]) * s[i];
  return 10 * std::log10(sum / double(b - a) / (32768.0 * 32768.0));
}

struct Switch {
  double at_s;
  const char *codec;
  int bitrate;
  int frame_ms;
};

// Pushes `pcm` in 10 ms buffers into the harness's wzpvoiceenc, applying the
// switches at their times (one g_object_set, as a tier change does).
void push(GstHarness *h, const std::vector<int16_t> &pcm, const std::vector<Switch> &switches) {
  GstElement *encoder = gst_harness_find_element(h, "wzpvoiceenc");
  gst_harness_set_src_caps_str(h, kRawCaps);
  size_t next_switch = 0;
  for (size_t n = 0; n + kBufferSamples <= pcm.size(); n += kBufferSamples) {
    if (next_switch < switches.size() && double(n) >= switches[next_switch].at_s * kRate) {
      const Switch &s = switches[next_switch++];
      GValue codec = G_VALUE_INIT;
      g_value_init(&codec, G_PARAM_SPEC_VALUE_TYPE(
                               g_object_class_find_property(G_OBJECT_GET_CLASS(encoder), "codec")));
      gst_value_deserialize(&codec, s.codec);
      g_object_set(encoder, "codec", g_value_get_enum(&codec), "bitrate", s.bitrate,
                   "frame-duration", s.frame_ms, nullptr);
    }
    GstBuffer *b = gst_buffer_new_memdup(pcm.data() + n, kBufferSamples * sizeof(int16_t));
    GST_BUFFER_PTS(b) = gst_util_uint64_scale_int(n, GST_SECOND, kRate);
    GST_BUFFER_DURATION(b) = gst_util_uint64_scale_int(kBufferSamples, GST_SECOND, kRate);
    ASSERT_EQ(gst_harness_push(h, b), GST_FLOW_OK);
  }
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  gst_object_unref(encoder);
}

struct Packet {
  GstClockTime pts, duration;
  size_t size;
  bool discont;
  std::string codec;  // caps name of the stream when it went out
};

std::vector<Packet> pull_packets(GstHarness *h) {
  std::vector<Packet> out;
  while (GstBuffer *b = gst_harness_try_pull(h)) {
    GstCaps *caps = gst_pad_get_current_caps(h->sinkpad);
    out.push_back({GST_BUFFER_PTS(b), GST_BUFFER_DURATION(b), gst_buffer_get_size(b),
                   GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DISCONT),
                   caps ? gst_structure_get_name(gst_caps_get_structure(caps, 0)) : ""});
    if (caps) gst_caps_unref(caps);
    gst_buffer_unref(b);
  }
  return out;
}

using wzp::test::element_stat;

size_t packets_between(const std::vector<Packet> &packets, double from_s, double to_s) {
  size_t n = 0;
  for (const Packet &p : packets) {
    n += p.pts >= from_s * GST_SECOND && p.pts < to_s * GST_SECOND;
  }
  return n;
}

TEST(WzpVoiceDtx, OpusSilenceSendsOnlyItsNoiseUpdates) {
  const auto audio = call_audio(3.0, 8.0);
  GstHarness *with = gst_harness_new_parse("wzpvoiceenc bitrate=24000 frame-duration=20");
  push(with, audio, {});
  const auto sent = pull_packets(with);
  GstHarness *without =
      gst_harness_new_parse("wzpvoiceenc bitrate=24000 frame-duration=20 dtx=false");
  push(without, audio, {});
  const auto all = pull_packets(without);

  // The last 4 s are silence: 200 frames of 20 ms.
  const size_t silent_with = packets_between(sent, 4.0, 8.0);
  const size_t silent_without = packets_between(all, 4.0, 8.0);
  EXPECT_GE(silent_without, 195u);
  EXPECT_LE(silent_with, silent_without / 5);
  EXPECT_GE(element_stat(with, "wzpvoiceenc", "dtx-skipped"), 150u);
  EXPECT_EQ(element_stat(without, "wzpvoiceenc", "dtx-skipped"), 0u);
  // The speech goes out whole.
  EXPECT_GE(packets_between(sent, 0.5, 2.5), 99u);
  GstClockTime end = GST_CLOCK_TIME_NONE;
  for (const Packet &p : sent) {
    EXPECT_NE(p.size, 1u) << "a DTX packet went out at " << p.pts;
    // A packet after skipped time says so; one straight after another does not.
    if (GST_CLOCK_TIME_IS_VALID(end)) {
      EXPECT_EQ(p.discont, p.pts > end) << p.pts;
    }
    end = p.pts + p.duration;
  }
  std::printf("Opus 24k/20 ms, 4 s of silence: %zu packets with dtx, %zu without\n", silent_with,
              silent_without);
  gst_harness_teardown(with);
  gst_harness_teardown(without);
}

TEST(WzpVoiceDtx, Codec2TierSendsTwoFramesPerPacketAndSidFramesInSilence) {
  const auto audio = call_audio(3.0, 8.0);
  GstHarness *h = gst_harness_new_parse("wzpvoiceenc codec=codec2 bitrate=1200 frame-duration=80");
  push(h, audio, {});
  const auto sent = pull_packets(h);
  size_t speech = 0, sids = 0;
  for (const Packet &p : sent) {
    if (p.codec != "audio/x-codec2") continue;  // Opus until the first cut
    if (p.pts >= 0.5 * GST_SECOND && p.pts < 2.5 * GST_SECOND) {
      EXPECT_EQ(p.size, 12u) << p.pts;  // two 6-byte frames
      EXPECT_EQ(p.duration, 80 * GST_MSECOND);
      ++speech;
    }
    if (p.pts >= 4 * GST_SECOND) {
      EXPECT_EQ(p.size, 5u) << p.pts;  // only SID frames after the hangover
      ++sids;
    }
  }
  EXPECT_EQ(speech, 25u);
  EXPECT_GE(sids, 9u);  // one per 400 ms
  EXPECT_LE(sids, 11u);
  gst_harness_teardown(h);
}

// Sends GAP events for any time the stream skips, one frame (the last
// buffer's duration) each, as wzpjitterbuffer does when frames stop arriving.
struct Playout {
  GstClockTime end = GST_CLOCK_TIME_NONE;
  GstClockTime frame = 0;
};
GstPadProbeReturn gaps_for_skipped_time(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  auto *playout = static_cast<Playout *>(data);
  GstBuffer *b = GST_PAD_PROBE_INFO_BUFFER(info);
  if (GST_CLOCK_TIME_IS_VALID(playout->end) && playout->frame > 0) {
    for (GstClockTime t = playout->end; t < GST_BUFFER_PTS(b); t += playout->frame) {
      gst_pad_push_event(pad,
                         gst_event_new_gap(t, std::min(playout->frame, GST_BUFFER_PTS(b) - t)));
    }
  }
  playout->end = GST_BUFFER_PTS(b) + GST_BUFFER_DURATION(b);
  playout->frame = GST_BUFFER_DURATION(b);
  return GST_PAD_PROBE_OK;
}

// `gaps`: GAP events for the time not sent (as wzpjitterbuffer makes them);
// without, wzpvoicedec sees only the holes in the timestamps.
std::vector<int16_t> decode_call(const std::string &encoder, const std::vector<int16_t> &audio,
                                 const std::vector<Switch> &switches, GstHarness **out,
                                 bool gaps = true) {
  GstHarness *h =
      gst_harness_new_parse((encoder + " ! identity name=jitter ! wzpvoicedec").c_str());
  GstElement *identity = gst_harness_find_element(h, "identity");
  GstPad *pad = gst_element_get_static_pad(identity, "src");
  Playout playout;
  if (gaps) {
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, gaps_for_skipped_time, &playout, nullptr);
  }
  push(h, audio, switches);
  std::vector<int16_t> pcm;
  GstClockTime expected = 0;
  while (GstBuffer *b = gst_harness_try_pull(h)) {
    EXPECT_EQ(GST_BUFFER_PTS(b), expected);  // one unbroken timeline
    expected = GST_BUFFER_PTS(b) + GST_BUFFER_DURATION(b);
    const size_t at = pcm.size();
    pcm.resize(at + gst_buffer_get_size(b) / 2);
    gst_buffer_extract(b, 0, pcm.data() + at, gst_buffer_get_size(b));
    gst_buffer_unref(b);
  }
  gst_object_unref(pad);
  gst_object_unref(identity);
  *out = h;
  return pcm;
}

void expect_comfort_noise(bool gaps) {
  const auto audio = call_audio(2.0, 6.0);
  for (const char *encoder :
       {"wzpvoiceenc bitrate=24000 frame-duration=20", "wzpvoiceenc bitrate=6000 frame-duration=40",
        "wzpvoiceenc codec=codec2 bitrate=1200 frame-duration=80"}) {
    GstHarness *h = nullptr;
    const auto pcm = decode_call(encoder, audio, {}, &h, gaps);
    // The stream ends in silence: the receiver hears time pass only up to the
    // last packet sent (a noise update or SID, at most 400 ms before the end).
    EXPECT_LE(pcm.size(), audio.size()) << encoder;
    EXPECT_GE(pcm.size(), audio.size() - kRate / 2) << encoder;
    const double in = level_dbfs(audio, 3.0, 5.5);
    const double out = level_dbfs(pcm, 3.0, 5.5);
    // Not dead air, not loss concealment's speech: near the room's level.
    EXPECT_NEAR(out, in, 10.0) << encoder;
    for (double t = 3.0; t < 5.5; t += 0.1) {
      EXPECT_GT(level_dbfs(pcm, t, t + 0.1), in - 20) << encoder << " at " << t << " s";
    }
    const guint64 holes = element_stat(h, "wzpvoicedec", "holes-concealed");
    if (gaps) {
      EXPECT_EQ(holes, 0u) << encoder;
    } else {
      EXPECT_GT(holes, 4u) << encoder;  // one before each noise update or SID
    }
    std::printf("%s, %s: background %.1f dBFS in, %.1f dBFS out; %" G_GUINT64_FORMAT
                " holes concealed, %" G_GUINT64_FORMAT " samples filled by the join\n",
                encoder, gaps ? "GAP events" : "holes", in, out, holes,
                element_stat(h, "wzpvoicedec", "samples-filled"));
    gst_harness_teardown(h);
  }
}

TEST(WzpVoiceDtx, SilenceComesOutAsComfortNoiseOnAnUnbrokenTimeline) { expect_comfort_noise(true); }

TEST(WzpVoiceDtx, HolesInTheTimestampsComeOutAsComfortNoiseToo) { expect_comfort_noise(false); }

TEST(WzpVoiceDtx, ACodecSwitchDuringSilenceHappensAndKeepsTime) {
  // Speech, 4 s of silence with a switch to Codec2 and back inside it, speech.
  const auto audio = call_audio(2.0, 8.0, 6.0);
  GstHarness *h = nullptr;
  const auto pcm = decode_call("wzpvoiceenc bitrate=24000 frame-duration=20", audio,
                               {{3.0, "codec2", 1200, 80}, {4.5, "opus", 24000, 20}}, &h);
  EXPECT_EQ(element_stat(h, "wzpvoiceenc", "codec-switches"), 2u);
  EXPECT_EQ(element_stat(h, "wzpvoiceenc", "frames-out-of-order"), 0u);
  EXPECT_EQ(element_stat(h, "wzpvoicedec", "codec-switches"), 2u);
  EXPECT_NEAR(double(pcm.size()), double(audio.size()), kRate * 0.1);
  // The speech after the silence is back at its level.
  EXPECT_NEAR(level_dbfs(pcm, 6.5, 7.5), level_dbfs(audio, 6.5, 7.5), 6.0);
  gst_harness_teardown(h);
}

}  // namespace
