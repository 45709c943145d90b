/**
 * SECTION:element-wzpquicsink
 * @title: wzpquicsink
 *
 * Sends each application/x-wzp buffer (one wire packet) as one QUIC DATAGRAM
 * (RFC 9221) over a TLS 1.3 connection built on ngtcp2. Packets that wait
 * longer than #GstWzpQuicSink:max-queue-time for congestion-window room are
 * dropped: late media is worthless. A wzpquicsrc with the same connection
 * settings in the same pipeline or application shares the connection through
 * a "wzp.quic.link" GstContext, so a call is one connection both ways.
 * A link the application offers through that context (quic::Link::over, as
 * `wzp call` does to put media on its signaling connection) is used whatever
 * role, address or TLS settings the element has.
 *
 * A keyframe request from the peer (docs/PROTOCOL.md, "Keyframe requests":
 * its decoder lost a reference frame) for the video stream this sink sends
 * goes upstream as a force-key-unit event, which `wzpsvtav1enc` answers
 * with a keyframe; copies of one request act once, and requests are acted
 * on at most every 250 ms. The request is looked at as each packet leaves.
 * `stats` adds `keyframe-requests-answered` (sent on to the encoder) and
 * `keyframe-requests-ignored` (too soon after the last, or for another
 * stream; copies are neither) to the link's counts.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 wzpquicsrc role=server bind-port=4433 certificate-file=cert.pem \
 *     private-key-file=key.pem ! fakesink
 * gst-launch-1.0 audiotestsrc is-live=true ! opusenc frame-size=20 ! wzpfecenc ! \
 *     wzpquicsink role=client address=127.0.0.1 port=4433 server-fingerprint=ab:cd:...
 * ]| The first receives on UDP port 4433, the second dials it and pins the
 * server certificate by its SHA-256 fingerprint (see pipelines/quic-*.sh).
 */
#include "plugins/wzpquicsink/gstwzpquicsink.h"

#include <gst/video/video.h>

#include <atomic>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "libwzp/wire/keyframe_request.hpp"
#include "plugins/gstwzp/wzpmeta.h"
#include "plugins/gstwzp/wzpquiclink.h"

GST_DEBUG_CATEGORY_STATIC(gst_wzp_quic_sink_debug);
#define GST_CAT_DEFAULT gst_wzp_quic_sink_debug

namespace {

enum { PROP_CONNECTED = WZP_QUIC_LINK_PROP_LAST };

// A sender makes a keyframe at most this often for the peer's requests.
constexpr int64_t kKeyframeInterval = 250 * GST_MSECOND;

// The video this sink sends and the peer's keyframe requests for it
// (streaming thread only, but for the counts `stats` reads).
struct VideoState {
  bool sending = false;  // a video packet has left
  uint32_t stream_id = 0;
  wzp::wire::KeyframeRequestFilter filter{kKeyframeInterval};
  std::atomic<uint64_t> answered{0};  // requests sent on to the encoder
  std::atomic<uint64_t> ignored{0};   // too soon after the last, or for another stream
};

// A buffer list's packets, mapped to go to the link at once (streaming
// thread only; kept to allocate nothing per list).
struct ListState {
  std::vector<std::pair<GstBuffer *, GstMapInfo>> maps;
  std::vector<std::span<const uint8_t>> packets;
};

}  // namespace

struct _GstWzpQuicSink {
  GstBaseSink parent;
  WzpQuicLinkState *impl;
  VideoState *video;
  ListState *list;
};

G_DEFINE_TYPE(GstWzpQuicSink, gst_wzp_quic_sink, GST_TYPE_BASE_SINK)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(WZP_PACKET_CAPS_NAME));

static WzpQuicLinkState *impl_of(gpointer object) { return GST_WZP_QUIC_SINK(object)->impl; }

