/**
 * SECTION:element-wzpdemux
 * @title: wzpdemux
 * @see_also: wzpquicsrc, wzpfecdec, wzpjitterbuffer, audiomixer
 *
 * Splits the wzp packets of a room (application/x-wzp, one packet per
 * buffer, as wzpquicsrc receives them) by the stream id in their header:
 * each participant's stream leaves on its own sometimes pad `src_<id>`,
 * created on the stream's first packet and announced with pad-added, the
 * way rtpssrcdemux splits RTP by SSRC. Each new pad starts with its own
 * stream-start, the packet caps and the upstream segment.
 *
 * A stream that sends nothing for `stream-timeout` of running time gets an
 * EOS on its pad and the pad is removed (pad-removed), so the branch of a
 * participant who left can be torn down; the application, which learns
 * from signaling who left, can do the same at once with the `remove-stream`
 * action signal, or drop every stream with `clear`. Streams are checked for
 * timeout as packets arrive and, on a clock, at the earliest possible expiry
 * (from the element's thread pool), so they time out even when nothing at
 * all arrives any more.
 *
 * Packets whose header does not parse are dropped and counted; so are the
 * packets of new streams beyond `max-streams`, which bounds the memory a
 * flood of made-up stream ids can take.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 wzpquicsrc address=0.0.0.0 port=4433 ! wzpdemux name=d \
 *     d.src_1 ! wzpdecrypt ! wzpfecdec ! wzpjitterbuffer ! opusdec plc=true ! mix. \
 *     d.src_2 ! wzpdecrypt ! wzpfecdec ! wzpjitterbuffer ! opusdec plc=true ! mix. \
 *     audiomixer name=mix ! autoaudiosink
 * ]| A room member with two known participants (stream ids 1 and 2); an
 * application links the branches in a pad-added handler instead
 * (pipelines/room-member.sh, docs/rooms.md).
 */
#include "plugins/wzpdemux/gstwzpdemux.h"

#include <gst/base/gstflowcombiner.h>

#include <map>
#include <mutex>
#include <optional>

#include "plugins/gstwzp/wzpmeta.h"

GST_DEBUG_CATEGORY_STATIC(wzp_demux_debug);
#define GST_CAT_DEFAULT wzp_demux_debug

namespace {

enum { PROP_0, PROP_STREAM_TIMEOUT, PROP_MAX_STREAMS, PROP_STATS };
enum { SIGNAL_REMOVE_STREAM, SIGNAL_CLEAR, LAST_SIGNAL };
guint signals[LAST_SIGNAL];

constexpr guint64 kDefaultStreamTimeout = 10 * GST_SECOND;
constexpr guint kDefaultMaxStreams = 64;
constexpr guint kMaxMaxStreams = 4096;

GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                                                             GST_STATIC_CAPS(WZP_PACKET_CAPS_NAME));
GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src_%u", GST_PAD_SRC, GST_PAD_SOMETIMES, GST_STATIC_CAPS(WZP_PACKET_CAPS_NAME));

struct Settings {
  guint64 stream_timeout = kDefaultStreamTimeout;
  guint max_streams = kDefaultMaxStreams;
};

struct Stream {
  GstPad *pad = nullptr;
  GstClockTime last_seen = GST_CLOCK_TIME_NONE;
};

struct Stats {
  guint64 packets = 0;
  guint64 streams_created = 0;
  guint64 streams_removed = 0;
  guint64 streams_timed_out = 0;
  guint64 dropped_malformed = 0;
  guint64 dropped_over_limit = 0;
};

}  // namespace

// Streams are added and removed only while the sink pad's stream lock is
// held (the chain function holds it; the action signals take it), so a pad
// is never removed while a packet is being pushed on it. state_lock guards
// the map and counters for readers such as the stats property.
struct GstWzpDemuxPrivate {
  std::mutex settings_lock;
  Settings settings;

  std::mutex state_lock;
  std::map<uint32_t, Stream> streams;
  Stats stats;
  GstSegment segment;
  guint group_id = 0;
  GstFlowCombiner *flow_combiner = gst_flow_combiner_new();
  // A single-shot wake-up at the earliest possible expiry, so streams time
  // out even when no packet arrives at all.
  GstClockID expiry_wakeup = nullptr;
};

