/**
 * SECTION:element-wzpquicsrc
 * @title: wzpquicsrc
 *
 * A live source that pushes every QUIC DATAGRAM (RFC 9221) received on a
 * TLS 1.3 connection built on ngtcp2 as one application/x-wzp buffer (one
 * wire packet), in order of arrival, timestamped on arrival. A wzpquicsrc
 * with the same connection settings in the same pipeline or application
 * shares the connection through a "wzp.quic.link" GstContext, so a call is
 * one connection both ways. A peer that closes cleanly ends the stream with
 * EOS; a failed handshake, a vanished peer (idle-timeout) or a refused
 * certificate is an error on the bus.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 wzpquicsrc role=server bind-port=4433 certificate-file=cert.pem \
 *     private-key-file=key.pem ! wzpfecdec ! opusdec ! autoaudiosink
 * gst-launch-1.0 audiotestsrc is-live=true ! opusenc frame-size=20 ! wzpfecenc ! \
 *     wzpquicsrc role=client address=127.0.0.1 port=4433 server-fingerprint=ab:cd:...
 * ]| The first plays what the second sends (see pipelines/quic-*.sh).
 */
#include "plugins/wzpquicsrc/gstwzpquicsrc.h"

#include <memory>
#include <mutex>

#include "libwzp/quic/link.hpp"
#include "libwzp/wire/header.hpp"
#include "plugins/gstwzp/wzpmeta.h"

GST_DEBUG_CATEGORY_STATIC(gst_wzp_quic_src_debug);
#define GST_CAT_DEFAULT gst_wzp_quic_src_debug

#define WZP_QUIC_LINK_CONTEXT_TYPE "wzp.quic.link"

namespace {

enum Role { kRoleClient, kRoleServer };

enum {
  PROP_0,
  PROP_ROLE,
  PROP_ADDRESS,
  PROP_PORT,
  PROP_BIND_ADDRESS,
  PROP_BIND_PORT,
  PROP_ALPN_PROTOCOLS,
  PROP_CERTIFICATE_FILE,
  PROP_PRIVATE_KEY_FILE,
  PROP_SERVER_FINGERPRINT,
  PROP_MAX_QUEUE_TIME,
  PROP_IDLE_TIMEOUT,
  PROP_KEEP_ALIVE_INTERVAL,
  PROP_CONGESTION_CONTROL,
  PROP_BOUND_PORT,
  PROP_FINGERPRINT,
  PROP_STATS,
};

struct Impl {
  std::mutex settings_mutex;
  wzp::quic::LinkConfig settings;
  std::mutex state_mutex;
  std::shared_ptr<wzp::quic::Link> link;
  std::shared_ptr<wzp::quic::Link> offered_link;  // from a "wzp.quic.link" context
};

// The context carries a weak_ptr to the Link in a boxed type, so a bin that
// caches the context does not keep the connection open after its elements
// stop. Registered by name on first use, by whichever of wzpquicsink /
// wzpquicsrc comes first.
using LinkRef = std::weak_ptr<wzp::quic::Link>;

GType link_ref_get_type() {
  static GType type = [] {
    GType existing = g_type_from_name("WzpQuicLinkRef");
    if (existing != 0) return existing;
    return g_boxed_type_register_static(
        "WzpQuicLinkRef",
        [](gpointer ref) -> gpointer { return new LinkRef(*static_cast<LinkRef *>(ref)); },
        [](gpointer ref) { delete static_cast<LinkRef *>(ref); });
  }();
  return type;
}

GType role_get_type() {
  static GType type = [] {
    static const GEnumValue values[] = {
        {kRoleClient, "Dial the peer at address:port", "client"},
        {kRoleServer, "Accept the peer on bind-address:bind-port", "server"},
        {0, nullptr, nullptr}};
    return g_enum_register_static("GstWzpQuicSrcRole", values);
  }();
  return type;
}

GType congestion_control_get_type() {
  static GType type = [] {
    static const GEnumValue values[] = {
        {static_cast<gint>(wzp::quic::CongestionControl::kCubic), "CUBIC", "cubic"},
        {static_cast<gint>(wzp::quic::CongestionControl::kBbr2), "BBRv2", "bbr2"},
        {static_cast<gint>(wzp::quic::CongestionControl::kBbr), "BBR: ignores random loss", "bbr"},
        {0, nullptr, nullptr}};
    return g_enum_register_static("GstWzpQuicSrcCongestionControl", values);
  }();
  return type;
}

}  // namespace

