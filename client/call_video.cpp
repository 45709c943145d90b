#include "client/call_video.hpp"

#include <gst/video/video.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <tuple>

#include "client/call_media.hpp"
#include "libwzp/wire/header.hpp"
#include "plugins/gstwzp/wzpmeta.h"
#include "plugins/gstwzp/wzpstats.h"

namespace wzp::client {
namespace {

std::string video_source(const VideoOptions &options) {
  if (options.input == "camera") return "v4l2src";
  if (options.input == "pattern") {
    return "videotestsrc is-live=true pattern=smpte horizontal-speed=3";
  }
  return "filesrc name=vinput ! decodebin";
}

}  // namespace

GstElement *build_video_sender(const VideoOptions &options, const std::shared_ptr<quic::Link> &link,
                               const std::shared_ptr<crypto::MediaSession> &session,
                               uint32_t stream_id, uint32_t padding, std::string &error) {
  // SVT-AV1 prints its banner at every new session, so at every keyframe.
  g_setenv("SVT_LOG", "1", FALSE);
  const bool file = options.input != "camera" && options.input != "pattern";
  // Repair as large as the frame (a keyframe's 1.5 times): the settings
  // tests/element/wzpvideo's call measured at 10 % loss; a delta frame (about
  // 3 kB) in 8 symbols, not 3-4, loses fewer frames at 30 % loss for the
  // same share of repair (docs/video.md).
  std::string description =
      video_source(options) + " ! videoconvert ! videoscale ! videorate ! video/x-raw,format=I420" +
      ",width=" + std::to_string(options.width) + ",height=" + std::to_string(options.height) +
      ",framerate=" + std::to_string(options.fps) + "/1" +
      // A file plays at the pace a camera would.
      (file ? " ! identity sync=true" : "") +
      " ! valve name=vvalve ! wzpsvtav1enc name=venc bitrate=" +
      std::to_string(options.bitrate_kbps) +
      " ! wzpfecenc name=vfec repair-ratio=1.0 keyframe-repair-ratio=1.5 video-min-symbols=8"
      " stream-id=" +
      std::to_string(stream_id) + " ! wzpencrypt name=vcrypt padding=" + std::to_string(padding) +
      " ! wzpquicsink name=vnet role=client max-queue-time=400";
  GstElement *pipeline = parse_pipeline(description, error);
  if (pipeline == nullptr) return nullptr;
  if (file) {
    GstElement *input = gst_bin_get_by_name(GST_BIN(pipeline), "vinput");
    g_object_set(input, "location", options.input.c_str(), nullptr);
    gst_object_unref(input);
  }
  set_call_contexts(pipeline, session, link);
  return pipeline;
}

VideoLadderLoop::VideoLadderLoop(GstElement *video_sender, AdaptiveQuality &adaptive,
                                 quality::Micros now)
    : ladder_({}, now), adaptive_(adaptive), started_(now) {
  for (auto [name, element] :
       {std::pair{"vvalve", &valve_}, std::pair{"venc", &encoder_}, std::pair{"vnet", &net_}}) {
    *element = gst_bin_get_by_name(GST_BIN(video_sender), name);
    gst_object_unref(*element);  // the sender keeps it as long as we look
  }
  history_.emplace_back(now, ladder_.step());
  apply(ladder_.current());
  adaptive.before_each_report([this](quality::Micros at, const quality::PathObservation &report) {
    sample(at, {.audio_tier = adaptive_.controller().committed_tier(), .report = report});
  });
}

void VideoLadderLoop::tick(quality::Micros now) {
  GstStructure *stats = nullptr;
  g_object_get(net_, "stats", &stats, nullptr);
  const uint64_t stale = stats_u64(stats, gst::stats::quic::kDatagramsDroppedStale);
  if (stats != nullptr) gst_structure_free(stats);
  sample(now, {.audio_tier = adaptive_.controller().committed_tier(),
               .stale_drops = stale - std::min(stale, stale_seen_)});
  stale_seen_ = stale;
}

void VideoLadderLoop::sample(quality::Micros now, const quality::VideoSample &sample) {
  if (auto step = ladder_.on_sample(now, sample)) {
    history_.emplace_back(now, *step);
    apply(quality::video_steps()[*step]);
  }
}

void VideoLadderLoop::apply(const quality::VideoStep &step) {
  const bool off = step.bitrate_kbps == 0;
  g_object_set(valve_, "drop", gboolean{off}, nullptr);
  if (off) return;
  guint bitrate = 0;
  g_object_get(encoder_, "bitrate", &bitrate, nullptr);
  if (bitrate == step.bitrate_kbps) return;
  g_object_set(encoder_, "bitrate", guint{step.bitrate_kbps}, nullptr);
  GstPad *pad = gst_element_get_static_pad(encoder_, "src");
  gst_pad_send_event(pad,
                     gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, TRUE, 0));
  gst_object_unref(pad);
}

