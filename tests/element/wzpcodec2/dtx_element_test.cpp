// DTX through GstHarness: wzpcodec2enc dtx=true sends a few SID bytes for
// silence and normal frames for speech; wzpcodec2dec turns SID frames and the
// GAP events after them (as wzpjitterbuffer sends) into comfort noise that
// keeps time and matches the background's level.
#include <gst/check/gstharness.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/element/wzpcodec2/codec2_test_audio.hpp"
#include "tests/support/harness.hpp"

namespace {

using namespace wzp::test::codec2;
using wzp::test::element_stat;
using wzp::test::pull_buffers;

double level_dbfs(const std::vector<int16_t> &s, size_t from, size_t to) {
  double sum = 0;
  for (size_t i = from; i < to; ++i) sum += static_cast<double>(s[i]) * s[i];
  return 10 * std::log10(sum / static_cast<double>(to - from) / (32768.0 * 32768.0));
}

void push_pcm(GstHarness *h, const std::vector<int16_t> &pcm, size_t first_sample = 0) {
  wzp::test::push_s16(h, pcm, kRate, 1600, first_sample);
}

GstHarness *dtx_encoder() {
  GstHarness *h = gst_harness_new_parse("wzpcodec2enc mode=1200 dtx=true");
  gst_harness_set_src_caps_str(h, kRawCaps);
  return h;
}

GstHarness *decoder() {
  GstHarness *h = gst_harness_new("wzpcodec2dec");
  gst_harness_set_src_caps_str(h, "audio/x-codec2, mode=(string)1200");
  return h;
}

TEST(WzpCodec2Dtx, SilenceInFewBytesOut) {
  GstHarness *h = dtx_encoder();
  push_pcm(h, noise(10 * kRate, -45.0, 1));
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  size_t bytes = 0, sids_after_warm_up = 0, frames_after_warm_up = 0;
  GstClockTime last_pts = 0;
  for (GstBuffer *b : pull_buffers(h)) {
    bytes += gst_buffer_get_size(b);
    EXPECT_GE(GST_BUFFER_PTS(b), last_pts);
    last_pts = GST_BUFFER_PTS(b);
    if (GST_BUFFER_PTS(b) >= GST_SECOND) {
      ++(gst_buffer_get_size(b) == kSidBytes ? sids_after_warm_up : frames_after_warm_up);
    }
    gst_buffer_unref(b);
  }
  // Without DTX: 250 frames, 1500 bytes. The detector's 250 ms warm-up and
  // 300 ms hangover are sent as frames, then one 5-byte SID per 400 ms.
  EXPECT_EQ(frames_after_warm_up, 0u);
  EXPECT_GE(sids_after_warm_up, 21u);
  EXPECT_LE(sids_after_warm_up, 23u);
  EXPECT_LT(bytes, 250u);
  EXPECT_EQ(element_stat(h, "wzpcodec2enc", "sid-frames") +
                element_stat(h, "wzpcodec2enc", "frames-suppressed") +
                element_stat(h, "wzpcodec2enc", "frames-encoded"),
            250u);
  gst_harness_teardown(h);
}

TEST(WzpCodec2Dtx, SpeechInNormalFramesOut) {
  GstHarness *h = dtx_encoder();
  push_pcm(h, voice(3 * kRate));
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  auto buffers = pull_buffers(h);
  EXPECT_EQ(buffers.size(), 75u);
  for (size_t i = 0; i < buffers.size(); ++i) {
    EXPECT_EQ(gst_buffer_get_size(buffers[i]), kFrameBytes);
    EXPECT_EQ(GST_BUFFER_PTS(buffers[i]), i * kFrameTime);
    gst_buffer_unref(buffers[i]);
  }
  EXPECT_EQ(element_stat(h, "wzpcodec2enc", "sid-frames"), 0u);
  gst_harness_teardown(h);
}

TEST(WzpCodec2Dtx, DtxIsOffByDefault) {
  GstHarness *h = gst_harness_new_parse("wzpcodec2enc mode=1200");
  gst_harness_set_src_caps_str(h, kRawCaps);
  push_pcm(h, noise(2 * kRate, -45.0, 2));
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));
  auto buffers = pull_buffers(h);
  EXPECT_EQ(buffers.size(), 50u);
  for (GstBuffer *b : buffers) gst_buffer_unref(b);
  gst_harness_teardown(h);
}