struct _GstWzpQuicSrc {
  GstPushSrc parent;
  Impl *impl;
};

G_DEFINE_TYPE(GstWzpQuicSrc, gst_wzp_quic_src, GST_TYPE_PUSH_SRC)

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(WZP_PACKET_CAPS_NAME));

static Impl *impl_of(gpointer object) { return GST_WZP_QUIC_SRC(object)->impl; }

static GstStructure *make_stats(const std::shared_ptr<wzp::quic::Link> &link) {
  wzp::quic::ConnectionStats c = link ? link->connection_stats() : wzp::quic::ConnectionStats{};
  wzp::quic::EndpointStats e = link ? link->endpoint_stats() : wzp::quic::EndpointStats{};
  return gst_structure_new(
      "application/x-wzp-quic-stats", "datagrams-sent", G_TYPE_UINT64, c.datagrams_sent,
      "datagrams-received", G_TYPE_UINT64, c.datagrams_received, "datagrams-acked", G_TYPE_UINT64,
      c.datagrams_acked, "datagrams-lost", G_TYPE_UINT64, c.datagrams_lost,
      "datagrams-dropped-stale", G_TYPE_UINT64, c.datagrams_dropped_stale, "datagrams-dropped-full",
      G_TYPE_UINT64, c.datagrams_dropped_full, "datagrams-dropped-oversized", G_TYPE_UINT64,
      c.datagrams_dropped_oversized, "datagrams-dropped-unsent", G_TYPE_UINT64,
      link ? link->dropped_unsent() : 0, "datagrams-dropped-received", G_TYPE_UINT64,
      link ? link->dropped_received() : 0, "datagram-loss", G_TYPE_DOUBLE, c.datagram_loss(),
      "rtt-ms", G_TYPE_DOUBLE, c.path.smoothed_rtt_ms, "rtt-variance-ms", G_TYPE_DOUBLE,
      c.path.rtt_variance_ms, "min-rtt-ms", G_TYPE_DOUBLE, c.path.min_rtt_ms, "congestion-window",
      G_TYPE_UINT64, c.path.congestion_window, "bytes-in-flight", G_TYPE_UINT64,
      c.path.bytes_in_flight, "pacing-rate", G_TYPE_DOUBLE, c.path.pacing_rate_bytes_per_s,
      "max-datagram-size", G_TYPE_UINT64, static_cast<guint64>(c.path.max_datagram_payload),
      "udp-packets-sent", G_TYPE_UINT64, c.udp_packets_sent, "connections-accepted", G_TYPE_UINT64,
      e.connections_accepted, "packets-dropped-garbage", G_TYPE_UINT64, e.dropped_garbage, nullptr);
}

