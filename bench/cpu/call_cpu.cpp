// CPU of one direction of a call: wzp's media pipelines (client/call_media:
// wzpvoiceenc ! wzpfecenc ! wzpencrypt ! wzpquicsink, then wzpquicsrc !
// wzpdecrypt ! wzpfecdec ! wzpjitterbuffer ! wzpvoicedec) against the stock
// Opus/RTP pipeline (opusenc ! rtpopuspay ! udpsink, then udpsrc !
// rtpjitterbuffer ! rtpopusdepay ! opusdec), both over loopback, both in
// this process, on the same WAV played at its real-time pace, at the same
// Opus bitrate and frame duration. Both decode to a WAV file the same way.
// The two alternate, `--repetitions` times each; per repetition it prints the
// process's CPU time (user + system, getrusage) as a share of one core over
// the run, and its context switches per second (a proxy for wakeups), then
// the wzp ÷ stock CPU ratio as min / median / max over the repetitions.
// What `wzp loopback` adds beyond these pipelines (the impaired-network
// proxy, the quality controller's ticks) is left out: it is not a call's.
//
//   bench_cpu_call SPEECH.wav [--repetitions N] [--tier NAME]
#include <gst/gst.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "client/call_media.hpp"
#include "client/local_call.hpp"
#include "libwzp/crypto/handshake.hpp"
#include "libwzp/quality/tier.hpp"

namespace {

using namespace wzp;

// Time for the last frames to cross and leave the jitter buffers, the same
// for both.
constexpr guint kDrainMs = 1000;

struct Usage {
  double cpu_s = 0;
  double switches = 0;
  double wall_s = 0;
  double heard_s = 0;  // audio in the receiver's WAV: both must have decoded it all
};

Usage usage_now() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  Usage u;
  u.cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
  u.switches = static_cast<double>(ru.ru_nvcsw + ru.ru_nivcsw);
  u.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  return u;
}

Usage since(const Usage &start) {
  Usage now = usage_now();
  return {now.cpu_s - start.cpu_s, now.switches - start.switches, now.wall_s - start.wall_s};
}

// Plays `sender` to its end and `receiver` until kDrainMs after it; returns
// what the process used from the sender's start, or false on an error.
bool play(GstElement *sender, GstElement *receiver, Usage &used, std::string &error) {
  client::LocalCallRun run;
  run.sender = sender;
  run.receiver = receiver;
  run.loop = g_main_loop_new(nullptr, FALSE);
  run.drain_ms = kDrainMs;
  run.watch_buses();
  const Usage start = usage_now();
  gst_element_set_state(sender, GST_STATE_PLAYING);
  g_main_loop_run(run.loop);
  used = since(start);
  run.release_pipelines();
  g_main_loop_unref(run.loop);
  error = run.error;
  return error.empty();
}

GstElement *parse(const std::string &description, std::string &error) {
  GError *gerror = nullptr;
  GstElement *pipeline =
      gst_parse_launch_full(description.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &gerror);
  if (pipeline == nullptr) error = gerror != nullptr ? gerror->message : "cannot parse";
  g_clear_error(&gerror);
  return pipeline;
}

bool run_stock(const std::string &wav, const std::string &out, const quality::TierProfile &tier,
               Usage &used, std::string &error) {
  GstElement *receiver = parse(
      "udpsrc name=net address=127.0.0.1 port=0 caps=\"application/x-rtp, media=audio, "
      "clock-rate=(int)48000, encoding-name=OPUS, payload=(int)96\" ! rtpjitterbuffer"
      " ! rtpopusdepay ! opusdec ! audioconvert ! audioresample"
      " ! audio/x-raw,format=S16LE,rate=48000,channels=1 ! wavenc ! filesink location=\"" +
          out + "\"",
      error);
  if (receiver == nullptr) return false;
  // udpsrc binds its socket on the way to READY.
  gst_element_set_state(receiver, GST_STATE_READY);
  GstElement *net = gst_bin_get_by_name(GST_BIN(receiver), "net");
  gint port = 0;
  g_object_get(net, "port", &port, nullptr);
  gst_object_unref(net);
  if (port == 0) {
    error = "udpsrc did not report its port";
    gst_element_set_state(receiver, GST_STATE_NULL);
    gst_object_unref(receiver);
    return false;
  }
  gst_element_set_state(receiver, GST_STATE_PLAYING);
  GstElement *sender =
      parse("filesrc location=\"" + wav +
                "\" ! decodebin ! identity sync=true ! audioconvert ! audioresample ! opusenc"
                " bitrate=" +
                std::to_string(tier.bitrate_bps) + " frame-size=" + std::to_string(tier.frame_ms) +
                " ! rtpopuspay ! udpsink host=127.0.0.1 port=" + std::to_string(port),
            error);
  if (sender == nullptr) {
    gst_element_set_state(receiver, GST_STATE_NULL);
    gst_object_unref(receiver);
    return false;
  }
  return play(sender, receiver, used, error);
}