std::string VideoLadderLoop::history() const {
  std::string text;
  char at[32];
  for (const auto &[when, step] : history_) {
    if (!text.empty()) {
      std::snprintf(at, sizeof at, " at %.1f s",
                    std::chrono::duration<double>(when - started_).count());
      text += ", ";
      text += quality::video_steps()[step].name;
      text += at;
    } else {
      text = quality::video_steps()[step].name;
    }
  }
  return text;
}

void share_time_origin(GstElement *audio_sender, GstElement *video_sender) {
  GstClock *clock = gst_system_clock_obtain();
  const GstClockTime base = gst_clock_get_time(clock);
  for (GstElement *pipeline : {audio_sender, video_sender}) {
    gst_pipeline_use_clock(GST_PIPELINE(pipeline), clock);
    // No start time: PLAYING keeps the base time given here.
    gst_element_set_start_time(pipeline, GST_CLOCK_TIME_NONE);
    gst_element_set_base_time(pipeline, base);
  }
  gst_object_unref(clock);
}

std::string video_receiver_branch(const VideoOptions &options) {
  // dav1d's pictures as they are shown, uncompressed: what a test compares
  // with what was sent, at no CPU (640x360 at 15 frames/s is 5 MB/s).
  std::string sink =
      options.output.empty()
          ? "autovideosink"
          : "video/x-raw,format=I420 ! matroskamux ! filesink name=vfile location=\"" +
                options.output + "\"";
  return " packets. ! wzpfecdec name=vfec media=video ! wzpjitterbuffer name=vjitter"
         " ! wzpdav1ddec name=vdec ! videoconvert ! " +
         sink;
}

void VideoWatch::attach(GstElement *receiver) {
  decoder_ = gst_bin_get_by_name(GST_BIN(receiver), "vdec");
  if (decoder_ == nullptr) return;
  gst_object_unref(decoder_);  // the receiver keeps it as long as we look
  receiver_ = receiver;
  GstPad *pad = gst_element_get_static_pad(decoder_, "src");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_picture, this, nullptr);
  gst_object_unref(pad);
  for (auto [name, out, probe] :
       {std::tuple{"jitter", &audio_out_, &on_frame<jitter::AvSync::Stream::kAudio>},
        std::tuple{"vjitter", &video_out_, &on_frame<jitter::AvSync::Stream::kVideo>}}) {
    GstElement *buffer = gst_bin_get_by_name(GST_BIN(receiver), name);
    if (buffer == nullptr) continue;
    *out = gst_element_get_static_pad(buffer, "src");
    gst_object_unref(*out);  // the receiver keeps it as long as we look
    gst_pad_add_probe(*out, GST_PAD_PROBE_TYPE_BUFFER, probe, this, nullptr);
    gst_object_unref(buffer);
  }
  attached_ = true;
  status_at_us_ = g_get_monotonic_time();
}

template <jitter::AvSync::Stream stream>
GstPadProbeReturn VideoWatch::on_frame(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *self = static_cast<VideoWatch *>(data);
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  const WzpHeaderMeta *meta = wzp_buffer_get_header_meta(buffer);
  if (meta == nullptr || !GST_BUFFER_PTS_IS_VALID(buffer)) return GST_PAD_PROBE_OK;
  std::lock_guard guard(self->lock_);
  self->av_sync_.on_frame(
      stream, meta->header.timestamp, wire::media_clock_rate(meta->header.media_type),
      static_cast<int64_t>(GST_BUFFER_PTS(buffer)), g_get_monotonic_time() * 1000);
  return GST_PAD_PROBE_OK;
}

void VideoWatch::sync() {
  if (audio_out_ == nullptr || video_out_ == nullptr) return;
  std::optional<jitter::AvDelays> delays;
  {
    std::lock_guard guard(lock_);
    delays = av_sync_.decide(g_get_monotonic_time() * 1000);
  }
  if (!delays) return;
  // A later running time for the earlier stream: its sink shows it later.
  gst_pad_set_offset(audio_out_, delays->audio_ns);
  gst_pad_set_offset(video_out_, delays->video_ns);
}

GstPadProbeReturn VideoWatch::on_picture(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  auto *self = static_cast<VideoWatch *>(data);
  const GstClockTime pts = GST_BUFFER_PTS(GST_PAD_PROBE_INFO_BUFFER(info));
  int width = 0, height = 0;
  if (GstCaps *caps = gst_pad_get_current_caps(pad)) {
    const GstStructure *s = gst_caps_get_structure(caps, 0);
    gst_structure_get_int(s, "width", &width);
    gst_structure_get_int(s, "height", &height);
    gst_caps_unref(caps);
  }
  std::lock_guard guard(self->lock_);
  ++self->pictures_;
  self->width_ = width;
  self->height_ = height;
  if (GST_CLOCK_TIME_IS_VALID(pts) && GST_CLOCK_TIME_IS_VALID(self->last_pts_) &&
      pts > self->last_pts_) {
    const GstClockTime step = pts - self->last_pts_;
    if (step > kFreeze) ++self->freezes_;
    self->longest_step_ = std::max(self->longest_step_, step);
  }
  if (GST_CLOCK_TIME_IS_VALID(pts)) self->last_pts_ = pts;
  return GST_PAD_PROBE_OK;
}

