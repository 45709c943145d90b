// The loss sweep: for random and bursty loss from 0 to 70 %, the share of
// 20 ms frames played from real data and the mouth-to-ear delay, for the wzp
// stack and, in the same run, the stock GStreamer chain (rtpopuspay + Opus
// in-band FEC + rtpjitterbuffer) at the same wire bitrate and at the same
// codec bitrate.
//
// Senders run as fast as they go; each packet's fate comes from the netsim
// model on its send time (same settings and seed for every stack); then all
// receivers play live together on one clock, fed at the packets' arrival
// times, so the whole sweep takes about one stream length of wall time.
//
//   wzp_loss_sweep [--seconds S] [--seed N] [--delay-ms D] [--jitter-ms J]
//                  [--rate-kbps R] [--queue-ms Q] [--losses 0,5,...] [--csv FILE]
//                  [--speech FILE.wav] [--max-group-ms G] [--stock-kbps K,...]
//
// --stock-kbps gives the stock chain's wire rate (kbit/s, IP/UDP included)
// per point, in the table's order (random losses, then bursty), instead of
// wzp's: bench/live/run.sh sets it to what each live wzp call used. 0 or a
// missing entry keeps wzp's rate.
#include <gst/gst.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench/sweep/stacks.hpp"
#include "bench/sweep/sweep_point.hpp"
#include "libwzp/netsim/spec.hpp"

namespace {

using namespace wzp::sweep;

constexpr int64_t kStartOffsetNs = 1'000'000'000;  // pipelines settle before the first packet
constexpr size_t kTailFrames = 150;                // sent after the scored frames, not scored
constexpr guint kStockLatencyMs = 200;             // rtpjitterbuffer's default
constexpr size_t kRtpHeader = 12;

struct Options {
  int seconds = 60;
  PathSettings path;
  std::vector<int> losses{0, 5, 10, 20, 30, 40, 50, 60, 70};
  std::string csv;
  std::string speech;  // WAV file, at least --seconds + 3 s long
  uint32_t max_group_frames = 0;
  std::vector<double> stock_wire_kbps;  // per point; 0: wzp's wire rate
};

struct Point {
  const char *model = "random";
  double mean_burst = 0;
  int loss_pct = 0;
  WzpSettings wzp;
  uint32_t stock_bps = 0;
  int64_t wzp_latency_ms = 0;
  std::vector<SentStream> sent;  // wzp, stock (same wire rate), stock (same codec rate)
  std::vector<wzp::netsim::DirectionCounters> counters;
  std::vector<std::unique_ptr<Receiver>> receivers;
  std::vector<Score> scores;
};

// Comma-separated numbers.
template <typename T>
std::vector<T> parse_list(const std::string &text) {
  std::vector<T> values;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    values.push_back(static_cast<T>(std::atof(text.substr(start, end - start).c_str())));
    start = end + 1;
  }
  return values;
}

bool parse_options(int argc, char **argv, Options &o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "missing value after %s\n", arg.c_str());
      return false;
    }
    const char *v = argv[++i];
    if (arg == "--seconds") {
      o.seconds = std::atoi(v);
    } else if (arg == "--seed") {
      o.path.seed = std::strtoull(v, nullptr, 10);
    } else if (arg == "--delay-ms") {
      o.path.delay_ms = std::atoll(v);
    } else if (arg == "--jitter-ms") {
      o.path.jitter_ms = std::atoll(v);
    } else if (arg == "--rate-kbps") {
      o.path.rate_bps = std::strtoull(v, nullptr, 10) * 1000;
    } else if (arg == "--queue-ms") {
      o.path.queue_ms = std::atoll(v);
    } else if (arg == "--csv") {
      o.csv = v;
    } else if (arg == "--speech") {
      o.speech = v;
    } else if (arg == "--max-group-ms") {
      o.max_group_frames = static_cast<uint32_t>(std::max(0, std::atoi(v)) / 20);
    } else if (arg == "--losses") {
      o.losses = parse_list<int>(v);
    } else if (arg == "--stock-kbps") {
      o.stock_wire_kbps = parse_list<double>(v);
    } else {
      std::fprintf(stderr, "unknown option %s\n", arg.c_str());
      return false;
    }
  }
  bool losses_ok =
      std::all_of(o.losses.begin(), o.losses.end(), [](int p) { return p >= 0 && p <= 70; });
  bool path_ok = o.path.delay_ms >= 0 && o.path.jitter_ms >= 0 && o.path.queue_ms > 0 &&
                 o.path.delay_ms <= 5000 && o.path.jitter_ms <= o.path.delay_ms + 1000;
  if (o.seconds < 5 || o.seconds > 3600 || !losses_ok || o.losses.empty() || !path_ok) {
    std::fprintf(stderr,
                 "need --seconds 5..3600, losses within 0..70, delay 0..5000 ms, jitter >= 0, "
                 "queue > 0\n");
    return false;
  }
  return true;
}

