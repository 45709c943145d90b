/**
 * SECTION:element-wzpfecenc
 * @title: wzpfecenc
 * @see_also: wzpfecdec
 *
 * Protects a stream of encoded frames with RaptorQ (RFC 6330) forward error
 * correction and turns each frame into a wzp packet. Every frame is sent at
 * once as a source packet; when a block of frames closes, its repair packets
 * follow. Frames are dealt round-robin over `interleave-depth` blocks so that
 * a burst of losses costs each block only a few symbols. Block layout, rules
 * and measured recovery: docs/fec-blocks.md.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 audiotestsrc ! opusenc frame-size=20 ! wzpfecenc repair-ratio=0.5 !
 *     identity drop-probability=0.3 ! wzpfecdec ! opusdec ! autoaudiosink
 * ]| Opus over a path losing 30 % of packets, repaired by FEC.
 * |[
 * gst-launch-1.0 audiotestsrc ! opusenc ! wzpfecenc block-size=10 interleave-depth=4 !
 *     wzpencrypt ! wzpquicsink
 * ]| The sending half of a call: blocks of 10 frames, four interleaved.
 * |[
 * gst-launch-1.0 audiotestsrc ! opusenc frame-size=40 ! wzpfecenc window-frames=4
 *     repair-ratio=2.5 ! identity drop-probability=0.5 ! wzpfecdec ! opusdec ! autoaudiosink
 * ]| A sliding window instead of blocks: every frame is followed by its repair
 * over the last four frames, so a lost frame is back within a frame or two
 * (docs/fec-window.md).
 *
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=15/1 !
 *     wzpsvtav1enc bitrate=300 ! wzpfecenc repair-ratio=1.0 keyframe-repair-ratio=1.5 !
 *     wzpencrypt key-file=call.key ! wzpquicsink
 * ]| The sending half of a video call. Video frames are larger than a
 * datagram, so each is a block of its own, split over symbols of up to
 * 1024 bytes and followed at once by its repair; keyframes (buffers without
 * GST_BUFFER_FLAG_DELTA_UNIT) get `keyframe-repair-ratio`. `block-size`,
 * `interleave-depth`, `pace-repair` and `max-block-time` do not apply to
 * video (docs/fec-blocks.md, "Video: a frame is a block").
 *
 * The application tells the peer how the opposite direction is doing by
 * setting `quality-report` (what its own receiving side observes); the
 * report rides in the headers of a burst of packets after each update and
 * once a second of media after that (docs/quality.md).
 *
 * A group also closes by itself when the frame that would close it by time
 * does not come (end of a talk spurt, DTX, a stalled source): a srcpad task
 * waits on the pipeline clock until `max-block-time` plus one frame after the
 * group's first frame, then sends the repair of what the group holds. New
 * input caps (a codec switch) close the open group first, so no block mixes
 * codecs.
 */
#include <algorithm>
#include <mutex>
#include <utility>

#include "gstwzpfecenc_private.hpp"
#include "plugins/gstwzp/wzpmeta.h"

GST_DEBUG_CATEGORY(wzp_fec_enc_debug);
#define GST_CAT_DEFAULT wzp_fec_enc_debug

using namespace wzp::fec_enc_element;

namespace {

GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                                                            GST_STATIC_CAPS(WZP_PACKET_CAPS_NAME));

// Collects the packets one call produces, to push after the state lock is
// released, adding the quality report to those the schedule picks.
struct BufferListSink : wzp::fec::PacketSink {
  GstBufferList *list = gst_buffer_list_new();
  GstClockTime pts = GST_CLOCK_TIME_NONE;
  wzp::quality::ReportSchedule *reports = nullptr;
  uint32_t clock_rate = 0;
  uint64_t *reports_sent = nullptr;

  void on_packet(std::span<const uint8_t> packet, const wzp::wire::MediaHeader &header) override {
    const wzp::wire::QualityReport *report =
        reports ? reports->for_packet(header.timestamp, clock_rate) : nullptr;
    GstBuffer *buffer = report ? with_report(packet, header, *report)
                               : gst_buffer_new_memdup(packet.data(), packet.size());
    GST_BUFFER_PTS(buffer) = pts;
    wzp_buffer_set_header_meta(buffer, header, report, wzp::wire::full_header_size(report));
    gst_buffer_list_add(list, buffer);
  }

