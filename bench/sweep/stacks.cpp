#include "bench/sweep/stacks.hpp"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <opus/opus.h>

#include <algorithm>

#include "plugins/gstwzp/wzpmeta.h"

namespace wzp::sweep {

SentStream::SentStream(SentStream &&other) noexcept
    : packets(std::move(other.packets)), caps(other.caps), wire_bytes(other.wire_bytes) {
  other.caps = nullptr;
}

SentStream::~SentStream() {
  if (caps != nullptr) gst_caps_unref(caps);
}

namespace {

std::string take_error(GstMessage *message) {
  GError *gerror = nullptr;
  gchar *debug = nullptr;
  gst_message_parse_error(message, &gerror, &debug);
  std::string text = std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(message))) + ": " +
                     gerror->message + (debug != nullptr ? std::string(" (") + debug + ")" : "");
  g_error_free(gerror);
  g_free(debug);
  return text;
}

}  // namespace

SentStream capture(const std::string &launch, size_t frames, std::string &error) {
  SentStream stream;
  GError *gerror = nullptr;
  GstElement *pipeline = gst_parse_launch(launch.c_str(), &gerror);
  if (pipeline == nullptr || gerror != nullptr) {
    error = "cannot build '" + launch + "': " + (gerror ? gerror->message : "unknown");
    if (gerror != nullptr) g_error_free(gerror);
    if (pipeline != nullptr) gst_object_unref(pipeline);
    return stream;
  }
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  int64_t last_send = 0;
  while (GstSample *sample = gst_app_sink_pull_sample(GST_APP_SINK(sink))) {
    if (stream.caps == nullptr) stream.caps = gst_caps_ref(gst_sample_get_caps(sample));
    GstBuffer *buffer = gst_sample_get_buffer(sample);
    SentPacket packet;
    packet.bytes.resize(gst_buffer_get_size(buffer));
    gst_buffer_extract(buffer, 0, packet.bytes.data(), packet.bytes.size());
    // Packets a frame triggers leave together, never before earlier ones.
    int64_t pts =
        GST_BUFFER_PTS_IS_VALID(buffer) ? static_cast<int64_t>(GST_BUFFER_PTS(buffer)) : 0;
    if (pts >= static_cast<int64_t>(frames) * kFrameNs) {
      gst_sample_unref(sample);
      break;  // enough: the rest of the input is not needed
    }
    last_send = std::max(last_send, pts + kFrameNs);
    packet.send_ns = last_send;
    stream.wire_bytes += packet.bytes.size() + kIpUdpOverhead;
    stream.packets.push_back(std::move(packet));
    gst_sample_unref(sample);
  }
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  if (message != nullptr) {
    error = take_error(message);
    gst_message_unref(message);
    stream.packets.clear();
  }
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  return stream;
}

Receiver::Receiver(StackKind kind, const std::string &launch, const SentStream &sent, size_t frames,
                   std::string &error)
    : kind_(kind), outcomes_(frames) {
  GError *gerror = nullptr;
  pipeline_ = gst_parse_launch(launch.c_str(), &gerror);
  if (pipeline_ == nullptr || gerror != nullptr) {
    error = "cannot build '" + launch + "': " + (gerror ? gerror->message : "unknown");
    if (gerror != nullptr) g_error_free(gerror);
    return;
  }
  appsrc_ = gst_bin_get_by_name(GST_BIN(pipeline_), "src");
  jitter_ = gst_bin_get_by_name(GST_BIN(pipeline_), "jb");
  if (appsrc_ == nullptr || jitter_ == nullptr) {
    error = "receiver pipeline lacks 'src' or 'jb': " + launch;
    return;
  }
  g_object_set(appsrc_, "caps", sent.caps, "format", GST_FORMAT_TIME, "is-live", TRUE, "max-bytes",
               static_cast<guint64>(64) << 20, nullptr);
  if (kind_ == StackKind::kStock) {
    guint latency_ms = 0;
    g_object_get(jitter_, "latency", &latency_ms, nullptr);
    stock_latency_ns_ = static_cast<int64_t>(latency_ms) * GST_MSECOND;
  }
  GstPad *pad = gst_element_get_static_pad(jitter_, "src");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, &Receiver::on_jitter_output, this, nullptr);
  gst_object_unref(pad);
}

Receiver::~Receiver() {
  if (pipeline_ != nullptr) gst_element_set_state(pipeline_, GST_STATE_NULL);
  if (appsrc_ != nullptr) gst_object_unref(appsrc_);
  if (jitter_ != nullptr) gst_object_unref(jitter_);
  if (pipeline_ != nullptr) gst_object_unref(pipeline_);
}