std::string VideoWatch::status() {
  if (!attached_) return "";
  std::lock_guard guard(lock_);
  const gint64 now = g_get_monotonic_time();
  const double seconds = static_cast<double>(now - status_at_us_) / 1e6;
  const double fps =
      seconds > 0 ? static_cast<double>(pictures_ - pictures_at_status_) / seconds : 0;
  status_at_us_ = now;
  pictures_at_status_ = pictures_;
  char line[128];
  if (pictures_ == 0) {
    std::snprintf(line, sizeof line, " | video: no picture yet");
  } else {
    std::snprintf(line, sizeof line, " | video %dx%d %.0f fps, %llu freeze%s (longest %llu ms)",
                  width_, height_, fps, static_cast<unsigned long long>(freezes_),
                  freezes_ == 1 ? "" : "s",
                  static_cast<unsigned long long>(longest_step_ / GST_MSECOND));
  }
  return line;
}

std::string VideoWatch::summary(GstElement *video_sender) const {
  std::string text;
  char line[256];
  if (attached_) {
    GstStructure *stats = nullptr;
    g_object_get(decoder_, "stats", &stats, nullptr);
    GstStructure *net = element_stats(receiver_, "net");
    std::lock_guard guard(lock_);
    // The decoder's asks, and how many left (the source sends one per 100 ms).
    std::snprintf(line, sizeof line,
                  "  video received        %llu pictures %dx%d, %llu dropped undecodable, "
                  "%llu freezes over %llu ms (longest %llu ms), %llu keyframe requests "
                  "(%llu sent)\n",
                  static_cast<unsigned long long>(pictures_), width_, height_,
                  static_cast<unsigned long long>(stats_u64(stats, "frames-dropped")),
                  static_cast<unsigned long long>(freezes_),
                  static_cast<unsigned long long>(kFreeze / GST_MSECOND),
                  static_cast<unsigned long long>(longest_step_ / GST_MSECOND),
                  static_cast<unsigned long long>(stats_u64(stats, "keyframe-requests")),
                  static_cast<unsigned long long>(stats_u64(net, "keyframe-requests-sent")));
    gst_structure_free(stats);
    if (net != nullptr) gst_structure_free(net);
    text += line;
    const jitter::AvSyncStats &sync = av_sync_.stats();
    if (sync.samples > 0) {
      // Mean and largest |video - audio| for the same capture time, as the
      // streams come (unaligned) and with the delays, once they were set.
      auto ms = [](int64_t ns, uint64_t n) {
        return static_cast<long long>(n > 0 ? ns / static_cast<int64_t>(n) / 1000000 : 0);
      };
      char sync_line[512];
      std::snprintf(sync_line, sizeof sync_line,
                    "  lip sync              |video - audio| unaligned %lld ms mean (max %lld) "
                    "over %llu pictures, aligned %lld ms (max %lld, %llu beyond 40 ms) over %llu; "
                    "delays now audio %lld ms, video %lld ms\n",
                    ms(sync.sum_abs_raw_ns, sync.samples), ms(sync.max_abs_raw_ns, 1),
                    static_cast<unsigned long long>(sync.samples),
                    ms(sync.sum_abs_synced_ns, sync.synced_samples), ms(sync.max_abs_synced_ns, 1),
                    static_cast<unsigned long long>(sync.synced_beyond_goal),
                    static_cast<unsigned long long>(sync.synced_samples),
                    ms(av_sync_.delays().audio_ns, 1), ms(av_sync_.delays().video_ns, 1));
      text += sync_line;
    }
  }
  if (video_sender != nullptr) {
    GstStructure *stats = element_stats(video_sender, "venc");
    GstStructure *net = element_stats(video_sender, "vnet");
    std::snprintf(line, sizeof line,
                  "  video sent            %llu frames, %llu keyframes, %llu keyframe requests "
                  "answered (%llu ignored)\n",
                  static_cast<unsigned long long>(stats_u64(stats, "frames-encoded")),
                  static_cast<unsigned long long>(stats_u64(stats, "keyframes")),
                  static_cast<unsigned long long>(stats_u64(net, "keyframe-requests-answered")),
                  static_cast<unsigned long long>(stats_u64(net, "keyframe-requests-ignored")));
    if (stats != nullptr) gst_structure_free(stats);
    if (net != nullptr) gst_structure_free(net);
    text += line;
  }
  return text;
}

}  // namespace wzp::client