// Plays the encoder's output into the decoder the way wzpjitterbuffer does:
// each buffer at its time, and a GAP event for every frame time that was not
// sent. Returns the decoded PCM and checks it is contiguous.
std::vector<int16_t> decode_with_gaps(GstHarness *dec, const std::vector<GstBuffer *> &encoded,
                                      GstClockTime end) {
  std::vector<int16_t> pcm;
  GstClockTime next = 0;
  auto fill_gaps_until = [&](GstClockTime t) {
    for (; next < t; next += kFrameTime) {
      EXPECT_TRUE(gst_harness_push_event(dec, gst_event_new_gap(next, kFrameTime)));
    }
  };
  for (GstBuffer *b : encoded) {
    fill_gaps_until(GST_BUFFER_PTS(b));
    next = GST_BUFFER_PTS(b) + GST_BUFFER_DURATION(b);
    EXPECT_EQ(gst_harness_push(dec, b), GST_FLOW_OK);
  }
  fill_gaps_until(end);
  GstClockTime expected_pts = 0;
  for (GstBuffer *b : pull_buffers(dec)) {
    EXPECT_EQ(GST_BUFFER_PTS(b), expected_pts);
    expected_pts += GST_BUFFER_DURATION(b);
    const size_t at = pcm.size();
    pcm.resize(at + gst_buffer_get_size(b) / 2);
    gst_buffer_extract(b, 0, pcm.data() + at, gst_buffer_get_size(b));
    gst_buffer_unref(b);
  }
  return pcm;
}

TEST(WzpCodec2Dtx, DecoderPlaysComfortNoiseAtTheBackgroundLevelAndKeepsTime) {
  // 2 s of speech, then 6 s of a -40 dBFS background.
  std::vector<int16_t> input = voice(2 * kRate);
  std::vector<int16_t> background = noise(6 * kRate, -40.0, 3);
  input.insert(input.end(), background.begin(), background.end());
  GstHarness *enc = dtx_encoder();
  push_pcm(enc, input);
  ASSERT_TRUE(gst_harness_push_event(enc, gst_event_new_eos()));
  auto encoded = pull_buffers(enc);
  ASSERT_LT(encoded.size(), 120u);  // 200 frames of input

  GstHarness *dec = decoder();
  std::vector<int16_t> output = decode_with_gaps(dec, encoded, 8 * GST_SECOND);
  EXPECT_EQ(output.size(), input.size());  // every frame time is played once
  // The last 4 s are comfort noise, at the background's level.
  EXPECT_NEAR(level_dbfs(output, 4 * kRate, 8 * kRate), -40.0, 1.5);
  EXPECT_GE(element_stat(dec, "wzpcodec2dec", "frames-comfort-noise"), 100u);
  EXPECT_EQ(element_stat(dec, "wzpcodec2dec", "frames-concealed"), 0u);
  EXPECT_GE(element_stat(dec, "wzpcodec2dec", "sid-frames"), 10u);
  gst_harness_teardown(dec);
  gst_harness_teardown(enc);
}

TEST(WzpCodec2Dtx, SpeechAfterComfortNoiseDecodesNormally) {
  std::vector<int16_t> input = noise(3 * kRate, -50.0, 4);
  std::vector<int16_t> speech = voice(2 * kRate);
  input.insert(input.end(), speech.begin(), speech.end());
  GstHarness *enc = dtx_encoder();
  push_pcm(enc, input);
  ASSERT_TRUE(gst_harness_push_event(enc, gst_event_new_eos()));
  GstHarness *dec = decoder();
  std::vector<int16_t> output = decode_with_gaps(dec, pull_buffers(enc), 5 * GST_SECOND);
  ASSERT_EQ(output.size(), input.size());
  EXPECT_NEAR(level_dbfs(output, 2 * kRate, 3 * kRate), -50.0, 1.5);
  // The speech is loud again (Codec2 keeps a voiced signal within a few dB).
  EXPECT_NEAR(level_dbfs(output, 3 * kRate + 800, 5 * kRate),
              level_dbfs(input, 3 * kRate + 800, 5 * kRate), 6.0);
  gst_harness_teardown(dec);
  gst_harness_teardown(enc);
}