bool Receiver::start(GstClock *clock, GstClockTime base_time, std::string &error) {
  base_time_ = base_time;
  gst_pipeline_use_clock(GST_PIPELINE(pipeline_), clock);
  gst_element_set_start_time(pipeline_, GST_CLOCK_TIME_NONE);
  gst_element_set_base_time(pipeline_, base_time);
  if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    error = "receiver pipeline refused to play";
    return false;
  }
  return true;
}

void Receiver::push(const SentPacket &packet, int64_t running_ns) {
  GstBuffer *buffer = gst_buffer_new_memdup(packet.bytes.data(), packet.bytes.size());
  GST_BUFFER_PTS(buffer) = static_cast<GstClockTime>(running_ns);
  GST_BUFFER_DTS(buffer) = static_cast<GstClockTime>(running_ns);
  gst_app_src_push_buffer(GST_APP_SRC(appsrc_), buffer);
}

void Receiver::end_of_stream() { gst_app_src_end_of_stream(GST_APP_SRC(appsrc_)); }

bool Receiver::finish(GstClockTime timeout, std::string &error) {
  GstBus *bus = gst_element_get_bus(pipeline_);
  GstMessage *message = gst_bus_timed_pop_filtered(
      bus, timeout, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  bool ok = message != nullptr && GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS;
  if (message == nullptr) error = "receiver did not reach EOS in time";
  if (message != nullptr && !ok) error = take_error(message);
  if (message != nullptr) gst_message_unref(message);
  gst_object_unref(bus);
  if (kind_ == StackKind::kWzp) {
    GstStructure *stats = nullptr;
    g_object_get(jitter_, "stats", &stats, nullptr);
    if (stats != nullptr) {
      gchar *text = gst_structure_to_string(stats);
      stats_ = text;
      g_free(text);
      gst_structure_free(stats);
    }
  }
  gst_element_set_state(pipeline_, GST_STATE_NULL);
  return ok;
}

GstPadProbeReturn Receiver::on_jitter_output(GstPad *, GstPadProbeInfo *info, gpointer self) {
  static_cast<Receiver *>(self)->record(GST_PAD_PROBE_INFO_BUFFER(info));
  return GST_PAD_PROBE_OK;
}

// Runs in the jitter buffer's streaming thread.
void Receiver::record(GstBuffer *buffer) {
  if (GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_GAP) || gst_buffer_get_size(buffer) == 0) {
    return;
  }
  GstClock *clock = gst_element_get_clock(pipeline_);
  if (clock == nullptr) return;
  auto now = static_cast<int64_t>(gst_clock_get_time(clock) - base_time_);
  gst_object_unref(clock);
  uint32_t timestamp = 0;
  int64_t playout = now;
  if (kind_ == StackKind::kWzp) {
    // wzpjitterbuffer pushes each frame at its playout time and drops late ones.
    WzpHeaderMeta *meta = wzp_buffer_get_header_meta(buffer);
    if (meta == nullptr) return;
    timestamp = meta->header.timestamp;
  } else {
    // rtpjitterbuffer pushes as soon as frames are in order; a synced sink
    // plays them at PTS + latency, so one pushed after that is too late.
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    if (!gst_rtp_buffer_map(buffer, GST_MAP_READ, &rtp)) return;
    timestamp = gst_rtp_buffer_get_timestamp(&rtp);
    gst_rtp_buffer_unmap(&rtp);
    if (!GST_BUFFER_PTS_IS_VALID(buffer)) return;
    playout = static_cast<int64_t>(GST_BUFFER_PTS(buffer)) + stock_latency_ns_;
    if (now > playout) return;
  }
  size_t frame = timestamp / kFrameTicks;
  if (frame >= outcomes_.size()) return;
  outcomes_[frame].played = true;
  outcomes_[frame].playout_ns = playout;
}

bool opus_has_lbrr(const uint8_t *packet, size_t size) {
  if (size < 2) return false;
  int config = packet[0] >> 3;
  if (config >= 16) return false;  // CELT only: no LBRR
  const unsigned char *frames[48];
  opus_int16 sizes[48];
  int count =
      opus_packet_parse(packet, static_cast<opus_int32>(size), nullptr, frames, sizes, nullptr);
  if (count <= 0 || sizes[0] == 0) return false;
  int per_frame = opus_packet_get_samples_per_frame(packet, 48000);
  int silk_frames = per_frame > 960 ? per_frame / 960 : 1;
  // The first bits of a SILK frame: one VAD flag per 20 ms, then the LBRR flag.
  bool lbrr = (frames[0][0] >> (7 - silk_frames)) & 1;
  if (opus_packet_get_nb_channels(packet) == 2) {
    lbrr = lbrr || ((frames[0][0] >> (6 - 2 * silk_frames)) & 1);
  }
  return lbrr;
}

}  // namespace wzp::sweep