static void gst_wzp_quic_sink_set_property(GObject *object, guint id, const GValue *value,
                                           GParamSpec *pspec) {
  if (!wzp_quic_link_set_property(*impl_of(object), id, value)) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void gst_wzp_quic_sink_get_property(GObject *object, guint id, GValue *value,
                                           GParamSpec *pspec) {
  if (id == PROP_CONNECTED) {
    std::shared_ptr<wzp::quic::Link> link = impl_of(object)->current_link();
    g_value_set_boolean(value, link && link->established());
    return;
  }
  if (id == WZP_QUIC_LINK_PROP_STATS) {
    // The link's counts, and what this sink did with the peer's requests.
    const VideoState &video = *GST_WZP_QUIC_SINK(object)->video;
    GstStructure *stats = wzp_quic_link_stats(impl_of(object)->current_link());
    gst_structure_set(stats, "keyframe-requests-answered", G_TYPE_UINT64, video.answered.load(),
                      "keyframe-requests-ignored", G_TYPE_UINT64, video.ignored.load(), nullptr);
    g_value_take_boxed(value, stats);
    return;
  }
  if (!wzp_quic_link_get_property(*impl_of(object), id, value)) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void gst_wzp_quic_sink_set_context(GstElement *element, GstContext *context) {
  wzp_quic_link_set_context(*impl_of(element), context);
  GST_ELEMENT_CLASS(gst_wzp_quic_sink_parent_class)->set_context(element, context);
}

static gboolean gst_wzp_quic_sink_start(GstBaseSink *base) {
  std::string error;
  if (!wzp_quic_link_start(GST_ELEMENT(base), GST_CAT_DEFAULT, *impl_of(base), error)) {
    GST_ELEMENT_ERROR(base, RESOURCE, OPEN_WRITE, ("Cannot open the QUIC transport"),
                      ("%s", error.c_str()));
    return FALSE;
  }
  return TRUE;
}

static gboolean gst_wzp_quic_sink_stop(GstBaseSink *base) {
  wzp_quic_link_stop(GST_ELEMENT(base), GST_CAT_DEFAULT, *impl_of(base));
  return TRUE;
}

// Sends the encoder upstream a force-key-unit event for a keyframe request
// the peer made for the video stream this sink sends.
static void answer_keyframe_request(GstWzpQuicSink *self, wzp::quic::Link &link,
                                    std::span<const uint8_t> packet) {
  VideoState &video = *self->video;
  wzp::wire::PacketView view;
  if (wzp::wire::parse_full(packet, view) == wzp::wire::WireError::kOk &&
      view.header.media_type == wzp::wire::MediaType::kVideo) {
    video.sending = true;
    video.stream_id = view.header.stream_id;
  }
  // A sink sending no video leaves the request to the one that does: a
  // call's audio and video sinks share the link.
  if (!video.sending) return;
  std::optional<wzp::wire::KeyframeRequest> request = link.take_keyframe_request();
  if (!request) return;
  if (!video.filter.accept(*request, video.stream_id, g_get_monotonic_time() * 1000)) {
    video.ignored = video.filter.ignored();
    GST_DEBUG_OBJECT(self, "keyframe request %u ignored (a copy, too soon, or another stream)",
                     request->number);
    return;
  }
  ++video.answered;
  GST_INFO_OBJECT(self, "keyframe request %u from the peer: asking the encoder", request->number);
  gst_pad_push_event(GST_BASE_SINK_PAD(self),
                     gst_video_event_new_upstream_force_key_unit(
                         GST_CLOCK_TIME_NONE, TRUE, static_cast<guint>(video.answered.load())));
}

// The link to send on, or why not.
static GstFlowReturn usable_link(GstBaseSink *base, std::shared_ptr<wzp::quic::Link> &link) {
  link = impl_of(base)->current_link();
  if (!link) return GST_FLOW_FLUSHING;
  std::string error = link->error();
  if (!error.empty()) {
    GST_ELEMENT_ERROR(base, RESOURCE, WRITE, ("QUIC connection failed"), ("%s", error.c_str()));
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

static GstFlowReturn gst_wzp_quic_sink_render(GstBaseSink *base, GstBuffer *buffer) {
  std::shared_ptr<wzp::quic::Link> link;
  if (GstFlowReturn ret = usable_link(base, link); ret != GST_FLOW_OK) return ret;
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return GST_FLOW_ERROR;
  answer_keyframe_request(GST_WZP_QUIC_SINK(base), *link, {map.data, map.size});
  if (!link->send({map.data, map.size})) {
    GST_LOG_OBJECT(base, "dropped a %" G_GSIZE_FORMAT "-byte packet", map.size);
  }
  gst_buffer_unmap(buffer, &map);
  return GST_FLOW_OK;
}

// A list (a frame and its repair, from wzpfecenc) goes to the link in one
// call, which wakes its I/O thread once instead of once per packet.
static GstFlowReturn gst_wzp_quic_sink_render_list(GstBaseSink *base, GstBufferList *buffers) {
  std::shared_ptr<wzp::quic::Link> link;
  if (GstFlowReturn ret = usable_link(base, link); ret != GST_FLOW_OK) return ret;
  ListState &list = *GST_WZP_QUIC_SINK(base)->list;
  list.maps.clear();
  list.packets.clear();
  const guint length = gst_buffer_list_length(buffers);
  for (guint i = 0; i < length; ++i) {
    GstBuffer *buffer = gst_buffer_list_get(buffers, i);
    GstMapInfo map;
    if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) continue;
    list.maps.emplace_back(buffer, map);
    list.packets.emplace_back(map.data, map.size);
    answer_keyframe_request(GST_WZP_QUIC_SINK(base), *link, list.packets.back());
  }
  const size_t sent = link->send(std::span<const std::span<const uint8_t>>(list.packets));
  if (sent < list.packets.size()) {
    GST_LOG_OBJECT(base, "dropped %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " packets",
                   list.packets.size() - sent, list.packets.size());
  }
  for (auto &[buffer, map] : list.maps) gst_buffer_unmap(buffer, &map);
  return GST_FLOW_OK;
}

// At EOS the packets still queued (or waiting for the handshake) are sent
// before the pipeline may shut the connection down.
static gboolean gst_wzp_quic_sink_event(GstBaseSink *base, GstEvent *event) {
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) {
    std::shared_ptr<wzp::quic::Link> link = impl_of(base)->current_link();
    if (link) {
      link->drain(link->config().idle_timeout);
      std::string error = link->error();
      if (!error.empty()) {
        GST_ELEMENT_ERROR(base, RESOURCE, WRITE, ("QUIC connection failed"), ("%s", error.c_str()));
      }
    }
  }
  return GST_BASE_SINK_CLASS(gst_wzp_quic_sink_parent_class)->event(base, event);
}

static void gst_wzp_quic_sink_finalize(GObject *object) {
  delete impl_of(object);
  delete GST_WZP_QUIC_SINK(object)->video;
  delete GST_WZP_QUIC_SINK(object)->list;
  G_OBJECT_CLASS(gst_wzp_quic_sink_parent_class)->finalize(object);
}

static void gst_wzp_quic_sink_init(GstWzpQuicSink *self) {
  self->impl = new WzpQuicLinkState();
  self->video = new VideoState();
  self->list = new ListState();
  // Packets leave as they come: a live call has nothing to preroll, and a
  // sink waiting for preroll would stall a pipeline whose other branch is a
  // live wzpquicsrc.
  gst_base_sink_set_sync(GST_BASE_SINK(self), FALSE);
  gst_base_sink_set_async_enabled(GST_BASE_SINK(self), FALSE);
}

static void gst_wzp_quic_sink_class_init(GstWzpQuicSinkClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseSinkClass *base_class = GST_BASE_SINK_CLASS(klass);
  gobject_class->set_property = gst_wzp_quic_sink_set_property;
  gobject_class->get_property = gst_wzp_quic_sink_get_property;
  gobject_class->finalize = gst_wzp_quic_sink_finalize;
  element_class->set_context = gst_wzp_quic_sink_set_context;
  base_class->start = gst_wzp_quic_sink_start;
  base_class->stop = gst_wzp_quic_sink_stop;
  base_class->render = gst_wzp_quic_sink_render;
  base_class->render_list = gst_wzp_quic_sink_render_list;
  base_class->event = gst_wzp_quic_sink_event;

  wzp_quic_link_install_properties(gobject_class, "GstWzpQuicSink");
  g_object_class_install_property(
      gobject_class, PROP_CONNECTED,
      g_param_spec_boolean("connected", "Connected",
                           "Whether the QUIC handshake has finished, so datagrams can flow (an "
                           "application may wait for it before starting media)",
                           FALSE,
                           static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(
      element_class, "wzp QUIC datagram sink", "Sink/Network",
      "Sends wzp packets as QUIC DATAGRAM frames over one TLS 1.3 connection. Example: "
      "gst-launch-1.0 audiotestsrc is-live=true ! opusenc frame-size=20 ! wzpfecenc ! "
      "wzpquicsink role=client address=127.0.0.1 port=4433 server-fingerprint=<sha256> "
      "(pipelines/quic-send.sh)",
      WZP_AUTHOR);
  GST_DEBUG_CATEGORY_INIT(gst_wzp_quic_sink_debug, "wzpquicsink", 0, "wzp QUIC datagram sink");
}

static gboolean plugin_init(GstPlugin *plugin) {
  return gst_element_register(plugin, "wzpquicsink", GST_RANK_NONE, GST_TYPE_WZP_QUIC_SINK);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, wzpquicsink,
                  "QUIC DATAGRAM sink for wzp packets", plugin_init, VERSION, GST_LICENSE,
                  GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