  // The packet with its header rewritten to carry `report` before the payload.
  GstBuffer *with_report(std::span<const uint8_t> packet, const wzp::wire::MediaHeader &header,
                         const wzp::wire::QualityReport &report) {
    auto payload = packet.subspan(wzp::wire::kFullHeaderSize);
    size_t header_size = wzp::wire::full_header_size(true);
    GstBuffer *buffer = gst_buffer_new_allocate(nullptr, header_size + payload.size(), nullptr);
    GstMapInfo map;
    gst_buffer_map(buffer, &map, GST_MAP_WRITE);
    wzp::wire::write_full(header, &report, {map.data, header_size});
    std::copy(payload.begin(), payload.end(), map.data + header_size);
    gst_buffer_unmap(buffer, &map);
    ++*reports_sent;
    return buffer;
  }
};

}  // namespace

G_DEFINE_TYPE(GstWzpFecEnc, gst_wzp_fec_enc, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE(wzpfecenc, "wzpfecenc", GST_RANK_NONE, GST_TYPE_WZP_FEC_ENC);

namespace {

// Applies changed settings to the encoder (from its next block). Called with
// the state lock held.
void sync_settings(GstWzpFecEnc *self) {
  auto *priv = self->priv;
  std::lock_guard settings_guard(priv->settings_lock);
  if (priv->settings.report_changed) {
    priv->settings.report_changed = false;
    priv->reports.set(priv->settings.report);
  }
  if (!priv->settings_changed) return;
  priv->settings_changed = false;
  wzp::fec::EncoderConfig config = priv->settings.config;
  config.media_type = priv->kind.media_type;
  config.codec = priv->settings.codec_id != 0 ? static_cast<uint8_t>(priv->settings.codec_id)
                                              : priv->kind.codec;
  config.max_block_time = wzp::gst::to_media_ticks(priv->settings.max_block_time,
                                                   wzp::wire::media_clock_rate(config.media_type));
  priv->group_max_time = priv->settings.max_block_time;
  if (!priv->encoder.set_config(config)) {
    GST_WARNING_OBJECT(self, "invalid FEC settings ignored");
  }
}

// Points the sink at the report schedule. Called with the state lock held.
void attach_reports(GstWzpFecEncPrivate *priv, BufferListSink &sink) {
  sink.reports = &priv->reports;
  sink.clock_rate = wzp::wire::media_clock_rate(priv->kind.media_type);
  sink.reports_sent = &priv->reports_sent;
}

GstFlowReturn push_packets(GstWzpFecEnc *self, BufferListSink &sink) {
  if (gst_buffer_list_length(sink.list) == 0) {
    gst_buffer_list_unref(sink.list);
    return GST_FLOW_OK;
  }
  return gst_pad_push_list(self->srcpad, sink.list);
}

void clear_deadline(GstWzpFecEncPrivate *priv) {
  priv->deadline = GST_CLOCK_TIME_NONE;
  priv->timer.cancel();
}

// After a frame: a group it opened gets its deadline, one frame after the
// time a frame closing it by max-block-time would have arrived. Called with
// the state lock held.
void update_deadline(GstWzpFecEncPrivate *priv, GstBuffer *frame) {
  GstClockTime pts = GST_BUFFER_PTS(frame);
  GstClockTime previous = std::exchange(priv->last_pts, pts);
  // Paced repair held after a group closed goes out on the same deadline if
  // no frame comes to carry it (the sender went quiet).
  bool holds_repair = !priv->encoder.group_open() && priv->encoder.paced_repair() > 0;
  if (!priv->encoder.group_open() && !holds_repair) {
    // The group closed: the task's wait for its deadline runs out and finds
    // nothing to do. Ending it now would wake the task twice per group.
    priv->deadline = GST_CLOCK_TIME_NONE;
    return;
  }
  if (priv->group_max_time == 0 || !GST_CLOCK_TIME_IS_VALID(pts)) {
    clear_deadline(priv);
    return;
  }
  // The open group already has its deadline.
  if (!holds_repair && priv->encoder.group_frames() != 1) return;
  GstClockTime running = gst_segment_to_running_time(&priv->segment, GST_FORMAT_TIME, pts);
  if (!GST_CLOCK_TIME_IS_VALID(running)) {
    clear_deadline(priv);
    return;
  }
  GstClockTime frame_time = GST_BUFFER_DURATION(frame);
  if (!GST_CLOCK_TIME_IS_VALID(frame_time)) {
    frame_time = GST_CLOCK_TIME_IS_VALID(previous) && pts > previous ? pts - previous : 0;
  }
  priv->deadline = running + priv->group_max_time + frame_time;
  ++priv->deadline_serial;
  // A wait for an earlier deadline (the last group's) wakes the task to
  // look again anyway.
  priv->timer.cancel_if_later(priv->deadline);
  priv->wake.notify_one();
}

// Closes the open group if its deadline is still `deadline` (no frame or
// event closed it meanwhile) and sends its repair.
void close_due_group(GstWzpFecEnc *self, GstClockTime deadline, uint64_t serial) {
  auto *priv = self->priv;
  std::lock_guard output(priv->output_lock);
  BufferListSink sink;
  {
    std::lock_guard guard(priv->state_lock);
    if (priv->flushing || priv->deadline != deadline || priv->deadline_serial != serial) {
      gst_buffer_list_unref(sink.list);
      return;
    }
    priv->deadline = GST_CLOCK_TIME_NONE;
    sink.pts = priv->last_pts;
    attach_reports(priv, sink);
    priv->encoder.flush(sink);
    ++priv->deadline_closes;
  }
  GST_LOG_OBJECT(self, "group closed at its deadline %" GST_TIME_FORMAT, GST_TIME_ARGS(deadline));
  GstFlowReturn ret = push_packets(self, sink);
  if (ret != GST_FLOW_OK) GST_DEBUG_OBJECT(self, "repair push: %s", gst_flow_get_name(ret));
}

// The srcpad task: waits on the clock for the open group's deadline.
void deadline_loop(gpointer data) {
  auto *self = GST_WZP_FEC_ENC(data);
  auto *priv = self->priv;
  std::unique_lock lock(priv->state_lock);
  while (!priv->flushing && priv->deadline == GST_CLOCK_TIME_NONE) priv->wake.wait(lock);
  if (priv->flushing) {
    lock.unlock();
    gst_pad_pause_task(self->srcpad);
    return;
  }
  GstClockTime deadline = priv->deadline;
  uint64_t serial = priv->deadline_serial;
  GstClockReturn waited = priv->timer.wait(GST_ELEMENT(self), deadline, lock);
  if (waited == GST_CLOCK_BADTIME) {
    priv->wake.wait(lock);  // no clock yet: until the next deadline or state change
    return;
  }
  if (waited != GST_CLOCK_OK && waited != GST_CLOCK_EARLY) return;  // cancelled: look again
  if (priv->deadline != deadline || priv->deadline_serial != serial) return;  // a closed group's
  lock.unlock();
  close_due_group(self, deadline, serial);
}

void start_deadline_task(GstWzpFecEnc *self) {
  {
    std::lock_guard guard(self->priv->state_lock);
    self->priv->flushing = false;
  }
  gst_pad_start_task(self->srcpad, deadline_loop, self, nullptr);
}

void stop_deadline_task(GstWzpFecEnc *self) {
  {
    std::lock_guard guard(self->priv->state_lock);
    self->priv->flushing = true;
    clear_deadline(self->priv);
    self->priv->wake.notify_one();
  }
  gst_pad_stop_task(self->srcpad);
}

gboolean gst_wzp_fec_enc_src_activate_mode(GstPad *, GstObject *parent, GstPadMode mode,
                                           gboolean active) {
  if (mode != GST_PAD_MODE_PUSH) return FALSE;
  auto *self = GST_WZP_FEC_ENC(parent);
  if (active) {
    start_deadline_task(self);
  } else {
    stop_deadline_task(self);
  }
  return TRUE;
}

GstFlowReturn gst_wzp_fec_enc_chain(GstPad *, GstObject *parent, GstBuffer *buffer) {
  auto *self = GST_WZP_FEC_ENC(parent);
  auto *priv = self->priv;
  std::lock_guard output(priv->output_lock);
  BufferListSink sink;
  sink.pts = GST_BUFFER_PTS(buffer);
  {
    std::lock_guard guard(priv->state_lock);
    sync_settings(self);
    attach_reports(priv, sink);
    uint32_t rate = wzp::wire::media_clock_rate(priv->kind.media_type);
    GstClockTime pts = GST_BUFFER_PTS_IS_VALID(buffer) ? GST_BUFFER_PTS(buffer) : 0;
    uint32_t ticks = wzp::gst::to_media_ticks(pts, rate);
    bool keyframe = priv->kind.media_type == wzp::wire::MediaType::kVideo &&
                    !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
    GstMapInfo map;
    if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) {
      gst_buffer_unref(buffer);
      gst_buffer_list_unref(sink.list);
      GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not map the input buffer"), (nullptr));
      return GST_FLOW_ERROR;
    }
    auto result =
        priv->encoder.push({std::span<const uint8_t>(map.data, map.size), ticks, keyframe}, sink);
    gst_buffer_unmap(buffer, &map);
    if (result == wzp::fec::FrameEncoder::Result::kOversize) {
      GST_WARNING_OBJECT(self, "dropped a %" G_GSIZE_FORMAT "-byte frame: too large for a block",
                         gst_buffer_get_size(buffer));
    }
    update_deadline(priv, buffer);
  }
  gst_buffer_unref(buffer);
  return push_packets(self, sink);
}

gboolean gst_wzp_fec_enc_sink_event(GstPad *pad, GstObject *parent, GstEvent *event) {
  auto *self = GST_WZP_FEC_ENC(parent);
  auto *priv = self->priv;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS: {
      GstCaps *caps;
      gst_event_parse_caps(event, &caps);
      std::lock_guard output(priv->output_lock);
      BufferListSink sink;
      sink.pts = GST_CLOCK_TIME_NONE;
      {
        std::lock_guard guard(priv->state_lock);
        auto kind = wzp::gst::stream_kind_from_caps(caps);
        if (kind.media_type != priv->kind.media_type || kind.codec != priv->kind.codec) {
          // A block's frames share one codec id: the open group ends here.
          sink.pts = priv->last_pts;
          attach_reports(priv, sink);
          priv->encoder.flush(sink);
          clear_deadline(priv);
        }
        priv->kind = kind;
        std::lock_guard settings_guard(priv->settings_lock);
        priv->settings_changed = true;
      }
      push_packets(self, sink);
      GST_INFO_OBJECT(self, "input caps %" GST_PTR_FORMAT, caps);
      gst_event_unref(event);
      GstCaps *packet_caps = gst_caps_new_empty_simple(WZP_PACKET_CAPS_NAME);
      gboolean ok = gst_pad_push_event(self->srcpad, gst_event_new_caps(packet_caps));
      gst_caps_unref(packet_caps);
      return ok;
    }
    case GST_EVENT_GAP: {
      // Silence (e.g. DTX): a block waiting for frames may be due.
      GstClockTime timestamp;
      gst_event_parse_gap(event, &timestamp, nullptr);
      std::lock_guard output(priv->output_lock);
      BufferListSink sink;
      sink.pts = timestamp;
      {
        std::lock_guard guard(priv->state_lock);
        attach_reports(priv, sink);
        uint32_t rate = wzp::wire::media_clock_rate(priv->kind.media_type);
        priv->encoder.poll(wzp::gst::to_media_ticks(timestamp, rate), sink);
        if (!priv->encoder.group_open()) clear_deadline(priv);
      }
      push_packets(self, sink);
      return gst_pad_event_default(pad, parent, event);
    }
    case GST_EVENT_EOS: {
      std::lock_guard output(priv->output_lock);
      BufferListSink sink;
      {
        std::lock_guard guard(priv->state_lock);
        attach_reports(priv, sink);
        priv->encoder.flush(sink);
        clear_deadline(priv);
      }
      push_packets(self, sink);
      return gst_pad_event_default(pad, parent, event);
    }
    case GST_EVENT_SEGMENT: {
      const GstSegment *segment;
      gst_event_parse_segment(event, &segment);
      if (segment->format == GST_FORMAT_TIME) {
        std::lock_guard guard(priv->state_lock);
        gst_segment_copy_into(segment, &priv->segment);
      }
      return gst_pad_event_default(pad, parent, event);
    }
    case GST_EVENT_FLUSH_START: {
      gboolean ok = gst_pad_event_default(pad, parent, event);
      stop_deadline_task(self);
      return ok;
    }
    case GST_EVENT_FLUSH_STOP: {
      gboolean ok = gst_pad_event_default(pad, parent, event);
      start_deadline_task(self);
      return ok;
    }
    default:
      return gst_pad_event_default(pad, parent, event);
  }
}