// Speech from a WAV file (so Opus sees voice activity and codes LBRR), or a
// tone without --speech. opusenc cuts it into 20 ms frames.
std::string source(const std::string &speech, size_t frames) {
  if (!speech.empty()) {
    return "filesrc location=\"" + speech +
           "\" ! wavparse ! audioconvert ! audioresample"
           " ! audio/x-raw,format=S16LE,rate=48000,channels=1";
  }
  return "audiotestsrc num-buffers=" + std::to_string(frames) +
         " samplesperbuffer=960 wave=sine freq=220 volume=0.5"
         " ! audio/x-raw,format=S16LE,rate=48000,channels=1";
}

std::string wzp_sender(const std::string &speech, const WzpSettings &s, size_t frames) {
  uint64_t group_ns = static_cast<uint64_t>(s.block_frames) * s.interleave * kFrameNs;
  return source(speech, frames) +
         " ! opusenc frame-size=20 audio-type=voice bitrate=" + std::to_string(s.opus_bps) +
         " ! wzpfecenc block-size=" + std::to_string(s.block_frames) +
         " repair-ratio=" + std::to_string(s.repair_ratio) +
         " interleave-depth=" + std::to_string(s.interleave) +
         " max-block-time=" + std::to_string(group_ns) + " ! appsink name=out sync=false";
}

std::string stock_sender(const std::string &speech, uint32_t bps, int loss_pct, size_t frames) {
  return source(speech, frames) + " ! opusenc frame-size=20 audio-type=voice inband-fec=true" +
         " packet-loss-percentage=" + std::to_string(loss_pct) + " bitrate=" + std::to_string(bps) +
         " ! rtpopuspay pt=96 seqnum-offset=0 timestamp-offset=0 ! appsink name=out sync=false";
}

// wzpjitterbuffer in fixed mode at the delay the FEC settings need: the
// first frame of a group waits for the whole group, then for the group's
// repair burst to cross the bottleneck, plus the path's jitter. (Adaptive
// mode grows its delay only in silence or on a dry buffer; this stream is
// continuous and FEC keeps the buffer from running dry, so it stays below
// its own target: see docs/loss-sweep.md.)
int64_t wzp_latency_ms(const WzpSettings &s, const SentStream &sent, const PathSettings &path,
                       double loss) {
  int64_t latency = 2 * path.jitter_ms + 20;
  if (loss <= 0) return latency;
  // Repair packets are as long as their block's longest frame: take the
  // 95th percentile packet.
  std::vector<size_t> sizes;
  for (const SentPacket &p : sent.packets) sizes.push_back(p.bytes.size());
  std::sort(sizes.begin(), sizes.end());
  size_t repair_bytes = sizes.empty() ? 0 : sizes[sizes.size() * 95 / 100];
  double repairs = std::ceil(s.repair_ratio * s.block_frames) * s.interleave;
  double burst_ms = path.rate_bps ? repairs * static_cast<double>(repair_bytes + kIpUdpOverhead) *
                                        8000.0 / static_cast<double>(path.rate_bps)
                                  : 0.0;
  return latency + static_cast<int64_t>(s.block_frames * s.interleave) * 20 +
         static_cast<int64_t>(burst_ms);
}

