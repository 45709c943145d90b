#include "client/call_video.hpp"

#include <cstdio>

#include "client/call_media.hpp"

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
      " ! wzpsvtav1enc name=venc bitrate=" + std::to_string(options.bitrate_kbps) +
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
  attached_ = true;
  status_at_us_ = g_get_monotonic_time();
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
