// Video calls against a loss burst, wzp against the stock GStreamer chain,
// in one run (docs/video.md, "Benchmark: a burst"). Both send the same
// numbered 320x240 test pattern at 15 frames/s and 300 kbit/s over loopback
// through netsim's UdpProxy, clean but for one 400 ms burst of total loss
// (both ways) two seconds in, and report per call: glass-to-glass delay
// (from the picture written to the picture decoded, median over frames
// before the burst), time from the burst's end to the first good picture
// sent after it (its number read back, luma PSNR above 30 dB), frames shown
// and the longest freeze.
//
//   wzp:   wzpsvtav1enc ! wzpfecenc repair 1.0, keyframes 1.5 ! wzpencrypt !
//          wzpquicsink ... wzpquicsrc ! wzpdecrypt ! wzpfecdec !
//          wzpjitterbuffer ! wzpdav1ddec
//   stock: vp8enc (realtime, CBR) ! rtpvp8pay ! rtpbin (AVPF) ! udpsink ...
//          udpsrc ! rtpbin (rtpjitterbuffer latency 100 ms) ! rtpvp8depay
//          request-keyframe wait-for-keyframe ! vp8dec, with RTCP both
//          ways, so the depayloader's keyframe request reaches vp8enc as an
//          RTCP PLI. No ULPFEC: with rtpbin's fec-encoders (rtpulpfecenc
//          percentage=100 pt=122) and fec-decoders (rtpulpfecdec pt=122)
//          only 9 to 32 of 75 frames were shown on a clean path, with or
//          without a 500 ms rtpstorage; not solved here (docs/video.md). A
//          burst of total loss is beyond any FEC anyway, but wzp sends its
//          repair (about twice the bytes) and the stock chain does not.
//
//   bench_video_recovery [REPETITIONS]   (default 3; chains alternate)
#include <gst/gst.h>
#include <gst/video/video.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "libwzp/netsim/udp_proxy.hpp"
#include "tests/support/numbered_video.hpp"

namespace {

using namespace std::chrono_literals;

constexpr int kWidth = 320;
constexpr int kHeight = 240;
constexpr int kFrames = 75;      // 5 s
constexpr int kBurstAfter = 30;  // frames before the burst starts
constexpr auto kBurst = 400ms;
constexpr double kGoodPsnr = 30.0;
constexpr const char *kKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr const char *kSource =
    "videotestsrc is-live=true pattern=smpte horizontal-speed=3 num-buffers=75 ! "
    "video/x-raw,format=I420,width=320,height=240,framerate=15/1 ! identity name=stamp";

int64_t now_us() { return g_get_monotonic_time(); }

struct Record {
  std::mutex mutex;
  std::condition_variable changed;
  std::map<int, std::vector<uint8_t>> sent;
  std::map<int, int64_t> sent_at;
  int next = 0;
  struct Shown {
    int number;
    int64_t at;
    double psnr;
  };
  std::vector<Shown> shown;
  int unreadable = 0;
};

GstPadProbeReturn stamp(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  auto &r = *static_cast<Record *>(data);
  GstBuffer *buffer = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = buffer;
  GstCaps *caps = gst_pad_get_current_caps(pad);
  GstVideoInfo video;
  gst_video_info_from_caps(&video, caps);
  gst_caps_unref(caps);
  std::lock_guard lock(r.mutex);
  const int number = r.next++;
  wzp::test::write_number(buffer, video, number);
  r.sent[number] = wzp::test::copy_luma(buffer, video);
  r.sent_at[number] = now_us();
  r.changed.notify_all();
  return GST_PAD_PROBE_OK;
}

// The decoded picture, the moment it leaves the decoder.
GstPadProbeReturn shown(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  const int64_t at = now_us();
  auto &r = *static_cast<Record *>(data);
  GstCaps *caps = gst_pad_get_current_caps(pad);
  GstVideoInfo video;
  gst_video_info_from_caps(&video, caps);
  gst_caps_unref(caps);
  std::vector<uint8_t> luma = wzp::test::copy_luma(GST_PAD_PROBE_INFO_BUFFER(info), video);
  const int number = luma.empty() ? -1 : wzp::test::read_number(luma, kWidth);
  std::lock_guard lock(r.mutex);
  auto sent = r.sent.find(number);
  if (sent == r.sent.end()) {
    ++r.unreadable;
  } else {
    r.shown.push_back({number, at, wzp::test::luma_psnr(luma, sent->second)});
  }
  return GST_PAD_PROBE_OK;
}

GstElement *launch(const std::string &description) {
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(description.c_str(), &error);
  if (error != nullptr) {
    std::fprintf(stderr, "pipeline: %s\n%s\n", error->message, description.c_str());
    std::exit(1);
  }
  return pipeline;
}

GstElement *child(GstElement *pipeline, const char *name) {
  GstElement *element = gst_bin_get_by_name(GST_BIN(pipeline), name);
  gst_object_unref(element);  // the bin keeps it
  return element;
}

void probe(GstElement *pipeline, const char *name, GstPadProbeCallback callback, Record &r) {
  GstPad *pad = gst_element_get_static_pad(child(pipeline, name), "src");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, callback, &r, nullptr);
  gst_object_unref(pad);
}