std::string wzp_receiver(int64_t latency_ms) {
  return "appsrc name=src ! wzpfecdec ! wzpjitterbuffer name=jb mode=fixed max-latency=3000"
         " latency=" +
         std::to_string(latency_ms) + " ! opusdec plc=true ! fakesink sync=false async=false";
}

std::string stock_receiver() {
  return "appsrc name=src ! rtpjitterbuffer name=jb do-lost=true latency=" +
         std::to_string(kStockLatencyMs) +
         " ! rtpopusdepay ! opusdec plc=true use-inband-fec=true"
         " ! fakesink sync=false async=false";
}

std::vector<bool> lbrr_by_frame(const SentStream &stream, size_t frames) {
  std::vector<bool> lbrr(frames, false);
  for (const SentPacket &p : stream.packets) {
    if (p.bytes.size() <= kRtpHeader) continue;
    uint32_t ts = (uint32_t{p.bytes[4]} << 24) | (uint32_t{p.bytes[5]} << 16) |
                  (uint32_t{p.bytes[6]} << 8) | p.bytes[7];
    size_t frame = ts / kFrameTicks;
    if (frame < frames) {
      lbrr[frame] = opus_has_lbrr(p.bytes.data() + kRtpHeader, p.bytes.size() - kRtpHeader);
    }
  }
  return lbrr;
}