struct _GstWzpDemux {
  GstElement parent;
  GstPad *sinkpad;
  GstWzpDemuxPrivate *priv;
};

G_DEFINE_TYPE(GstWzpDemux, gst_wzp_demux, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE(wzpdemux, "wzpdemux", GST_RANK_NONE, GST_TYPE_WZP_DEMUX);

namespace {

// The stream id from the header meta, or from the packet itself when no
// element before us attached one.
bool read_stream_id(GstBuffer *buffer, uint32_t &stream_id) {
  if (const WzpHeaderMeta *meta = wzp_buffer_get_header_meta(buffer)) {
    stream_id = meta->header.stream_id;
    return true;
  }
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return false;
  wzp::wire::PacketView view;
  wzp::wire::WireError error = wzp::wire::parse_full({map.data, map.size}, view);
  gst_buffer_unmap(buffer, &map);
  if (error != wzp::wire::WireError::kOk) {
    GST_LOG("dropping a packet: %s", wzp::wire::to_string(error));
    return false;
  }
  stream_id = view.header.stream_id;
  return true;
}

// "Now" in running time: the clock's when the element runs on one (a live
// room), else the packet's own running time (none without a packet).
GstClockTime running_time_now(GstWzpDemux *self, GstBuffer *buffer) {
  GstClock *clock = gst_element_get_clock(GST_ELEMENT(self));
  if (clock != nullptr) {
    GstClockTime now = gst_clock_get_time(clock);
    gst_object_unref(clock);
    GstClockTime base = gst_element_get_base_time(GST_ELEMENT(self));
    if (GST_CLOCK_TIME_IS_VALID(now) && GST_CLOCK_TIME_IS_VALID(base) && now >= base) {
      return now - base;
    }
  }
  if (buffer == nullptr) return GST_CLOCK_TIME_NONE;
  GstClockTime ts =
      GST_BUFFER_PTS_IS_VALID(buffer) ? GST_BUFFER_PTS(buffer) : GST_BUFFER_DTS(buffer);
  std::lock_guard guard(self->priv->state_lock);
  return gst_segment_to_running_time(&self->priv->segment, GST_FORMAT_TIME, ts);
}

GstEvent *make_stream_start(GstWzpDemux *self, GstPad *pad, uint32_t stream_id) {
  gchar *id = gst_pad_create_stream_id_printf(pad, GST_ELEMENT(self), "%08x", stream_id);
  GstEvent *event = gst_event_new_stream_start(id);
  g_free(id);
  guint group_id = 0;
  GstEvent *upstream = gst_pad_get_sticky_event(self->sinkpad, GST_EVENT_STREAM_START, 0);
  if (upstream != nullptr) {
    gst_event_parse_group_id(upstream, &group_id);
    gst_event_unref(upstream);
  }
  if (group_id == 0) {
    std::lock_guard guard(self->priv->state_lock);
    if (self->priv->group_id == 0) self->priv->group_id = gst_util_group_id_next();
    group_id = self->priv->group_id;
  }
  gst_event_set_group_id(event, group_id);
  return event;
}

// A new pad for a stream, with its sticky events stored so they go out
// before its first packet. Called with the sink stream lock held; returns a
// ref for the caller beside the element's.
GstPad *add_stream_pad(GstWzpDemux *self, uint32_t stream_id) {
  gchar *name = g_strdup_printf("src_%u", stream_id);
  GstPad *pad = gst_pad_new_from_static_template(&src_template, name);
  g_free(name);
  gst_pad_use_fixed_caps(pad);
  gst_pad_set_active(pad, TRUE);

  gst_pad_store_sticky_event(pad, make_stream_start(self, pad, stream_id));
  GstCaps *caps = gst_pad_get_current_caps(self->sinkpad);
  if (caps == nullptr) caps = gst_caps_new_empty_simple(WZP_PACKET_CAPS_NAME);
  GstEvent *event = gst_event_new_caps(caps);
  gst_pad_store_sticky_event(pad, event);
  gst_event_unref(event);
  gst_caps_unref(caps);
  event = gst_pad_get_sticky_event(self->sinkpad, GST_EVENT_SEGMENT, 0);
  if (event == nullptr) {
    GstSegment segment;
    gst_segment_init(&segment, GST_FORMAT_TIME);
    event = gst_event_new_segment(&segment);
  }
  gst_pad_store_sticky_event(pad, event);
  gst_event_unref(event);

  gst_flow_combiner_add_pad(self->priv->flow_combiner, pad);
  GST_INFO_OBJECT(self, "new stream %u", stream_id);
  gst_element_add_pad(GST_ELEMENT(self), pad);
  return GST_PAD(gst_object_ref(pad));
}

// Ends a stream's pad and removes it. Called with the sink stream lock held
// and the stream already out of the map; takes over the map's pad ref.
void remove_stream_pad(GstWzpDemux *self, GstPad *pad) {
  GST_INFO_OBJECT(self, "removing %s:%s", GST_DEBUG_PAD_NAME(pad));
  gst_pad_push_event(pad, gst_event_new_eos());
  gst_flow_combiner_remove_pad(self->priv->flow_combiner, pad);
  gst_pad_set_active(pad, FALSE);
  gst_element_remove_pad(GST_ELEMENT(self), pad);
  gst_object_unref(pad);
}

// Takes one stream out of the map by id, or any stream if `all`.
GstPad *take_stream(GstWzpDemuxPrivate *priv, uint32_t stream_id, bool all) {
  std::lock_guard guard(priv->state_lock);
  auto it = all ? priv->streams.begin() : priv->streams.find(stream_id);
  if (it == priv->streams.end()) return nullptr;
  GstPad *pad = it->second.pad;
  priv->streams.erase(it);
  ++priv->stats.streams_removed;
  return pad;
}

// Takes out one stream (other than `current`) silent for longer than the timeout.
GstPad *take_expired_stream(GstWzpDemuxPrivate *priv, GstClockTime now, guint64 timeout,
                            std::optional<uint32_t> current) {
  std::lock_guard guard(priv->state_lock);
  for (auto it = priv->streams.begin(); it != priv->streams.end(); ++it) {
    const Stream &stream = it->second;
    if (it->first == current || !GST_CLOCK_TIME_IS_VALID(stream.last_seen)) continue;
    if (now > stream.last_seen && now - stream.last_seen > timeout) {
      GstPad *pad = stream.pad;
      priv->streams.erase(it);
      ++priv->stats.streams_removed;
      ++priv->stats.streams_timed_out;
      return pad;
    }
  }
  return nullptr;
}

void expire_streams(GstWzpDemux *self, GstClockTime now, std::optional<uint32_t> current) {
  guint64 timeout;
  {
    std::lock_guard guard(self->priv->settings_lock);
    timeout = self->priv->settings.stream_timeout;
  }
  if (timeout == 0 || !GST_CLOCK_TIME_IS_VALID(now)) return;
  while (GstPad *pad = take_expired_stream(self->priv, now, timeout, current)) {
    GST_INFO_OBJECT(self, "%s:%s timed out", GST_DEBUG_PAD_NAME(pad));
    remove_stream_pad(self, pad);
  }
}

bool has_expiry_wakeup(GstWzpDemuxPrivate *priv) {
  std::lock_guard guard(priv->state_lock);
  return priv->expiry_wakeup != nullptr;
}

void cancel_expiry_wakeup(GstWzpDemuxPrivate *priv) {
  std::lock_guard guard(priv->state_lock);
  if (priv->expiry_wakeup == nullptr) return;
  gst_clock_id_unschedule(priv->expiry_wakeup);
  gst_clock_id_unref(priv->expiry_wakeup);
  priv->expiry_wakeup = nullptr;
}

void arm_expiry_wakeup(GstWzpDemux *self);

// Runs from the element's thread pool, not the clock's thread, since it
// takes the streaming lock and may wait for a busy branch.
void expire_on_wakeup(GstElement *element, gpointer) {
  auto *self = GST_WZP_DEMUX(element);
  GST_PAD_STREAM_LOCK(self->sinkpad);
  cancel_expiry_wakeup(self->priv);
  expire_streams(self, running_time_now(self, nullptr), std::nullopt);
  arm_expiry_wakeup(self);
  GST_PAD_STREAM_UNLOCK(self->sinkpad);
}

gboolean on_expiry_wakeup(GstClock *, GstClockTime, GstClockID, gpointer data) {
  gst_element_call_async(GST_ELEMENT(data), expire_on_wakeup, nullptr, nullptr);
  return TRUE;
}

// Arms the wake-up for the stalest stream unless one is pending: streams
// only get fresher, so a pending wake-up is never too late, and packets
// re-arm it at most once per timeout.
void arm_expiry_wakeup(GstWzpDemux *self) {
  auto *priv = self->priv;
  guint64 timeout;
  {
    std::lock_guard guard(priv->settings_lock);
    timeout = priv->settings.stream_timeout;
  }
  GstClock *clock = gst_element_get_clock(GST_ELEMENT(self));
  if (clock == nullptr) return;
  GstClockTime base = gst_element_get_base_time(GST_ELEMENT(self));
  std::lock_guard guard(priv->state_lock);
  GstClockTime stalest = GST_CLOCK_TIME_NONE;
  for (const auto &[stream_id, stream] : priv->streams) {
    if (GST_CLOCK_TIME_IS_VALID(stream.last_seen)) stalest = MIN(stalest, stream.last_seen);
  }
  if (priv->expiry_wakeup == nullptr && timeout != 0 && GST_CLOCK_TIME_IS_VALID(stalest) &&
      GST_CLOCK_TIME_IS_VALID(base)) {
    // Just past the timeout: expiry needs the silence to exceed it.
    priv->expiry_wakeup = gst_clock_new_single_shot_id(clock, base + stalest + timeout + 1);
    gst_clock_id_wait_async(priv->expiry_wakeup, on_expiry_wakeup, gst_object_ref(self),
                            gst_object_unref);
  }
  gst_object_unref(clock);
}

// The pad of a stream, created on its first packet; nullptr (counted) when
// the stream would exceed max-streams. Returns a new ref.
GstPad *stream_pad(GstWzpDemux *self, uint32_t stream_id, GstClockTime now) {
  auto *priv = self->priv;
  guint max_streams;
  {
    std::lock_guard guard(priv->settings_lock);
    max_streams = priv->settings.max_streams;
  }
  {
    std::lock_guard guard(priv->state_lock);
    ++priv->stats.packets;
    auto it = priv->streams.find(stream_id);
    if (it != priv->streams.end()) {
      it->second.last_seen = now;
      return GST_PAD(gst_object_ref(it->second.pad));
    }
    if (priv->streams.size() >= max_streams) {
      ++priv->stats.dropped_over_limit;
      return nullptr;
    }
  }
  GstPad *pad = add_stream_pad(self, stream_id);
  std::lock_guard guard(priv->state_lock);
  priv->streams[stream_id] = Stream{GST_PAD(gst_object_ref(pad)), now};
  ++priv->stats.streams_created;
  return pad;
}

GstStructure *make_stats(GstWzpDemux *self) {
  std::lock_guard guard(self->priv->state_lock);
  const Stats &s = self->priv->stats;
  return gst_structure_new(
      "application/x-wzp-demux-stats", "packets", G_TYPE_UINT64, s.packets, "streams-active",
      G_TYPE_UINT, static_cast<guint>(self->priv->streams.size()), "streams-created", G_TYPE_UINT64,
      s.streams_created, "streams-removed", G_TYPE_UINT64, s.streams_removed, "streams-timed-out",
      G_TYPE_UINT64, s.streams_timed_out, "dropped-malformed", G_TYPE_UINT64, s.dropped_malformed,
      "dropped-over-limit", G_TYPE_UINT64, s.dropped_over_limit, nullptr);
}

GstFlowReturn gst_wzp_demux_chain(GstPad *, GstObject *parent, GstBuffer *buffer) {
  auto *self = GST_WZP_DEMUX(parent);
  uint32_t stream_id = 0;
  if (!read_stream_id(buffer, stream_id)) {
    std::lock_guard guard(self->priv->state_lock);
    ++self->priv->stats.packets;
    ++self->priv->stats.dropped_malformed;
    gst_buffer_unref(buffer);
    return GST_FLOW_OK;
  }
  GstClockTime now = running_time_now(self, buffer);
  expire_streams(self, now, stream_id);
  GstPad *pad = stream_pad(self, stream_id, now);
  if (pad == nullptr) {
    GST_LOG_OBJECT(self, "dropping a packet of stream %u: max-streams reached", stream_id);
    gst_buffer_unref(buffer);
    return GST_FLOW_OK;
  }
  if (!has_expiry_wakeup(self->priv)) arm_expiry_wakeup(self);
  GstFlowReturn ret = gst_pad_push(pad, buffer);
  ret = gst_flow_combiner_update_pad_flow(self->priv->flow_combiner, pad, ret);
  gst_object_unref(pad);
  return ret;
}

gboolean gst_wzp_demux_sink_event(GstPad *pad, GstObject *parent, GstEvent *event) {
  auto *self = GST_WZP_DEMUX(parent);
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_STREAM_START:
      // Every pad has its own stream-start; the upstream one only lends its id and group.
      gst_event_unref(event);
      return TRUE;
    case GST_EVENT_SEGMENT: {
      std::lock_guard guard(self->priv->state_lock);
      gst_event_copy_segment(event, &self->priv->segment);
      break;
    }
    case GST_EVENT_EOS: {
      GstStructure *stats = make_stats(self);
      GST_INFO_OBJECT(self, "end of stream: %" GST_PTR_FORMAT, stats);
      gst_structure_free(stats);
      break;
    }
    case GST_EVENT_FLUSH_STOP:
      gst_flow_combiner_reset(self->priv->flow_combiner);
      break;
    default:
      break;
  }
  return gst_pad_event_default(pad, parent, event);
}

gboolean remove_stream(GstWzpDemux *self, guint stream_id, bool all) {
  GST_PAD_STREAM_LOCK(self->sinkpad);
  gboolean removed = FALSE;
  while (GstPad *pad = take_stream(self->priv, stream_id, all)) {
    remove_stream_pad(self, pad);
    removed = TRUE;
    if (!all) break;
  }
  GST_PAD_STREAM_UNLOCK(self->sinkpad);
  return removed;
}

gboolean gst_wzp_demux_remove_stream(GstWzpDemux *self, guint stream_id) {
  return remove_stream(self, stream_id, false);
}

void gst_wzp_demux_clear(GstWzpDemux *self) { remove_stream(self, 0, true); }

GstStateChangeReturn gst_wzp_demux_change_state(GstElement *element, GstStateChange transition) {
  auto *self = GST_WZP_DEMUX(element);
  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(gst_wzp_demux_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    cancel_expiry_wakeup(self->priv);
    gst_wzp_demux_clear(self);
    cancel_expiry_wakeup(self->priv);  // one a wake-up already running may have re-armed
    std::lock_guard guard(self->priv->state_lock);
    gst_segment_init(&self->priv->segment, GST_FORMAT_TIME);
    self->priv->group_id = 0;
  }
  return ret;
}

void gst_wzp_demux_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec) {
  auto *self = GST_WZP_DEMUX(object);
  std::lock_guard guard(self->priv->settings_lock);
  Settings &s = self->priv->settings;
  switch (id) {
    case PROP_STREAM_TIMEOUT:
      s.stream_timeout = g_value_get_uint64(value);
      break;
    case PROP_MAX_STREAMS:
      s.max_streams = g_value_get_uint(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

void gst_wzp_demux_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec) {
  auto *self = GST_WZP_DEMUX(object);
  if (id == PROP_STATS) {
    g_value_take_boxed(value, make_stats(self));
    return;
  }
  std::lock_guard guard(self->priv->settings_lock);
  switch (id) {
    case PROP_STREAM_TIMEOUT:
      g_value_set_uint64(value, self->priv->settings.stream_timeout);
      break;
    case PROP_MAX_STREAMS:
      g_value_set_uint(value, self->priv->settings.max_streams);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

void gst_wzp_demux_finalize(GObject *object) {
  auto *self = GST_WZP_DEMUX(object);
  for (auto &[stream_id, stream] : self->priv->streams) gst_object_unref(stream.pad);
  gst_flow_combiner_free(self->priv->flow_combiner);
  delete self->priv;
  G_OBJECT_CLASS(gst_wzp_demux_parent_class)->finalize(object);
}

}  // namespace

static void gst_wzp_demux_init(GstWzpDemux *self) {
  self->priv = new GstWzpDemuxPrivate;
  gst_segment_init(&self->priv->segment, GST_FORMAT_TIME);
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, gst_wzp_demux_chain);
  gst_pad_set_event_function(self->sinkpad, gst_wzp_demux_sink_event);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
}

static void gst_wzp_demux_class_init(GstWzpDemuxClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = gst_wzp_demux_set_property;
  gobject_class->get_property = gst_wzp_demux_get_property;
  gobject_class->finalize = gst_wzp_demux_finalize;
  element_class->change_state = gst_wzp_demux_change_state;

  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_STREAM_TIMEOUT,
      g_param_spec_uint64("stream-timeout", "Stream timeout",
                          "Running time (ns) a stream may send nothing before its pad gets EOS "
                          "and is removed. 0 keeps streams forever",
                          0, G_MAXUINT64, kDefaultStreamTimeout, flags));
  g_object_class_install_property(
      gobject_class, PROP_MAX_STREAMS,
      g_param_spec_uint("max-streams", "Maximum streams",
                        "Most streams (source pads) at once; packets of further new streams are "
                        "dropped and counted, which bounds memory under a flood of stream ids",
                        1, kMaxMaxStreams, kDefaultMaxStreams, flags));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "Counters: packets, streams-active, streams-created, streams-removed, "
                         "streams-timed-out, dropped-malformed (header does not parse), "
                         "dropped-over-limit (new stream beyond max-streams)",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  /**
   * GstWzpDemux::remove-stream:
   * @stream_id: the stream to remove
   *
   * Sends EOS on the stream's pad and removes the pad, as when it times
   * out; returns whether the stream existed. A later packet of the same
   * stream makes a new pad.
   */
  signals[SIGNAL_REMOVE_STREAM] =
      g_signal_new_class_handler("remove-stream", G_TYPE_FROM_CLASS(klass),
                                 static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                                 G_CALLBACK(gst_wzp_demux_remove_stream), nullptr, nullptr, nullptr,
                                 G_TYPE_BOOLEAN, 1, G_TYPE_UINT);
  /**
   * GstWzpDemux::clear:
   *
   * Removes every stream's pad, as remove-stream does for one.
   */
  signals[SIGNAL_CLEAR] = g_signal_new_class_handler(
      "clear", G_TYPE_FROM_CLASS(klass),
      static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(gst_wzp_demux_clear), nullptr, nullptr, nullptr, G_TYPE_NONE, 0);

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "wzp stream demuxer", "Demuxer/Network",
      "Splits a room's wzp packets into one source pad per stream id. Example (one "
      "participant's pad): wzpquicsrc role=server bind-port=4433 ! wzpdemux name=d d.src_1 ! "
      "wzpdecrypt key-file=alice.key ! wzpfecdec ! wzpjitterbuffer ! wzpvoicedec ! autoaudiosink",
      WZP_AUTHOR);
  GST_DEBUG_CATEGORY_INIT(wzp_demux_debug, "wzpdemux", 0, "wzp stream demuxer");
}

static gboolean plugin_init(GstPlugin *plugin) { return GST_ELEMENT_REGISTER(wzpdemux, plugin); }

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, wzpdemux,
                  "Splits a wzp room's packets by stream", plugin_init, VERSION, GST_LICENSE,
                  GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
