/**
 * SECTION:element-wzpquicsrc
 * @title: wzpquicsrc
 *
 * A live source that pushes every QUIC DATAGRAM (RFC 9221) received on a
 * TLS 1.3 connection built on ngtcp2 as one application/x-wzp buffer (one
 * wire packet), in order of arrival, timestamped on arrival. A wzpquicsrc
 * with the same connection settings in the same pipeline or application
 * shares the connection through a "wzp.quic.link" GstContext, so a call is
 * one connection both ways. A link the application offers through that
 * context (quic::Link::over, as `wzp call` does to put media on its signaling
 * connection) is used whatever role, address or TLS settings the element has.
 * A peer that closes cleanly ends the stream with
 * EOS; a failed handshake, a vanished peer (idle-timeout) or a refused
 * certificate is an error on the bus.
 *
 * A force-key-unit event from downstream (`wzpdav1ddec` asks for one when a
 * reference frame is lost) is sent to the peer as a keyframe request, a
 * small datagram of its own (docs/PROTOCOL.md, "Keyframe requests") naming
 * the latest video stream received, three copies of it, at most one request
 * per 100 ms; the peer's wzpquicsink hands it to its encoder. `stats`
 * counts `keyframe-requests-sent` and `keyframe-requests-received`.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 wzpquicsrc role=server bind-port=4433 certificate-file=cert.pem \
 *     private-key-file=key.pem ! wzpfecdec ! opusdec ! autoaudiosink
 * gst-launch-1.0 audiotestsrc is-live=true ! opusenc frame-size=20 ! wzpfecenc ! \
 *     wzpquicsink role=client address=127.0.0.1 port=4433 server-fingerprint=ab:cd:...
 * ]| The first plays what the second sends (see pipelines/quic-*.sh).
 */
#include "plugins/wzpquicsrc/gstwzpquicsrc.h"

#include <memory>
#include <mutex>
#include <string>

#include "libwzp/wire/header.hpp"
#include "libwzp/wire/keyframe_request.hpp"
#include "plugins/gstwzp/wzpmeta.h"
#include "plugins/gstwzp/wzpquiclink.h"

GST_DEBUG_CATEGORY_STATIC(gst_wzp_quic_src_debug);
#define GST_CAT_DEFAULT gst_wzp_quic_src_debug

namespace {

// Keyframe requests closer together than this are one: the keyframe the
// first asked for is on its way.
constexpr int64_t kKeyframeRequestInterval = 100 * GST_MSECOND;

// What the source knows of the video it receives, for keyframe requests.
struct VideoState {
  std::mutex mutex;
  uint32_t stream_id = 0;  // of the latest video packet; 0: none seen
  wzp::wire::KeyframeRequester requester{kKeyframeRequestInterval};
};

}  // namespace

struct _GstWzpQuicSrc {
  GstPushSrc parent;
  WzpQuicLinkState *impl;
  VideoState *video;
};

G_DEFINE_TYPE(GstWzpQuicSrc, gst_wzp_quic_src, GST_TYPE_PUSH_SRC)

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(WZP_PACKET_CAPS_NAME));

static WzpQuicLinkState *impl_of(gpointer object) { return GST_WZP_QUIC_SRC(object)->impl; }

