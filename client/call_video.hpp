// A call's video (`wzp call --video`, docs/video.md "In a call"): its own
// sender pipeline on the call's link beside the audio's, a branch of the
// receiver after a tee, and what the status line and summary say of it.
//
//   sender:   <camera|pattern|file> ! wzpsvtav1enc ! wzpfecenc ! wzpencrypt ! wzpquicsink
//   receiver: ... wzpdecrypt ! tee ! wzpfecdec media=video ! wzpjitterbuffer
//             ! wzpdav1ddec ! <window|Matroska file>
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "client/adaptive.hpp"
#include "libwzp/crypto/session.hpp"
#include "libwzp/jitter/av_sync.hpp"
#include "libwzp/quality/video_ladder.hpp"
#include "libwzp/quic/link.hpp"

namespace wzp::client {

struct VideoOptions {
  bool enabled = false;
  // "camera" (v4l2src), "pattern" (a moving test pattern) or a file
  // GStreamer decodes, played at its own pace.
  std::string input = "camera";
  std::string output;  // empty: a window; else a Matroska file of the pictures shown
  // 360p/15 at 400 kbit/s: the floor, 11 % of one core for the
  // encoder on this machine (docs/video.md, "Benchmark").
  uint32_t width = 640;
  uint32_t height = 360;
  uint32_t fps = 15;
  uint32_t bitrate_kbps = 400;
};

// A side's video stream id: its audio's plus this, so the peer's tee splits
// nothing by id (media type does that) and the keyframe request names it.
inline constexpr uint32_t kVideoStreamOffset = 2;

// The sender pipeline (NULL state) on `link`, or null with `error` set.
// Named elements: "vvalve" (before the encoder), "venc", "vfec", "vnet".
GstElement *build_video_sender(const VideoOptions &options, const std::shared_ptr<quic::Link> &link,
                               const std::shared_ptr<crypto::MediaSession> &session,
                               uint32_t stream_id, uint32_t padding, std::string &error);

// Gives the call's audio and video senders one clock and base time before
// they start, so both streams' timestamps count capture time from one
// origin: what the peer's lip sync lines up (VideoWatch).
void share_time_origin(GstElement *audio_sender, GstElement *video_sender);

// The receiver's video branch after the tee named "packets", for
// gst_parse_launch. Named elements: "vfec", "vjitter", "vdec" and, writing a
// file, "vfile".
std::string video_receiver_branch(const VideoOptions &options);

// Our picture on the video ladder (libwzp/quality/video_ladder.hpp): each
// peer report, before the audio's controller sees it, and once a second,
// after AdaptiveQuality's tick, the audio's tier and the QUIC link's stale
// drops decide the step. A step
// sets wzpsvtav1enc's bit rate and asks it for a keyframe (a new bit rate
// takes effect with the next session, docs/video.md); "off" closes the valve
// before the encoder, so it neither encodes nor sends, and its references
// stay whole for when the valve opens.
class VideoLadderLoop {
 public:
  // Hooks itself into `adaptive`'s reports; lives as long as it.
  VideoLadderLoop(GstElement *video_sender, AdaptiveQuality &adaptive, quality::Micros now);
  void tick(quality::Micros now);
  // "400k, 250k at 12.0 s, off at 13.0 s, ..." for the summary.
  std::string history() const;

 private:
  void sample(quality::Micros now, const quality::VideoSample &sample);
  void apply(const quality::VideoStep &step);

  quality::VideoLadder ladder_;
  const AdaptiveQuality &adaptive_;
  GstElement *valve_ = nullptr;  // owned by the video sender
  GstElement *encoder_ = nullptr;
  GstElement *net_ = nullptr;
  quality::Micros started_;
  uint64_t stale_seen_ = 0;
  std::vector<std::pair<quality::Micros, size_t>> history_;
};

// Watches the pictures leaving the receiver's decoder: how many, their
// size, the rate over the last status period and the freezes (a step over
// kFreeze between consecutive pictures' timestamps, as a synced sink would
// show them). Keeps the peer's speech and picture in lip sync: the frames
// leaving the two jitter buffers feed a jitter::AvSync, whose delays go on
// those buffers' source pads as offsets.
class VideoWatch {
 public:
  static constexpr GstClockTime kFreeze = 200 * GST_MSECOND;

  // Attaches to "vdec", "vjitter" and "jitter" in `receiver`; does nothing
  // without "vdec".
  void attach(GstElement *receiver);
  // Every 100 ms: moves the lip-sync delays (the jitter buffers' timelines
  // move at talkspurts and restarts; a second behind them was up to 190 ms
  // off, docs/video.md "Lip sync").
  void sync();
  // " | video 640x360 15 fps, 1 freeze (longest 733 ms)"; "" without video.
  std::string status();
  // The summary's lines of what was received and sent.
  std::string summary(GstElement *video_sender) const;

 private:
  static GstPadProbeReturn on_picture(GstPad *pad, GstPadProbeInfo *info, gpointer self);
  template <jitter::AvSync::Stream stream>
  static GstPadProbeReturn on_frame(GstPad *pad, GstPadProbeInfo *info, gpointer self);

  bool attached_ = false;
  mutable std::mutex lock_;
  uint64_t pictures_ = 0;
  uint64_t pictures_at_status_ = 0;
  gint64 status_at_us_ = 0;
  GstClockTime last_pts_ = GST_CLOCK_TIME_NONE;
  uint64_t freezes_ = 0;
  GstClockTime longest_step_ = 0;
  int width_ = 0;
  int height_ = 0;
  jitter::AvSync av_sync_;
  GstPad *audio_out_ = nullptr;  // the jitter buffers' source pads, owned by the receiver
  GstPad *video_out_ = nullptr;
  GstElement *decoder_ = nullptr;   // for its stats; owned by the receiver
  GstElement *receiver_ = nullptr;  // for its source's keyframe requests sent
};

}  // namespace wzp::client