double kbps(const SentStream &s, size_t frames) {
  return static_cast<double>(s.wire_bytes) * 8.0 / (static_cast<double>(frames) * 0.02) / 1000.0;
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  Options options;
  if (!parse_options(argc, argv, options)) return 2;
  const size_t scored = static_cast<size_t>(options.seconds) * 50;
  const size_t sent_frames = scored + kTailFrames;

  std::vector<Point> points;
  for (int burst : {0, 3}) {
    for (int loss : options.losses) {
      Point p;
      p.model = burst ? "bursty" : "random";
      p.mean_burst = burst;
      p.loss_pct = loss;
      p.wzp = wzp_settings_for(loss / 100.0, options.max_group_frames);
      points.push_back(std::move(p));
    }
  }

  // Senders, and each packet's fate.
  std::fprintf(stderr, "encoding %zu frames for %zu points...\n", sent_frames, points.size());
  struct Delivery {
    int64_t at_ns;
    Receiver *receiver;
    const SentPacket *packet;
  };
  std::vector<Delivery> deliveries;
  for (Point &p : points) {
    std::string error;
    p.sent.push_back(capture(wzp_sender(options.speech, p.wzp, sent_frames), sent_frames, error));
    if (error.empty() &&
        (p.sent[0].packets.empty() ||
         p.sent[0].packets.back().send_ns < static_cast<int64_t>(sent_frames - 1) * kFrameNs)) {
      error = "the input is shorter than --seconds + 3 s";
    }
    if (!error.empty()) {
      std::fprintf(stderr, "wzp sender: %s\n", error.c_str());
      return 1;
    }
    p.wzp_latency_ms = wzp_latency_ms(p.wzp, p.sent[0], options.path, p.loss_pct / 100.0);
    // Same wire rate (wzp's, or --stock-kbps) minus what RTP and IP/UDP take per packet.
    double wire_bps = kbps(p.sent[0], sent_frames) * 1000.0;
    auto index = static_cast<size_t>(&p - points.data());
    if (index < options.stock_wire_kbps.size() && options.stock_wire_kbps[index] > 0) {
      wire_bps = options.stock_wire_kbps[index] * 1000.0;
    }
    p.stock_bps = static_cast<uint32_t>(
        std::clamp(wire_bps - 50.0 * (kRtpHeader + kIpUdpOverhead) * 8, 6000.0, 510000.0));
    p.sent.push_back(capture(stock_sender(options.speech, p.stock_bps, p.loss_pct, sent_frames),
                             sent_frames, error));
    p.sent.push_back(capture(stock_sender(options.speech, p.wzp.opus_bps, p.loss_pct, sent_frames),
                             sent_frames, error));
    if (!error.empty()) {
      std::fprintf(stderr, "stock sender: %s\n", error.c_str());
      return 1;
    }
    wzp::netsim::DirectionConfig config;
    config.loss = p.loss_pct / 100.0;
    config.mean_burst = p.mean_burst;
    config.delay = wzp::netsim::Micros(options.path.delay_ms * 1000);
    config.jitter = wzp::netsim::Micros(options.path.jitter_ms * 1000);
    config.rate_bps = options.path.rate_bps;
    config.queue_limit = wzp::netsim::Micros(options.path.queue_ms * 1000);
    config.seed = options.path.seed;
    if (std::string why = wzp::netsim::validate(config); !why.empty()) {
      std::fprintf(stderr, "impairment %s %d%%: %s\n", p.model, p.loss_pct, why.c_str());
      return 2;
    }
    for (size_t s = 0; s < p.sent.size(); ++s) {
      StackKind kind = s == 0 ? StackKind::kWzp : StackKind::kStock;
      std::string launch = s == 0 ? wzp_receiver(p.wzp_latency_ms) : stock_receiver();
      p.receivers.push_back(std::make_unique<Receiver>(kind, launch, p.sent[s], scored + 1, error));
      if (!error.empty()) {
        std::fprintf(stderr, "receiver: %s\n", error.c_str());
        return 1;
      }
      p.counters.emplace_back();
      std::vector<int64_t> arrivals = impair(p.sent[s], config, p.counters.back());
      for (size_t i = 0; i < arrivals.size(); ++i) {
        if (arrivals[i] < 0) continue;
        deliveries.push_back(
            {kStartOffsetNs + arrivals[i], p.receivers[s].get(), &p.sent[s].packets[i]});
      }
    }
  }
  if (deliveries.empty()) {
    std::fprintf(stderr, "no packet survives the impairment\n");
    return 1;
  }
  std::stable_sort(deliveries.begin(), deliveries.end(),
                   [](const Delivery &a, const Delivery &b) { return a.at_ns < b.at_ns; });

  // All receivers live on one clock.
  GstClock *clock = gst_system_clock_obtain();
  GstClockTime base_time = gst_clock_get_time(clock);
  for (Point &p : points) {
    for (auto &r : p.receivers) {
      std::string error;
      if (!r->start(clock, base_time, error)) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
      }
    }
  }
  std::fprintf(stderr, "playing %zu receivers live for %.0f s...\n", points.size() * 3,
               (kStartOffsetNs + static_cast<double>(sent_frames) * kFrameNs) / 1e9 +
                   options.path.delay_ms / 1e3);
  int64_t late_feeds = 0;
  for (const Delivery &d : deliveries) {
    GstClockID id = gst_clock_new_single_shot_id(clock, base_time + d.at_ns);
    gst_clock_id_wait(id, nullptr);
    gst_clock_id_unref(id);
    auto now = static_cast<int64_t>(gst_clock_get_time(clock) - base_time);
    late_feeds += now - d.at_ns > 5'000'000;
    d.receiver->push(*d.packet, d.at_ns);
  }
  GstClockID id =
      gst_clock_new_single_shot_id(clock, base_time + deliveries.back().at_ns + 2'000'000'000);
  gst_clock_id_wait(id, nullptr);
  gst_clock_id_unref(id);
  for (Point &p : points)
    for (auto &r : p.receivers) r->end_of_stream();
  bool all_ok = true;
  for (Point &p : points) {
    for (auto &r : p.receivers) {
      std::string error;
      if (!r->finish(10 * GST_SECOND, error)) {
        std::fprintf(stderr, "%s %d%%: %s\n", p.model, p.loss_pct, error.c_str());
        all_ok = false;
      }
    }
  }
  gst_object_unref(clock);
  if (late_feeds > 0) {
    std::fprintf(stderr, "warning: %lld packets fed more than 5 ms late (machine busy)\n",
                 static_cast<long long>(late_feeds));
  }

  // Scores and the table.
  FILE *csv = options.csv.empty() ? nullptr : std::fopen(options.csv.c_str(), "w");
  if (csv != nullptr) {
    std::fprintf(csv,
                 "model,loss_pct,wzp_real_pct,stock_real_pct,stock_codec_real_pct,"
                 "wzp_mean_ms,wzp_p95_ms,stock_mean_ms,stock_p95_ms,stock_codec_mean_ms,"
                 "stock_codec_p95_ms,wzp_kbps,stock_kbps,stock_codec_kbps\n");
  }
  std::printf(
      "path: %lld ms +/- %lld ms one way (RTT %lld ms), %llu kbit/s cap, %lld ms queue, seed "
      "%llu; %zu frames (20 ms) scored per point\n\n",
      static_cast<long long>(options.path.delay_ms), static_cast<long long>(options.path.jitter_ms),
      static_cast<long long>(2 * options.path.delay_ms),
      static_cast<unsigned long long>(options.path.rate_bps / 1000),
      static_cast<long long>(options.path.queue_ms),
      static_cast<unsigned long long>(options.path.seed), scored);
  std::printf(
      "| model  | loss | wzp (opus kbps, K, ratio, D; playout ms) | wzp kbps | stock kbps | wzp "
      "real %% "
      "| stock real %% (via LBRR) | ratio | stock@codec-rate real %% | wzp delay mean/p95 ms "
      "| stock delay mean/p95 ms | wire loss wzp/stock %% |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (Point &p : points) {
    p.scores.push_back(score_wzp(p.receivers[0]->outcomes(), scored, kStartOffsetNs));
    for (size_t s = 1; s < 3; ++s) {
      p.scores.push_back(score_stock(p.receivers[s]->outcomes(),
                                     lbrr_by_frame(p.sent[s], scored + 1), scored, kStartOffsetNs));
    }
    for (size_t s = 0; s < 3; ++s) p.scores[s].wire_kbps = kbps(p.sent[s], sent_frames);
    const Score &w = p.scores[0];
    const Score &st = p.scores[1];
    const Score &sc = p.scores[2];
    auto wire_loss = [&](size_t s) {
      const auto &c = p.counters[s];
      return 100.0 * static_cast<double>(c.lost + c.queue_dropped) /
             static_cast<double>(std::max<uint64_t>(c.packets_in, 1));
    };
    char fec[80];
    std::snprintf(fec, sizeof fec, "%u, %u, %.2f, %u; %lld", p.wzp.opus_bps / 1000,
                  p.wzp.block_frames, p.wzp.repair_ratio, p.wzp.interleave,
                  static_cast<long long>(p.wzp_latency_ms));
    std::printf(
        "| %s | %d %% | %s | %.0f | %.0f | %.2f | %.2f (%.2f) | %.2f | %.2f | %.0f / %.0f | %.0f / "
        "%.0f | %.1f / %.1f |\n",
        p.model, p.loss_pct, fec, w.wire_kbps, st.wire_kbps, w.real_pct(), st.real_pct(),
        100.0 * static_cast<double>(st.via_opus_fec) / static_cast<double>(st.frames),
        st.real_pct() > 0 ? w.real_pct() / st.real_pct() : 0.0, sc.real_pct(), w.mean_delay_ms,
        w.p95_delay_ms, st.mean_delay_ms, st.p95_delay_ms, wire_loss(0), wire_loss(1));
    if (csv != nullptr) {
      std::fprintf(csv, "%s,%d,%.3f,%.3f,%.3f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f\n",
                   p.model, p.loss_pct, w.real_pct(), st.real_pct(), sc.real_pct(), w.mean_delay_ms,
                   w.p95_delay_ms, st.mean_delay_ms, st.p95_delay_ms, sc.mean_delay_ms,
                   sc.p95_delay_ms, w.wire_kbps, st.wire_kbps, sc.wire_kbps);
    }
    std::fprintf(stderr, "%s %d%%: wzpjitterbuffer %s\n", p.model, p.loss_pct,
                 p.receivers[0]->stats().c_str());
  }
  if (csv != nullptr) std::fclose(csv);
  points.clear();
  return all_ok ? 0 : 1;
}