bool wait_eos(GstElement *pipeline, GstClockTime timeout) {
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *m = gst_bus_timed_pop_filtered(
      bus, timeout, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  gst_object_unref(bus);
  bool eos = m != nullptr && GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS;
  if (m != nullptr && !eos) {
    GError *error = nullptr;
    gst_message_parse_error(m, &error, nullptr);
    std::fprintf(stderr, "error: %s\n", error->message);
    g_error_free(error);
  }
  if (m != nullptr) gst_message_unref(m);
  return eos;
}

// Runs the burst on `proxies` once the sender has written kBurstAfter
// frames; returns when the burst ended (monotonic µs).
int64_t burst(Record &r, std::vector<wzp::netsim::UdpProxy *> proxies) {
  {
    std::unique_lock lock(r.mutex);
    r.changed.wait(lock, [&] { return r.next >= kBurstAfter; });
  }
  wzp::netsim::DirectionConfig lossy{.loss = 0.999999, .seed = 3};
  for (auto *p : proxies) p->set_directions(lossy, lossy);
  GST_INFO("burst starts");
  // The burst's length is the experiment, not a wait for something.
  std::this_thread::sleep_for(kBurst);
  for (auto *p : proxies) p->set_directions({}, {});
  GST_INFO("burst ends");
  return now_us();
}

struct Result {
  double glass_to_glass_ms = 0;
  double to_good_picture_ms = -1;  // -1: none came
  int shown = 0;
  int unreadable = 0;
  double longest_freeze_ms = 0;
  std::string numbers;  // the frame numbers shown, runs as first-last
};

Result summarise(Record &r, int64_t burst_end) {
  std::lock_guard lock(r.mutex);
  Result out;
  std::vector<double> delays;
  int first_after = -1;
  for (const auto &[number, at] : r.sent_at) {
    if (at >= burst_end) {
      first_after = number;
      break;
    }
  }
  out.unreadable = r.unreadable;
  int64_t previous = 0;
  int run_start = -2, run_end = -2;
  auto close_run = [&] {
    if (run_start < 0) return;
    out.numbers += (out.numbers.empty() ? "" : " ") + std::to_string(run_start) +
                   (run_end > run_start ? "-" + std::to_string(run_end) : "");
  };
  for (const auto &s : r.shown) {
    if (s.number != run_end + 1) {
      close_run();
      run_start = s.number;
    }
    run_end = s.number;
    ++out.shown;
    if (s.number < kBurstAfter) delays.push_back((s.at - r.sent_at[s.number]) / 1000.0);
    if (previous != 0)
      out.longest_freeze_ms = std::max(out.longest_freeze_ms, (s.at - previous) / 1000.0);
    previous = s.at;
    if (out.to_good_picture_ms < 0 && first_after >= 0 && s.number >= first_after &&
        s.psnr >= kGoodPsnr) {
      out.to_good_picture_ms = (s.at - burst_end) / 1000.0;
    }
  }
  close_run();
  if (!delays.empty()) {
    std::sort(delays.begin(), delays.end());
    out.glass_to_glass_ms = delays[delays.size() / 2];
  }
  return out;
}

Result run_wzp() {
  Record r;
  GstElement *receiver = launch(
      std::string("wzpquicsrc name=net role=server bind-address=127.0.0.1 ! wzpdecrypt key=") +
      kKey + " ! wzpfecdec ! wzpjitterbuffer ! wzpdav1ddec name=dec ! fakesink sync=false");
  gst_element_set_state(receiver, GST_STATE_PLAYING);
  guint port = 0;
  gchar *fingerprint = nullptr;
  g_object_get(child(receiver, "net"), "bound-port", &port, "fingerprint", &fingerprint, nullptr);
  wzp::netsim::ProxyConfig path;
  path.upstream = "127.0.0.1:" + std::to_string(port);
  wzp::netsim::UdpProxy proxy(path);
  GstElement *sender = launch(
      std::string(kSource) +
      " ! wzpsvtav1enc bitrate=300 ! wzpfecenc repair-ratio=1.0 keyframe-repair-ratio=1.5 "
      "stream-id=5 ! wzpencrypt key=" +
      kKey + " ! wzpquicsink name=net role=client address=127.0.0.1 max-queue-time=400 port=" +
      std::to_string(proxy.listen_address().port()) + " server-fingerprint=" + fingerprint);
  g_free(fingerprint);
  probe(sender, "stamp", stamp, r);
  probe(receiver, "dec", shown, r);
  gst_element_set_state(sender, GST_STATE_PAUSED);
  for (gboolean up = FALSE; !up; std::this_thread::sleep_for(2ms)) {
    g_object_get(child(sender, "net"), "connected", &up, nullptr);
  }
  gst_element_set_state(sender, GST_STATE_PLAYING);
  int64_t end = burst(r, {&proxy});
  wait_eos(sender, 20 * GST_SECOND);
  gst_element_set_state(sender, GST_STATE_NULL);
  wait_eos(receiver, 10 * GST_SECOND);
  gst_element_set_state(receiver, GST_STATE_NULL);
  gst_object_unref(sender);
  gst_object_unref(receiver);
  return summarise(r, end);
}

// The stock chain: RTP to the receiver, RTCP both ways, each through its
// own proxy (the receiver's RTCP goes to the sender's RTCP port).
Result run_stock() {
  Record r;
  const std::string rtp_caps =
      "application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96,"
      "rtcp-fb-nack-pli=(boolean)true";
  GstElement *receiver = launch(
      "rtpbin name=rb rtp-profile=avpf latency=100 "
      "udpsrc name=rtp address=127.0.0.1 port=0 caps=\"" +
      rtp_caps +
      "\" ! rb.recv_rtp_sink_0 udpsrc name=rtcp address=127.0.0.1 port=0 caps=application/x-rtcp "
      "! rb.recv_rtcp_sink_0 rb. ! rtpvp8depay request-keyframe=true wait-for-keyframe=true ! "
      "vp8dec name=dec ! fakesink sync=false rb.send_rtcp_src_0 ! udpsink name=rtcp_out "
      "host=127.0.0.1 sync=false async=false");
  GstElement *sender_rtcp_in = nullptr;
  gst_element_set_state(receiver, GST_STATE_PAUSED);
  gint rtp_port = 0, rtcp_port = 0;
  g_object_get(child(receiver, "rtp"), "port", &rtp_port, nullptr);
  g_object_get(child(receiver, "rtcp"), "port", &rtcp_port, nullptr);
  wzp::netsim::ProxyConfig rtp_path, rtcp_path, back_path;
  rtp_path.upstream = "127.0.0.1:" + std::to_string(rtp_port);
  rtcp_path.upstream = "127.0.0.1:" + std::to_string(rtcp_port);
  wzp::netsim::UdpProxy rtp_proxy(rtp_path), rtcp_proxy(rtcp_path);
  GstElement *sender =
      launch(std::string(kSource) +
             " ! vp8enc deadline=1 cpu-used=4 target-bitrate=300000 end-usage=cbr lag-in-frames=0 "
             "keyframe-max-dist=300 error-resilient=default ! rtpvp8pay pt=96 ! rb.send_rtp_sink_0 "
             "rtpbin name=rb rtp-profile=avpf rb.send_rtp_src_0 ! udpsink host=127.0.0.1 port=" +
             std::to_string(rtp_proxy.listen_address().port()) +
             " rb.send_rtcp_src_0 ! udpsink host=127.0.0.1 sync=false async=false port=" +
             std::to_string(rtcp_proxy.listen_address().port()) +
             " udpsrc name=rtcp_in address=127.0.0.1 port=0 caps=application/x-rtcp ! "
             "rb.recv_rtcp_sink_0");
  sender_rtcp_in = child(sender, "rtcp_in");
  gst_element_set_state(sender, GST_STATE_PAUSED);
  gint back_port = 0;
  g_object_get(sender_rtcp_in, "port", &back_port, nullptr);
  back_path.upstream = "127.0.0.1:" + std::to_string(back_port);
  wzp::netsim::UdpProxy back_proxy(back_path);
  g_object_set(child(receiver, "rtcp_out"), "port", gint{back_proxy.listen_address().port()},
               nullptr);
  probe(sender, "stamp", stamp, r);
  probe(receiver, "dec", shown, r);
  gst_element_set_state(receiver, GST_STATE_PLAYING);
  gst_element_set_state(sender, GST_STATE_PLAYING);
  int64_t end = burst(r, {&rtp_proxy, &rtcp_proxy, &back_proxy});
  wait_eos(sender, 20 * GST_SECOND);
  // RTP has no end of call: the receiver gets what is in flight, then stops.
  std::this_thread::sleep_for(500ms);
  gst_element_set_state(sender, GST_STATE_NULL);
  gst_element_set_state(receiver, GST_STATE_NULL);
  gst_object_unref(sender);
  gst_object_unref(receiver);
  return summarise(r, end);
}

void print(const char *name, int rep, const Result &x) {
  std::printf(
      "%-5s rep %d: glass-to-glass %6.1f ms, good picture %6.1f ms after the burst, %2d/%d "
      "frames shown (%s; %d unreadable), longest freeze %6.1f ms\n",
      name, rep, x.glass_to_glass_ms, x.to_good_picture_ms, x.shown, kFrames, x.numbers.c_str(),
      x.unreadable, x.longest_freeze_ms);
  std::fflush(stdout);
}

void ratio_row(const char *what, std::vector<double> ratios) {
  std::sort(ratios.begin(), ratios.end());
  if (ratios.empty()) return;
  std::printf("| %s | %.2f / %.2f / %.2f |\n", what, ratios.front(), ratios[ratios.size() / 2],
              ratios.back());
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  if (GstRegistry *registry = gst_registry_get()) gst_registry_scan_path(registry, WZP_PLUGIN_DIR);
  const int reps = argc > 1 ? std::atoi(argv[1]) : 3;
  std::vector<double> g2g, picture;
  for (int rep = 0; rep < reps; ++rep) {
    // Alternate which goes first, so neither always gets the quieter machine.
    Result wzp, stock;
    if (rep % 2 == 0) {
      wzp = run_wzp();
      stock = run_stock();
    } else {
      stock = run_stock();
      wzp = run_wzp();
    }
    print("wzp", rep, wzp);
    print("stock", rep, stock);
    if (wzp.glass_to_glass_ms > 0) g2g.push_back(stock.glass_to_glass_ms / wzp.glass_to_glass_ms);
    if (wzp.to_good_picture_ms > 0 && stock.to_good_picture_ms > 0) {
      picture.push_back(stock.to_good_picture_ms / wzp.to_good_picture_ms);
    }
  }
  std::printf("\n| stock ÷ wzp | min / median / max |\n|---|---|\n");
  ratio_row("glass-to-glass delay", g2g);
  ratio_row("time to a good picture after the burst", picture);
  return 0;
}