void gst_wzp_fec_enc_finalize(GObject *object) {
  delete GST_WZP_FEC_ENC(object)->priv;
  G_OBJECT_CLASS(gst_wzp_fec_enc_parent_class)->finalize(object);
}

}  // namespace

static void gst_wzp_fec_enc_init(GstWzpFecEnc *self) {
  self->priv = new GstWzpFecEncPrivate;
  gst_segment_init(&self->priv->segment, GST_FORMAT_TIME);
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, gst_wzp_fec_enc_chain);
  gst_pad_set_event_function(self->sinkpad, gst_wzp_fec_enc_sink_event);
  GST_PAD_SET_PROXY_ALLOCATION(self->sinkpad);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_activatemode_function(self->srcpad, gst_wzp_fec_enc_src_activate_mode);
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_wzp_fec_enc_class_init(GstWzpFecEncClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = gst_wzp_fec_enc_finalize;

  install_properties(gobject_class);
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "wzp FEC encoder", "Codec/Encoder/Network",
      "Protects encoded frames with interleaved RaptorQ blocks as wzp packets. Example: "
      "gst-launch-1.0 audiotestsrc ! opusenc frame-size=20 ! wzpfecenc ! wzpfecdec ! opusdec ! "
      "autoaudiosink",
      WZP_AUTHOR);
  GST_DEBUG_CATEGORY_INIT(wzp_fec_enc_debug, "wzpfecenc", 0, "wzp RaptorQ FEC encoder");
}