static void gst_wzp_quic_src_set_property(GObject *object, guint id, const GValue *value,
                                          GParamSpec *pspec) {
  Impl *impl = impl_of(object);
  std::lock_guard lock(impl->settings_mutex);
  wzp::quic::LinkConfig &s = impl->settings;
  auto ms = [value] { return std::chrono::milliseconds(g_value_get_uint(value)); };
  auto str = [value] {
    const gchar *text = g_value_get_string(value);
    return std::string(text != nullptr ? text : "");
  };
  switch (id) {
    case PROP_ROLE:
      s.server = g_value_get_enum(value) == kRoleServer;
      break;
    case PROP_ADDRESS:
      s.address = str();
      break;
    case PROP_PORT:
      s.port = static_cast<uint16_t>(g_value_get_uint(value));
      break;
    case PROP_BIND_ADDRESS:
      s.bind_address = str();
      break;
    case PROP_BIND_PORT:
      s.bind_port = static_cast<uint16_t>(g_value_get_uint(value));
      break;
    case PROP_ALPN_PROTOCOLS:
      s.tls.alpn.clear();
      for (guint i = 0; i < gst_value_array_get_size(value); ++i) {
        const gchar *name = g_value_get_string(gst_value_array_get_value(value, i));
        if (name != nullptr && *name != '\0') s.tls.alpn.emplace_back(name);
      }
      break;
    case PROP_CERTIFICATE_FILE:
      s.tls.certificate_file = str();
      break;
    case PROP_PRIVATE_KEY_FILE:
      s.tls.private_key_file = str();
      break;
    case PROP_SERVER_FINGERPRINT:
      s.tls.server_fingerprint = str();
      break;
    case PROP_MAX_QUEUE_TIME:
      s.max_queue_time = ms();
      break;
    case PROP_IDLE_TIMEOUT:
      s.idle_timeout = ms();
      break;
    case PROP_KEEP_ALIVE_INTERVAL:
      s.keep_alive = ms();
      break;
    case PROP_CONGESTION_CONTROL:
      s.congestion_control = static_cast<wzp::quic::CongestionControl>(g_value_get_enum(value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
}

static void gst_wzp_quic_src_get_property(GObject *object, guint id, GValue *value,
                                          GParamSpec *pspec) {
  Impl *impl = impl_of(object);
  if (id == PROP_BOUND_PORT || id == PROP_FINGERPRINT || id == PROP_STATS) {
    std::shared_ptr<wzp::quic::Link> link;
    {
      std::lock_guard lock(impl->state_mutex);
      link = impl->link;
    }
    if (id == PROP_BOUND_PORT) g_value_set_uint(value, link ? link->local_port() : 0);
    if (id == PROP_FINGERPRINT) g_value_set_string(value, link ? link->fingerprint().c_str() : "");
    if (id == PROP_STATS) g_value_take_boxed(value, make_stats(link));
    return;
  }
  std::lock_guard lock(impl->settings_mutex);
  const wzp::quic::LinkConfig &s = impl->settings;
  auto ms = [](std::chrono::milliseconds d) { return static_cast<guint>(d.count()); };
  switch (id) {
    case PROP_ROLE:
      g_value_set_enum(value, s.server ? kRoleServer : kRoleClient);
      break;
    case PROP_ADDRESS:
      g_value_set_string(value, s.address.c_str());
      break;
    case PROP_PORT:
      g_value_set_uint(value, s.port);
      break;
    case PROP_BIND_ADDRESS:
      g_value_set_string(value, s.bind_address.c_str());
      break;
    case PROP_BIND_PORT:
      g_value_set_uint(value, s.bind_port);
      break;
    case PROP_ALPN_PROTOCOLS:
      for (const auto &name : s.tls.alpn) {
        GValue item = G_VALUE_INIT;
        g_value_init(&item, G_TYPE_STRING);
        g_value_set_string(&item, name.c_str());
        gst_value_array_append_and_take_value(value, &item);
      }
      break;
    case PROP_CERTIFICATE_FILE:
      g_value_set_string(value, s.tls.certificate_file.c_str());
      break;
    case PROP_PRIVATE_KEY_FILE:
      g_value_set_string(value, s.tls.private_key_file.c_str());
      break;
    case PROP_SERVER_FINGERPRINT:
      g_value_set_string(value, s.tls.server_fingerprint.c_str());
      break;
    case PROP_MAX_QUEUE_TIME:
      g_value_set_uint(value, ms(s.max_queue_time));
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint(value, ms(s.idle_timeout));
      break;
    case PROP_KEEP_ALIVE_INTERVAL:
      g_value_set_uint(value, ms(s.keep_alive));
      break;
    case PROP_CONGESTION_CONTROL:
      g_value_set_enum(value, static_cast<gint>(s.congestion_control));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
}

static void gst_wzp_quic_src_set_context(GstElement *element, GstContext *context) {
  if (gst_context_has_context_type(context, WZP_QUIC_LINK_CONTEXT_TYPE)) {
    const GValue *value = gst_structure_get_value(gst_context_get_structure(context), "link");
    if (value != nullptr && G_VALUE_HOLDS(value, link_ref_get_type())) {
      std::lock_guard lock(impl_of(element)->state_mutex);
      impl_of(element)->offered_link = static_cast<LinkRef *>(g_value_get_boxed(value))->lock();
    }
  }
  GST_ELEMENT_CLASS(gst_wzp_quic_src_parent_class)->set_context(element, context);
}

// Reuses the link a wzpquicsink with the same settings already opened (its
// id arrives in a context, asked for with need-context), or opens one and
// announces it with have-context.
static gboolean gst_wzp_quic_src_start(GstBaseSrc *base) {
  Impl *impl = impl_of(base);
  wzp::quic::LinkConfig config;
  {
    std::lock_guard lock(impl->settings_mutex);
    config = impl->settings;
  }
  gst_element_post_message(GST_ELEMENT(base), gst_message_new_need_context(
                                                  GST_OBJECT(base), WZP_QUIC_LINK_CONTEXT_TYPE));
  std::shared_ptr<wzp::quic::Link> link;
  {
    std::lock_guard lock(impl->state_mutex);
    link = std::move(impl->offered_link);
  }
  if (link && !(link->config() == config)) {
    GST_INFO_OBJECT(base, "the offered connection has other settings; opening our own");
    link.reset();
  }
  if (!link) {
    std::string error;
    link = wzp::quic::Link::create(config, error);
    if (!link) {
      GST_ELEMENT_ERROR(base, RESOURCE, OPEN_READ, ("Cannot open the QUIC transport"),
                        ("%s", error.c_str()));
      return FALSE;
    }
    GstContext *context = gst_context_new(WZP_QUIC_LINK_CONTEXT_TYPE, TRUE);
    LinkRef ref = link;
    gst_structure_set(gst_context_writable_structure(context), "link", link_ref_get_type(), &ref,
                      nullptr);
    gst_element_post_message(GST_ELEMENT(base),
                             gst_message_new_have_context(GST_OBJECT(base), context));
  }
  GST_INFO_OBJECT(base, "QUIC link on local port %u", link->local_port());
  std::lock_guard lock(impl->state_mutex);
  impl->link = std::move(link);
  return TRUE;
}

static gboolean gst_wzp_quic_src_stop(GstBaseSrc *base) {
  std::shared_ptr<wzp::quic::Link> link;
  {
    std::lock_guard lock(impl_of(base)->state_mutex);
    link = std::move(impl_of(base)->link);
  }
  if (link) {
    GstStructure *stats = make_stats(link);
    gchar *text = gst_structure_to_string(stats);
    GST_INFO_OBJECT(base, "final statistics: %s", text);
    g_free(text);
    gst_structure_free(stats);
  }
  return TRUE;  // the connection closes when its last user lets go
}

static std::shared_ptr<wzp::quic::Link> current_link(gpointer object) {
  std::lock_guard lock(impl_of(object)->state_mutex);
  return impl_of(object)->link;
}

static GstFlowReturn gst_wzp_quic_src_create(GstPushSrc *push, GstBuffer **out) {
  std::shared_ptr<wzp::quic::Link> link = current_link(push);
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
    case wzp::quic::Link::Receive::kData:
      gst_buffer_set_size(buffer, static_cast<gssize>(size));
      *out = buffer;
      return GST_FLOW_OK;
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
  if (auto link = current_link(base)) link->set_flushing(true);
  return TRUE;
}

static gboolean gst_wzp_quic_src_unlock_stop(GstBaseSrc *base) {
  if (auto link = current_link(base)) link->set_flushing(false);
  return TRUE;
}

static void gst_wzp_quic_src_finalize(GObject *object) {
  delete impl_of(object);
  G_OBJECT_CLASS(gst_wzp_quic_src_parent_class)->finalize(object);
}

static void gst_wzp_quic_src_init(GstWzpQuicSrc *self) {
  self->impl = new Impl();
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
  push_class->create = gst_wzp_quic_src_create;

  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                           GST_PARAM_MUTABLE_READY);
  const auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  const wzp::quic::LinkConfig defaults;
  g_object_class_install_property(
      gobject_class, PROP_ROLE,
      g_param_spec_enum("role", "Role",
                        "client dials address:port; server waits on bind-address:bind-port",
                        role_get_type(), kRoleClient, rw));
  g_object_class_install_property(
      gobject_class, PROP_ADDRESS,
      g_param_spec_string("address", "Address", "Peer host or IP address to dial (client role)",
                          defaults.address.c_str(), rw));
  g_object_class_install_property(
      gobject_class, PROP_PORT,
      g_param_spec_uint("port", "Port", "Peer UDP port to dial (client role)", 1, 65535,
                        defaults.port, rw));
  g_object_class_install_property(
      gobject_class, PROP_BIND_ADDRESS,
      g_param_spec_string("bind-address", "Bind address", "Local address of the UDP socket",
                          defaults.bind_address.c_str(), rw));
  g_object_class_install_property(
      gobject_class, PROP_BIND_PORT,
      g_param_spec_uint("bind-port", "Bind port",
                        "Local UDP port (0: any free port; see bound-port)", 0, 65535, 0, rw));
  g_object_class_install_property(
      gobject_class, PROP_ALPN_PROTOCOLS,
      gst_param_spec_array(
          "alpn-protocols", "ALPN protocols",
          "TLS application protocols offered or accepted; a peer with none "
          "in common is refused",
          g_param_spec_string("protocol", "Protocol", "One ALPN protocol id", nullptr, ro), rw));
  g_object_class_install_property(
      gobject_class, PROP_CERTIFICATE_FILE,
      g_param_spec_string("certificate-file", "Certificate file",
                          "PEM certificate of a server; empty: a self-signed one is generated "
                          "at start (see fingerprint)",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_PRIVATE_KEY_FILE,
      g_param_spec_string("private-key-file", "Private key file",
                          "PEM private key matching certificate-file", nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_SERVER_FINGERPRINT,
      g_param_spec_string("server-fingerprint", "Server fingerprint",
                          "SHA-256 fingerprint the server certificate must have (client role); "
                          "empty: verify against the system CAs",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_MAX_QUEUE_TIME,
      g_param_spec_uint("max-queue-time", "Max queue time",
                        "Milliseconds a datagram may wait for the congestion window before it "
                        "is dropped as stale",
                        1, 60000, static_cast<guint>(defaults.max_queue_time.count()), rw));
  g_object_class_install_property(
      gobject_class, PROP_IDLE_TIMEOUT,
      g_param_spec_uint("idle-timeout", "Idle timeout",
                        "Milliseconds without a packet from the peer before the connection "
                        "is declared dead (an error on the bus)",
                        100, 600000, static_cast<guint>(defaults.idle_timeout.count()), rw));
  g_object_class_install_property(
      gobject_class, PROP_KEEP_ALIVE_INTERVAL,
      g_param_spec_uint("keep-alive-interval", "Keep-alive interval",
                        "Milliseconds between PINGs on an otherwise silent connection (0: off)", 0,
                        600000, static_cast<guint>(defaults.keep_alive.count()), rw));
  g_object_class_install_property(
      gobject_class, PROP_CONGESTION_CONTROL,
      g_param_spec_enum("congestion-control", "Congestion control",
                        "Congestion controller of the connection", congestion_control_get_type(),
                        static_cast<gint>(defaults.congestion_control), rw));
  g_object_class_install_property(
      gobject_class, PROP_BOUND_PORT,
      g_param_spec_uint("bound-port", "Bound port",
                        "Local UDP port actually bound (0 until the element starts)", 0, 65535, 0,
                        ro));
  g_object_class_install_property(
      gobject_class, PROP_FINGERPRINT,
      g_param_spec_string("fingerprint", "Fingerprint",
                          "SHA-256 fingerprint of this side's certificate, for the peer's "
                          "server-fingerprint",
                          nullptr, ro));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "Datagram counters (sent, acked, lost, dropped) and path statistics "
                         "(RTT, congestion window, bytes in flight, pacing rate)",
                         GST_TYPE_STRUCTURE, ro));

  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "wzp QUIC datagram source", "Source/Network",
      "Receives wzp packets as QUIC DATAGRAM frames over one TLS 1.3 connection", "wzp");
  gst_type_mark_as_plugin_api(role_get_type(), static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(congestion_control_get_type(), static_cast<GstPluginAPIFlags>(0));
  GST_DEBUG_CATEGORY_INIT(gst_wzp_quic_src_debug, "wzpquicsrc", 0, "wzp QUIC datagram source");
}

static gboolean plugin_init(GstPlugin *plugin) {
  return gst_element_register(plugin, "wzpquicsrc", GST_RANK_NONE, GST_TYPE_WZP_QUIC_SRC);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, wzpquicsrc,
                  "QUIC DATAGRAM source for wzp packets", plugin_init, VERSION, GST_LICENSE,
                  GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
