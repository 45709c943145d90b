// The two media stacks of the loss sweep, as real GStreamer pipelines split
// at the network: a sender pipeline run as fast as it goes into an appsink
// (its packets and their send times), and a live receiver pipeline fed by
// appsrc at each packet's simulated arrival time, with a probe after the
// jitter buffer that records which 20 ms frames came out in time and when.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <string>
#include <vector>

namespace wzp::sweep {

inline constexpr int64_t kFrameNs = 20'000'000;
inline constexpr uint32_t kFrameTicks = 960;  // 20 ms at 48 kHz
// IPv4 + UDP, added to every packet for the bandwidth cap and the bitrates.
inline constexpr size_t kIpUdpOverhead = 28;

struct SentPacket {
  std::vector<uint8_t> bytes;
  int64_t send_ns = 0;  // since the first frame's capture started
};

struct SentStream {
  std::vector<SentPacket> packets;
  GstCaps *caps = nullptr;  // owned
  uint64_t wire_bytes = 0;  // packets plus IP/UDP overhead

  SentStream() = default;
  SentStream(const SentStream &) = delete;
  SentStream &operator=(const SentStream &) = delete;
  SentStream(SentStream &&other) noexcept;
  ~SentStream();
};

// Runs `launch` (which must end in `appsink name=out`) to EOS and collects
// the packets of its first `frames` frames. A packet leaves when the newest frame it depends on has
// been captured: its PTS plus one frame. Returns an empty stream and fills `error` on failure.
SentStream capture(const std::string &launch, size_t frames, std::string &error);

enum class StackKind { kWzp, kStock };

// What the receiver saw of one frame.
struct FrameOutcome {
  bool played = false;     // real data reached the decoder in time for playout
  int64_t playout_ns = 0;  // running time it plays at (valid if played)
};

class Receiver {
 public:
  // `launch` starts with `appsrc name=src` and holds the jitter buffer named
  // `jb`; `frames` is how many frames the sender captured.
  Receiver(StackKind kind, const std::string &launch, const SentStream &sent, size_t frames,
           std::string &error);
  ~Receiver();
  Receiver(const Receiver &) = delete;
  Receiver &operator=(const Receiver &) = delete;

  // Shares one clock and base time with the other receivers, so running
  // times are comparable and the feeder can drive all of them.
  bool start(GstClock *clock, GstClockTime base_time, std::string &error);
  // Arrival at `running_ns` (clock time minus base time).
  void push(const SentPacket &packet, int64_t running_ns);
  void end_of_stream();
  // Waits for EOS (or an error) and stops the pipeline.
  bool finish(GstClockTime timeout, std::string &error);

  const std::vector<FrameOutcome> &outcomes() const { return outcomes_; }
  StackKind kind() const { return kind_; }
  // The jitter buffer's statistics as text (wzp only), for the log.
  std::string stats() const { return stats_; }

 private:
  static GstPadProbeReturn on_jitter_output(GstPad *pad, GstPadProbeInfo *info, gpointer self);
  void record(GstBuffer *buffer);

  StackKind kind_;
  GstElement *pipeline_ = nullptr;
  GstElement *appsrc_ = nullptr;
  GstElement *jitter_ = nullptr;
  GstClockTime base_time_ = 0;
  int64_t stock_latency_ns_ = 0;
  std::vector<FrameOutcome> outcomes_;
  std::string stats_;
};

// Whether an Opus packet carries in-band FEC (LBRR) data for the frame
// before it: SILK or hybrid mode and the LBRR flag of its first frame set.
bool opus_has_lbrr(const uint8_t *packet, size_t size);

}  // namespace wzp::sweep