static void gst_wzp_quic_src_set_property(GObject *object, guint id, const GValue *value,
                                          GParamSpec *pspec) {
  if (!wzp_quic_link_set_property(*impl_of(object), id, value)) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void gst_wzp_quic_src_get_property(GObject *object, guint id, GValue *value,
                                          GParamSpec *pspec) {
  if (!wzp_quic_link_get_property(*impl_of(object), id, value)) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void gst_wzp_quic_src_set_context(GstElement *element, GstContext *context) {
  wzp_quic_link_set_context(*impl_of(element), context);
  GST_ELEMENT_CLASS(gst_wzp_quic_src_parent_class)->set_context(element, context);
}

static gboolean gst_wzp_quic_src_start(GstBaseSrc *base) {
  std::string error;
  if (!wzp_quic_link_start(GST_ELEMENT(base), GST_CAT_DEFAULT, *impl_of(base), error)) {
    GST_ELEMENT_ERROR(base, RESOURCE, OPEN_READ, ("Cannot open the QUIC transport"),
                      ("%s", error.c_str()));
    return FALSE;
  }
  return TRUE;
}

static gboolean gst_wzp_quic_src_stop(GstBaseSrc *base) {
  wzp_quic_link_stop(GST_ELEMENT(base), GST_CAT_DEFAULT, *impl_of(base));
  return TRUE;
}

// Notes the stream id of a video packet (its header is in the clear), so
// a keyframe request names the stream.
static void note_video(GstWzpQuicSrc *self, GstBuffer *buffer) {
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) return;
  wzp::wire::PacketView view;
  if (wzp::wire::parse_full({map.data, map.size}, view) == wzp::wire::WireError::kOk &&
      view.header.media_type == wzp::wire::MediaType::kVideo) {
    std::lock_guard lock(self->video->mutex);
    self->video->stream_id = view.header.stream_id;
  }
  gst_buffer_unmap(buffer, &map);
}

// A force-key-unit event from downstream (wzpdav1ddec that lost a
// reference) goes to the peer as a keyframe request (docs/PROTOCOL.md).
static gboolean gst_wzp_quic_src_event(GstBaseSrc *base, GstEvent *event) {
  if (GST_EVENT_TYPE(event) == GST_EVENT_CUSTOM_UPSTREAM &&
      gst_event_has_name(event, "GstForceKeyUnit")) {
    auto *self = GST_WZP_QUIC_SRC(base);
    std::shared_ptr<wzp::quic::Link> link = impl_of(base)->current_link();
    std::optional<wzp::wire::KeyframeRequest> request;
    {
      std::lock_guard lock(self->video->mutex);
      request =
          self->video->requester.request(self->video->stream_id, g_get_monotonic_time() * 1000);
    }
    if (!request) {
      GST_DEBUG_OBJECT(self, "keyframe request within %" GST_TIME_FORMAT " of the last: dropped",
                       GST_TIME_ARGS(kKeyframeRequestInterval));
      return TRUE;
    }
    bool sent = link && link->send_keyframe_request(*request);
    GST_INFO_OBJECT(self, "keyframe request %u for stream %u %s", request->number,
                    request->stream_id, sent ? "sent" : "not sent (no connection)");
    return sent;
  }
  return GST_BASE_SRC_CLASS(gst_wzp_quic_src_parent_class)->event(base, event);
}

static GstFlowReturn gst_wzp_quic_src_create(GstPushSrc *push, GstBuffer **out) {
  std::shared_ptr<wzp::quic::Link> link = impl_of(push)->current_link();
  if (!link) return GST_FLOW_FLUSHING;
  GstBuffer *buffer = gst_buffer_new_allocate(nullptr, wzp::wire::kMaxPacketSize, nullptr);
  GstMapInfo map;
  gst_buffer_map(buffer, &map, GST_MAP_WRITE);
  size_t size = 0;
  wzp::quic::Link::Receive result;
  // Bounded waits, so a stuck peer never pins the streaming thread.
  while ((result = link->receive({map.data, map.size}, size, std::chrono::milliseconds(100))) ==
         wzp::quic::Link::Receive::kTimeout) {
  }
  gst_buffer_unmap(buffer, &map);
  switch (result) {
    case wzp::quic::Link::Receive::kData: {
      gst_buffer_set_size(buffer, static_cast<gssize>(size));
      note_video(GST_WZP_QUIC_SRC(push), buffer);
      *out = buffer;
      return GST_FLOW_OK;
    }
    case wzp::quic::Link::Receive::kEnded:
      GST_INFO_OBJECT(push, "the peer closed the connection");
      gst_buffer_unref(buffer);
      return GST_FLOW_EOS;
    case wzp::quic::Link::Receive::kFailed:
      GST_ELEMENT_ERROR(push, RESOURCE, READ, ("QUIC connection failed"),
                        ("%s", link->error().c_str()));
      gst_buffer_unref(buffer);
      return GST_FLOW_ERROR;
    default:
      gst_buffer_unref(buffer);
      return GST_FLOW_FLUSHING;
  }
}

static gboolean gst_wzp_quic_src_unlock(GstBaseSrc *base) {
  if (auto link = impl_of(base)->current_link()) link->set_flushing(true);
  return TRUE;
}

static gboolean gst_wzp_quic_src_unlock_stop(GstBaseSrc *base) {
  if (auto link = impl_of(base)->current_link()) link->set_flushing(false);
  return TRUE;
}

static void gst_wzp_quic_src_finalize(GObject *object) {
  delete impl_of(object);
  delete GST_WZP_QUIC_SRC(object)->video;
  G_OBJECT_CLASS(gst_wzp_quic_src_parent_class)->finalize(object);
}

static void gst_wzp_quic_src_init(GstWzpQuicSrc *self) {
  self->impl = new WzpQuicLinkState();
  self->video = new VideoState();
  gst_base_src_set_live(GST_BASE_SRC(self), TRUE);
  gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
  gst_base_src_set_do_timestamp(GST_BASE_SRC(self), TRUE);
}

static void gst_wzp_quic_src_class_init(GstWzpQuicSrcClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseSrcClass *base_class = GST_BASE_SRC_CLASS(klass);
  GstPushSrcClass *push_class = GST_PUSH_SRC_CLASS(klass);
  gobject_class->set_property = gst_wzp_quic_src_set_property;
  gobject_class->get_property = gst_wzp_quic_src_get_property;
  gobject_class->finalize = gst_wzp_quic_src_finalize;
  element_class->set_context = gst_wzp_quic_src_set_context;
  base_class->start = gst_wzp_quic_src_start;
  base_class->stop = gst_wzp_quic_src_stop;
  base_class->unlock = gst_wzp_quic_src_unlock;
  base_class->unlock_stop = gst_wzp_quic_src_unlock_stop;
  base_class->event = gst_wzp_quic_src_event;
  push_class->create = gst_wzp_quic_src_create;

  wzp_quic_link_install_properties(gobject_class, "GstWzpQuicSrc");

  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "wzp QUIC datagram source", "Source/Network",
      "Receives wzp packets as QUIC DATAGRAM frames over one TLS 1.3 connection. Example: "
      "gst-launch-1.0 wzpquicsrc role=server bind-address=127.0.0.1 bind-port=4433 ! wzpfecdec ! "
      "opusdec plc=true ! autoaudiosink (pipelines/quic-recv.sh)",
      WZP_AUTHOR);
  GST_DEBUG_CATEGORY_INIT(gst_wzp_quic_src_debug, "wzpquicsrc", 0, "wzp QUIC datagram source");
}

static gboolean plugin_init(GstPlugin *plugin) {
  return gst_element_register(plugin, "wzpquicsrc", GST_RANK_NONE, GST_TYPE_WZP_QUIC_SRC);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, wzpquicsrc,
                  "QUIC DATAGRAM source for wzp packets", plugin_init, VERSION, GST_LICENSE,
                  GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