TEST(WzpCodec2Dtx, ComfortNoiseFillsExactlyTheTimeOfEachGap) {
  // wzpjitterbuffer may announce gaps shorter than a Codec2 frame (it assumes
  // 20 ms frames unless told otherwise); comfort noise must not stretch them.
  GstHarness *dec = decoder();
  const uint8_t sid[kSidBytes] = {0xA1, 80, 0, 0, 0};  // -40 dBFS, white
  GstBuffer *buffer = gst_buffer_new_memdup(sid, sizeof sid);
  GST_BUFFER_PTS(buffer) = 0;
  GST_BUFFER_DURATION(buffer) = 20 * GST_MSECOND;
  ASSERT_EQ(gst_harness_push(dec, buffer), GST_FLOW_OK);
  for (GstClockTime t = 20 * GST_MSECOND; t < GST_SECOND; t += 20 * GST_MSECOND) {
    ASSERT_TRUE(gst_harness_push_event(dec, gst_event_new_gap(t, 20 * GST_MSECOND)));
  }
  size_t samples = 0;
  for (GstBuffer *b : pull_buffers(dec)) {
    EXPECT_EQ(gst_buffer_get_size(b), 160u * 2);
    samples += gst_buffer_get_size(b) / 2;
    gst_buffer_unref(b);
  }
  EXPECT_EQ(samples, 8000u);
  EXPECT_EQ(element_stat(dec, "wzpcodec2dec", "frames-comfort-noise"), 25u);
  gst_harness_teardown(dec);
}

TEST(WzpCodec2Dtx, SidFramesCrossTheRealFecAndCryptoChainUnchanged) {
  // The sender's and receiver's real elements between encoder and decoder:
  // a SID is a payload like any frame, sealed, FEC-protected and restored.
  const std::string key(64, '7');
  GstHarness *chain = gst_harness_new_parse(
      ("wzpcodec2enc mode=1200 dtx=true ! wzpfecenc block-size=5 repair-ratio=1.0 ! "
       "wzpencrypt key=" +
       key + " ! wzpdecrypt key=" + key + " ! wzpfecdec")
          .c_str());
  gst_harness_set_src_caps_str(chain, kRawCaps);
  GstHarness *direct = dtx_encoder();
  std::vector<int16_t> input = voice(kRate);
  std::vector<int16_t> background = noise(5 * kRate, -40.0, 5);
  input.insert(input.end(), background.begin(), background.end());
  push_pcm(chain, input);
  push_pcm(direct, input);
  ASSERT_TRUE(gst_harness_push_event(chain, gst_event_new_eos()));
  ASSERT_TRUE(gst_harness_push_event(direct, gst_event_new_eos()));
  auto sent = pull_buffers(direct);
  auto received = pull_buffers(chain);
  ASSERT_EQ(received.size(), sent.size());
  size_t sids = 0;
  for (size_t i = 0; i < sent.size(); ++i) {
    GstMapInfo a, b;
    ASSERT_TRUE(gst_buffer_map(sent[i], &a, GST_MAP_READ));
    ASSERT_TRUE(gst_buffer_map(received[i], &b, GST_MAP_READ));
    EXPECT_EQ(std::vector<uint8_t>(a.data, a.data + a.size),
              std::vector<uint8_t>(b.data, b.data + b.size))
        << "frame " << i;
    EXPECT_EQ(GST_BUFFER_PTS(received[i]), GST_BUFFER_PTS(sent[i])) << "frame " << i;
    sids += a.size == kSidBytes ? 1 : 0;
    gst_buffer_unmap(sent[i], &a);
    gst_buffer_unmap(received[i], &b);
    gst_buffer_unref(sent[i]);
    gst_buffer_unref(received[i]);
  }
  EXPECT_GE(sids, 10u);
  gst_harness_teardown(chain);
  gst_harness_teardown(direct);
}

TEST(WzpCodec2Dtx, AFiveByteBufferThatIsNoSidIsConcealedAndCounted) {
  GstHarness *dec = decoder();
  const uint8_t not_a_sid[kSidBytes] = {0x42, 10, 0, 0, 0};
  GstBuffer *buffer = gst_buffer_new_memdup(not_a_sid, sizeof not_a_sid);
  GST_BUFFER_PTS(buffer) = 0;
  GST_BUFFER_DURATION(buffer) = kFrameTime;
  ASSERT_EQ(gst_harness_push(dec, buffer), GST_FLOW_OK);
  auto out = pull_buffers(dec);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(gst_buffer_get_size(out[0]), 320u * 2);
  gst_buffer_unref(out[0]);
  EXPECT_EQ(element_stat(dec, "wzpcodec2dec", "malformed-buffers"), 1u);
  EXPECT_EQ(element_stat(dec, "wzpcodec2dec", "sid-frames"), 0u);
  EXPECT_EQ(element_stat(dec, "wzpcodec2dec", "frames-concealed"), 1u);
  gst_harness_teardown(dec);
}

}  // namespace