bool run_wzp(const std::string &wav, const std::string &out, const quality::TierProfile &tier,
             Usage &used, std::string &error) {
  crypto::CallKeys caller_keys, callee_keys;
  if (!client::agree_keys_locally(caller_keys, callee_keys, error)) return false;
  client::ReceiverConfig rx;
  rx.output_wav = out;
  GstElement *receiver = client::build_receiver(rx, crypto::make_call_session(callee_keys), error);
  if (receiver == nullptr) return false;
  gst_element_set_state(receiver, GST_STATE_PLAYING);
  client::SenderConfig tx;
  tx.input_wav = wav;
  tx.port = client::receiver_port(receiver);
  tx.server_fingerprint = client::receiver_fingerprint(receiver);
  tx.tier = &tier;
  GstElement *sender = client::build_sender(tx, crypto::make_call_session(caller_keys), error);
  caller_keys.wipe();
  callee_keys.wipe();
  if (sender == nullptr) {
    gst_element_set_state(receiver, GST_STATE_NULL);
    gst_object_unref(receiver);
    return false;
  }
  // As in a call, media starts once the connection is up; the handshake is
  // not counted.
  gst_element_set_state(sender, GST_STATE_PAUSED);
  if (!client::wait_connected(sender, std::chrono::seconds(10))) {
    error = "no QUIC connection within 10 s";
    for (GstElement *p : {sender, receiver}) {
      gst_element_set_state(p, GST_STATE_NULL);
      gst_object_unref(p);
    }
    return false;
  }
  return play(sender, receiver, used, error);
}

// Seconds of 48 kHz mono S16 audio in a WAV file (its 44-byte header aside).
double wav_seconds(const std::string &path) {
  FILE *f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return 0;
  std::fseek(f, 0, SEEK_END);
  const long size = std::ftell(f);
  std::fclose(f);
  return size > 44 ? static_cast<double>(size - 44) / (48000.0 * 2) : 0;
}

void print_usage(const char *who, int rep, const Usage &u) {
  std::printf("| %-5s | %3d | %6.1f | %7.1f | %6.2f | %8.0f |\n", who, rep, u.wall_s, u.heard_s,
              100.0 * u.cpu_s / u.wall_s, u.switches / u.wall_s);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  std::string wav;
  int repetitions = 3;
  auto tier = quality::kCallStartTier;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--repetitions") && i + 1 < argc) {
      repetitions = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--tier") && i + 1 < argc) {
      auto named = quality::tier_from_string(argv[++i]);
      if (!named) {
        std::fprintf(stderr, "unknown tier '%s'\n", argv[i]);
        return 2;
      }
      tier = *named;
    } else if (wav.empty() && argv[i][0] != '-') {
      wav = argv[i];
    } else {
      wav.clear();
      break;
    }
  }
  if (wav.empty() || repetitions < 1) {
    std::fprintf(stderr, "usage: %s SPEECH.wav [--repetitions N] [--tier NAME]\n", argv[0]);
    return 2;
  }
  const quality::TierProfile &profile = quality::profile(tier);
  if (profile.codec != quality::Codec::kOpus) {
    std::fprintf(stderr, "tier %s is not Opus: the stock pipeline has no Codec2\n",
                 std::string(profile.name).c_str());
    return 2;
  }
  if (GstRegistry *registry = gst_registry_get()) gst_registry_scan_path(registry, WZP_PLUGIN_DIR);
  const std::string out = std::string(g_get_tmp_dir()) + "/bench_cpu_call.wav";

  std::printf("tier %s: Opus %u bit/s, %u ms frames\n\n", std::string(profile.name).c_str(),
              profile.bitrate_bps, profile.frame_ms);
  std::printf("| stack | rep | wall s | heard s | CPU %% of a core | switches/s |\n");
  std::printf("|-------|-----|--------|---------|--------|----------|\n");
  std::vector<double> ratios, switch_ratios;
  for (int rep = 1; rep <= repetitions; ++rep) {
    Usage stock, ours;
    std::string error;
    if (!run_stock(wav, out, profile, stock, error)) {
      std::fprintf(stderr, "stock: %s\n", error.c_str());
      return 1;
    }
    stock.heard_s = wav_seconds(out);
    print_usage("stock", rep, stock);
    if (!run_wzp(wav, out, profile, ours, error)) {
      std::fprintf(stderr, "wzp: %s\n", error.c_str());
      return 1;
    }
    ours.heard_s = wav_seconds(out);
    print_usage("wzp", rep, ours);
    ratios.push_back((ours.cpu_s / ours.wall_s) / (stock.cpu_s / stock.wall_s));
    switch_ratios.push_back((ours.switches / ours.wall_s) / (stock.switches / stock.wall_s));
  }
  std::sort(ratios.begin(), ratios.end());
  std::sort(switch_ratios.begin(), switch_ratios.end());
  auto median = [](const std::vector<double> &v) {
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  };
  std::printf("\nwzp / stock CPU over %d repetitions: min %.2fx, median %.2fx, max %.2fx\n",
              repetitions, ratios.front(), median(ratios), ratios.back());
  std::printf("wzp / stock context switches: min %.2fx, median %.2fx, max %.2fx\n",
              switch_ratios.front(), median(switch_ratios), switch_ratios.back());
  std::remove(out.c_str());
  return 0;
}
