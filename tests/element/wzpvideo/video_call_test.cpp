// Video through the whole stack over real QUIC: a 320x240 test pattern at
// 15 frames/s through wzpsvtav1enc, wzpfecenc, wzpencrypt and wzpquicsink,
// across loopback through netsim's impairment proxy, into wzpquicsrc,
// wzpdecrypt, wzpfecdec, wzpjitterbuffer and wzpdav1ddec. Each sent picture
// carries its frame number in a row of black and white blocks, so every
// shown picture is compared (luma PSNR, computed here) with the one that
// was sent as that number: the test counts the frames shown, the longest
// freeze and the picture quality at 0 and 10 % loss, and checks that with
// FEC switched off a lost frame brings a keyframe request across the
// network and the picture back, without ever showing a wrong picture.
#include <gst/gst.h>
#include <gst/video/video.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "libwzp/netsim/udp_proxy.hpp"
#include "tests/support/numbered_video.hpp"
#include "tests/support/pipeline.hpp"
#include "tests/support/wait.hpp"

namespace {

using namespace std::chrono_literals;

constexpr int kWidth = 320;
constexpr int kHeight = 240;
constexpr int kFrames = 45;  // 3 s at 15 frames/s
constexpr const char *kKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

struct Picture {
  std::vector<uint8_t> luma;  // kWidth * kHeight
  GstClockTime pts = GST_CLOCK_TIME_NONE;
};

struct Sent {
  std::mutex mutex;
  std::map<int, std::vector<uint8_t>> pictures;
  int next = 0;
};

// Writes the frame number into the top row of each raw picture before it
// is encoded, and keeps a copy of its luma.
GstPadProbeReturn stamp(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  auto &sent = *static_cast<Sent *>(data);
  GstBuffer *buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = buffer;
  GstCaps *caps = gst_pad_get_current_caps(pad);
  GstVideoInfo video;
  gst_video_info_from_caps(&video, caps);
  gst_caps_unref(caps);
  std::lock_guard lock(sent.mutex);
  int number = sent.next++;
  wzp::test::write_number(buffer, video, number);
  std::vector<uint8_t> luma = wzp::test::copy_luma(buffer, video);
  sent.pictures[number] = std::move(luma);
  return GST_PAD_PROBE_OK;
}

using wzp::test::Pipeline;

guint64 stat(GstElement *element, const char *field) {
  GstStructure *stats = nullptr;
  g_object_get(element, "stats", &stats, nullptr);
  guint64 value = 0;
  gst_structure_get_uint64(stats, field, &value);
  gst_structure_free(stats);
  return value;
}

struct CallResult {
  std::map<int, std::vector<uint8_t>> sent;
  std::vector<std::pair<int, Picture>> shown;  // frame number, picture; in display order
  int unreadable = 0;
  guint64 keyframes = 0;
  guint64 requests_sent = 0;      // by the receiver's link
  guint64 requests_received = 0;  // by the sender's link, copies included
  guint64 requests_answered = 0;  // sent on to the sender's encoder
  guint64 fec_unrecoverable = 0;
  guint64 frames_dropped = 0;  // by the decoder, waiting for a keyframe
  guint64 lost_on_path = 0;
};

// One call of kFrames frames through a path losing `loss` of the datagrams
// each way; `fec` is wzpfecenc's settings.
CallResult run_call(double loss, const std::string &fec) {
  CallResult result;
  Pipeline receiver("wzpquicsrc name=net role=server bind-address=127.0.0.1 ! wzpdecrypt key=" +
                    std::string(kKey) +
                    " ! wzpfecdec name=fec ! wzpjitterbuffer name=jitter ! wzpdav1ddec name=dec ! "
                    "video/x-raw,format=I420 ! appsink name=shown sync=false max-buffers=1000");
  EXPECT_NE(gst_element_set_state(receiver.element, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  GstElement *net = receiver.get("net");
  guint port = 0;
  gchar *fingerprint = nullptr;
  g_object_get(net, "bound-port", &port, "fingerprint", &fingerprint, nullptr);

  wzp::netsim::ProxyConfig path;
  path.upstream = "127.0.0.1:" + std::to_string(port);
  path.up = {.loss = loss, .seed = 11};
  path.down = {.loss = loss, .seed = 12};
  wzp::netsim::UdpProxy proxy(path);

  Pipeline sender(
      "videotestsrc is-live=true pattern=smpte horizontal-speed=3 num-buffers=" +
      std::to_string(kFrames) + " ! video/x-raw,format=I420,width=" + std::to_string(kWidth) +
      ",height=" + std::to_string(kHeight) +
      ",framerate=15/1 ! identity name=stamp ! wzpsvtav1enc name=enc bitrate=300 ! wzpfecenc " +
      fec + " stream-id=5 ! wzpencrypt key=" + kKey +
      " ! wzpquicsink name=net role=client address=127.0.0.1 max-queue-time=400 port=" +
      std::to_string(proxy.listen_address().port()) + " server-fingerprint=" + fingerprint);
  g_free(fingerprint);
  Sent sent;
  GstPad *stamp_pad = gst_element_get_static_pad(sender.get("stamp"), "src");
  gst_pad_add_probe(stamp_pad, GST_PAD_PROBE_TYPE_BUFFER, stamp, &sent, nullptr);
  gst_object_unref(stamp_pad);
  // The picture starts once the call is up, as a call's video would.
  EXPECT_NE(gst_element_set_state(sender.element, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  EXPECT_TRUE(wzp::test::wait_until(
      [&] {
        gboolean connected = FALSE;
        g_object_get(sender.get("net"), "connected", &connected, nullptr);
        return connected == TRUE;
      },
      5s));
  EXPECT_NE(gst_element_set_state(sender.element, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  std::string text;
  EXPECT_EQ(sender.wait_end(text, 20 * GST_SECOND), GST_MESSAGE_EOS) << text;
  result.keyframes = stat(sender.get("enc"), "keyframes");
  result.requests_received = stat(sender.get("net"), "keyframe-requests-received");
  result.requests_answered = stat(sender.get("net"), "keyframe-requests-answered");
  // The sender hangs up; the receiver plays out what it holds and ends.
  gst_element_set_state(sender.element, GST_STATE_NULL);

  GstElement *shown = receiver.get("shown");
  for (;;) {
    GstSample *sample = nullptr;
    g_signal_emit_by_name(shown, "try-pull-sample", 10 * GST_SECOND, &sample);
    if (sample == nullptr) break;
    Picture picture;
    GstVideoInfo info;
    gst_video_info_from_caps(&info, gst_sample_get_caps(sample));
    picture.luma = wzp::test::copy_luma(gst_sample_get_buffer(sample), info);
    picture.pts = GST_BUFFER_PTS(gst_sample_get_buffer(sample));
    gst_sample_unref(sample);
    int number = picture.luma.empty() ? -1 : wzp::test::read_number(picture.luma, kWidth);
    if (number < 0) {
      ++result.unreadable;
      continue;
    }
    result.shown.emplace_back(number, std::move(picture));
  }
  gboolean eos = FALSE;
  g_object_get(shown, "eos", &eos, nullptr);
  EXPECT_TRUE(eos);
  result.requests_sent = stat(net, "keyframe-requests-sent");
  result.fec_unrecoverable = stat(receiver.get("fec"), "unrecoverable");
  result.frames_dropped = stat(receiver.get("dec"), "frames-dropped");
  result.lost_on_path = proxy.counters().up.lost;
  std::lock_guard lock(sent.mutex);
  result.sent = std::move(sent.pictures);
  return result;
}

struct Summary {
  int shown = 0;  // distinct frames shown
  GstClockTime longest_freeze = 0;
  double mean_psnr = 0;
  double min_psnr = 99;
};

Summary summarise(const CallResult &r) {
  Summary s;
  std::vector<int> seen;
  GstClockTime previous = GST_CLOCK_TIME_NONE;
  double total = 0;
  for (const auto &[number, picture] : r.shown) {
    auto sent = r.sent.find(number);
    EXPECT_NE(sent, r.sent.end()) << "frame " << number << " was never sent";
    if (sent == r.sent.end()) continue;
    EXPECT_TRUE(seen.empty() || number > seen.back()) << "frame " << number << " out of order";
    seen.push_back(number);
    double psnr = wzp::test::luma_psnr(picture.luma, sent->second);
    total += psnr;
    s.min_psnr = std::min(s.min_psnr, psnr);
    if (GST_CLOCK_TIME_IS_VALID(previous) && picture.pts > previous) {
      s.longest_freeze = std::max(s.longest_freeze, picture.pts - previous);
    }
    previous = picture.pts;
  }
  s.shown = static_cast<int>(seen.size());
  if (s.shown > 0) s.mean_psnr = total / s.shown;
  return s;
}

void print(const char *name, const CallResult &r, const Summary &s) {
  std::printf(
      "%s: %d of %zu frames shown, longest freeze %.0f ms, luma PSNR mean %.2f dB min %.2f dB, "
      "%d unreadable, keyframes %lu, keyframe requests sent %lu (received %lu copies, "
      "answered %lu), FEC unrecoverable %lu, decoder dropped %lu, datagrams lost on the path "
      "%lu\n",
      name, s.shown, r.sent.size(), static_cast<double>(s.longest_freeze) / GST_MSECOND,
      s.mean_psnr, s.min_psnr, r.unreadable, static_cast<unsigned long>(r.keyframes),
      static_cast<unsigned long>(r.requests_sent), static_cast<unsigned long>(r.requests_received),
      static_cast<unsigned long>(r.requests_answered),
      static_cast<unsigned long>(r.fec_unrecoverable), static_cast<unsigned long>(r.frames_dropped),
      static_cast<unsigned long>(r.lost_on_path));
}

constexpr const char *kFec = "repair-ratio=1.0 keyframe-repair-ratio=1.5";

TEST(WzpVideoCall, CleanAndTenPercentLossShowNearlyEveryFrameAtTheSameQuality) {
  CallResult clean = run_call(0.0, kFec);
  Summary c = summarise(clean);
  print("0 % loss", clean, c);
  ASSERT_EQ(clean.sent.size(), static_cast<size_t>(kFrames));
  EXPECT_EQ(c.shown, kFrames);
  EXPECT_EQ(clean.unreadable, 0);
  EXPECT_GT(c.mean_psnr, 30.0);
  EXPECT_LE(c.longest_freeze, 100 * GST_MSECOND);  // 67 ms a frame
  EXPECT_EQ(clean.requests_answered, 0u);
  EXPECT_EQ(clean.keyframes, 1u);  // nothing lost, nothing asked

  CallResult lossy = run_call(0.10, kFec);
  Summary l = summarise(lossy);
  print("10 % loss", lossy, l);
  ASSERT_EQ(lossy.sent.size(), static_cast<size_t>(kFrames));
  EXPECT_GT(lossy.lost_on_path, 0u);  // the path did lose packets
  EXPECT_GE(l.shown, kFrames * 95 / 100);
  EXPECT_LE(l.longest_freeze, 500 * GST_MSECOND);
  EXPECT_EQ(lossy.unreadable, 0);
  // Frames are either whole or not shown: the same picture quality.
  EXPECT_GE(l.mean_psnr, c.mean_psnr - 1.0);
  EXPECT_GE(l.min_psnr, c.min_psnr - 3.0);
}

TEST(WzpVideoCall, WithoutFecALostFrameBringsAKeyframeAcrossTheNetwork) {
  // No repair for delta frames: a lost datagram costs its frame, the
  // decoder drops the frames that refer to it and asks for a keyframe, which
  // the receiver's wzpquicsrc sends to the sender's wzpquicsink, whose
  // encoder makes one (keyframes keep their repair, so most arrive).
  CallResult r = run_call(0.05, "repair-ratio=0 keyframe-repair-ratio=1.5");
  Summary s = summarise(r);
  print("5 % loss, no FEC for delta frames", r, s);
  ASSERT_EQ(r.sent.size(), static_cast<size_t>(kFrames));
  EXPECT_GT(r.fec_unrecoverable, 0u);
  EXPECT_GE(r.requests_sent, 1u);
  EXPECT_GE(r.requests_received, 1u);
  // A request was answered, and a keyframe followed: every keyframe after
  // the first is one the sender's sink asked its encoder for (the interval
  // keyframe is 300 frames away), and at least one came.
  EXPECT_GE(r.requests_answered, 1u);
  EXPECT_LE(r.requests_answered, r.requests_sent);
  EXPECT_GE(r.keyframes, 2u);
  EXPECT_LE(r.keyframes, 1 + r.requests_answered);
  EXPECT_GT(r.frames_dropped, 0u);
  // The picture comes back after the first frame lost, and no shown picture
  // is a wrong one (decoded against a lost reference).
  int first_missing = 0;
  for (const auto &[number, picture] : r.shown) {
    if (number != first_missing) break;
    ++first_missing;
  }
  ASSERT_FALSE(r.shown.empty());
  EXPECT_GT(r.shown.back().first, first_missing);
  EXPECT_EQ(r.unreadable, 0);
  EXPECT_GT(s.min_psnr, 30.0);
}

}  // namespace
