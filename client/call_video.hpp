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

#include "libwzp/crypto/session.hpp"
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
// Named elements: "venc", "vfec", "vnet".
GstElement *build_video_sender(const VideoOptions &options, const std::shared_ptr<quic::Link> &link,
                               const std::shared_ptr<crypto::MediaSession> &session,
                               uint32_t stream_id, uint32_t padding, std::string &error);

// The receiver's video branch after the tee named "packets", for
// gst_parse_launch. Named elements: "vfec", "vjitter", "vdec" and, writing a
// file, "vfile".
std::string video_receiver_branch(const VideoOptions &options);

// Watches the pictures leaving the receiver's decoder: how many, their
// size, the rate over the last status period and the freezes (a step over
// kFreeze between consecutive pictures' timestamps, as a synced sink would
// show them).
class VideoWatch {
 public:
  static constexpr GstClockTime kFreeze = 200 * GST_MSECOND;

  // Attaches to "vdec" in `receiver`; does nothing if there is none.
  void attach(GstElement *receiver);
  // " | video 640x360 15 fps, 1 freeze (longest 733 ms)"; "" without video.
  std::string status();
  // The summary's lines of what was received and sent.
  std::string summary(GstElement *video_sender) const;

 private:
  static GstPadProbeReturn on_picture(GstPad *pad, GstPadProbeInfo *info, gpointer self);

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
  GstElement *decoder_ = nullptr;   // for its stats; owned by the receiver
  GstElement *receiver_ = nullptr;  // for its source's keyframe requests sent
};

}  // namespace wzp::client
