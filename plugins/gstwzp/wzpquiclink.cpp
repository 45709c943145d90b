#include "plugins/gstwzp/wzpquiclink.h"

#include "plugins/gstwzp/wzpstats.h"

namespace {

enum Role { kRoleClient, kRoleServer };

const GEnumValue kRoleValues[] = {
    {kRoleClient, "Dial the peer at address:port", "client"},
    {kRoleServer, "Accept the peer on bind-address:bind-port", "server"},
    {0, nullptr, nullptr}};

const GEnumValue kCongestionControlValues[] = {
    {static_cast<gint>(wzp::quic::CongestionControl::kCubic), "CUBIC: halves on loss", "cubic"},
    {static_cast<gint>(wzp::quic::CongestionControl::kBbr2),
     "BBRv2: keeps its window through random loss", "bbr2"},
    {static_cast<gint>(wzp::quic::CongestionControl::kBbr), "BBR (v1)", "bbr"},
    {0, nullptr, nullptr}};

// Registers (once) and marks as plugin API the enum type <prefix><suffix>.
GType enum_type(const gchar *prefix, const gchar *suffix, const GEnumValue *values) {
  gchar *name = g_strconcat(prefix, suffix, nullptr);
  GType type = g_type_from_name(name);
  if (type == 0) type = g_enum_register_static(name, values);
  g_free(name);
  gst_type_mark_as_plugin_api(type, static_cast<GstPluginAPIFlags>(0));
  return type;
}

// The context carries a weak_ptr to the Link in a boxed type, so a bin that
// caches the context does not keep the connection open after its elements
// stop.
using LinkRef = std::weak_ptr<wzp::quic::Link>;

GType link_ref_get_type() {
  static GType type = g_boxed_type_register_static(
      "WzpQuicLinkRef",
      [](gpointer ref) -> gpointer { return new LinkRef(*static_cast<LinkRef *>(ref)); },
      [](gpointer ref) { delete static_cast<LinkRef *>(ref); });
  return type;
}

}  // namespace

std::shared_ptr<wzp::quic::Link> WzpQuicLinkState::current_link() {
  std::lock_guard lock(state_mutex);
  return link;
}

void wzp_quic_link_install_properties(GObjectClass *klass, const gchar *type_prefix) {
  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                           GST_PARAM_MUTABLE_READY);
  const auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  const wzp::quic::LinkConfig defaults;
  g_object_class_install_property(
      klass, WZP_QUIC_LINK_PROP_ROLE,
      g_param_spec_enum("role", "Role",
                        "client dials address:port; server waits on bind-address:bind-port",
                        enum_type(type_prefix, "Role", kRoleValues), kRoleClient, rw));
  g_object_class_install_property(
      klass, WZP_QUIC_LINK_PROP_ADDRESS,
      g_param_spec_string("address", "Address",
                          "Peer host or IP address to dial (client role); unused when the "
                          "application offers a link over its own connection",
                          defaults.address.c_str(), rw));
  g_object_class_install_property(
      klass, WZP_QUIC_LINK_PROP_PORT,
      g_param_spec_uint("port", "Port", "Peer UDP port to dial (client role)", 1, 65535,
                        defaults.port, rw));
  g_object_class_install_property(
      klass, WZP_QUIC_LINK_PROP_BIND_ADDRESS,
      g_param_spec_string("bind-address", "Bind address", "Local address of the UDP socket",
                          defaults.bind_address.c_str(), rw));
  g_object_class_install_property(
      klass, WZP_QUIC_LINK_PROP_BIND_PORT,
      g_param_spec_uint("bind-port", "Bind port",
                        "Local UDP port (0: any free port; see bound-port)", 0, 65535, 0, rw));
  g_object_class_install_property(
      klass, WZP_QUIC_LINK_PROP_ALPN_PROTOCOLS,
      gst_param_spec_array(
          "alpn-protocols", "ALPN protocols",
          "TLS application protocols offered or accepted; a peer with none "
          "in common is refused",
          g_param_spec_string("protocol", "Protocol", "One ALPN protocol id", nullptr, ro), rw));
  g_object_class_install_property(
      klass, WZP_QUIC_LINK_PROP_CERTIFICATE_FILE,
      g_param_spec_string("certificate-file", "Certificate file",
                          "PEM certificate of a server; empty: a self-signed one is generated "
                          "at start (see fingerprint)",
                          nullptr, rw));
  g_object_class_install_property(
      klass, WZP_QUIC_LINK_PROP_PRIVATE_KEY_FILE,
      g_param_spec_string("private-key-file", "Private key file",
                          "PEM private key matching certificate-file", nullptr, rw));
  g_object_class_install_property(
      klass, WZP_QUIC_LINK_PROP_SERVER_FINGERPRINT,
      g_param_spec_string("server-fingerprint", "Server fingerprint",
                          "SHA-256 fingerprint the server certificate must have (client role); "
                          "empty: verify against the system CAs",
                          nullptr, rw));
  g_object_class_install_property(
      klass, WZP_QUIC_LINK_PROP_MAX_QUEUE_TIME,
      g_param_spec_uint("max-queue-time", "Max queue time",
                        "Milliseconds a datagram may wait for the congestion window before it "
                        "is dropped as stale",
                        1, 60000, static_cast<guint>(defaults.max_queue_time.count()), rw));
  g_object_class_install_property(
      klass, WZP_QUIC_LINK_PROP_IDLE_TIMEOUT,
      g_param_spec_uint("idle-timeout", "Idle timeout",
                        "Milliseconds without a packet from the peer before the connection "
                        "is declared dead (an error on the bus)",
                        100, 600000, static_cast<guint>(defaults.idle_timeout.count()), rw));
  g_object_class_install_property(
      klass, WZP_QUIC_LINK_PROP_KEEP_ALIVE_INTERVAL,
      g_param_spec_uint("keep-alive-interval", "Keep-alive interval",
                        "Milliseconds between PINGs on an otherwise silent connection (0: off)", 0,
                        600000, static_cast<guint>(defaults.keep_alive.count()), rw));
  g_object_class_install_property(
      klass, WZP_QUIC_LINK_PROP_CONGESTION_CONTROL,
      g_param_spec_enum("congestion-control", "Congestion control",
                        "Congestion controller of the connection",
                        enum_type(type_prefix, "CongestionControl", kCongestionControlValues),
                        static_cast<gint>(defaults.congestion_control), rw));
  g_object_class_install_property(
      klass, WZP_QUIC_LINK_PROP_PATH_MTU_DISCOVERY,
      g_param_spec_boolean("path-mtu-discovery", "Path MTU discovery",
                           "Probe for datagrams above 1200 bytes once connected (off: voice "
                           "fits, and on a slow link the probes delay the first frames)",
                           defaults.path_mtu_discovery, rw));
  g_object_class_install_property(
      klass, WZP_QUIC_LINK_PROP_BOUND_PORT,
      g_param_spec_uint("bound-port", "Bound port",
                        "Local UDP port actually bound (0 until the element starts)", 0, 65535, 0,
                        ro));
  g_object_class_install_property(
      klass, WZP_QUIC_LINK_PROP_FINGERPRINT,
      g_param_spec_string("fingerprint", "Fingerprint",
                          "SHA-256 fingerprint of this side's certificate, for the peer's "
                          "server-fingerprint",
                          nullptr, ro));
  g_object_class_install_property(
      klass, WZP_QUIC_LINK_PROP_STATS,
      g_param_spec_boxed(
          "stats", "Statistics",
          "Datagram counters (sent, acked, lost, dropped) and path statistics "
          "(RTT, congestion window, bytes in flight, pacing rate); congestion-restarts: "
          "new congestion states after the old one starved media; restart-requests-sent/"
          "-received: a starved server's asks that its client bounce it to a new one",
          GST_TYPE_STRUCTURE, ro));
}

gboolean wzp_quic_link_set_property(WzpQuicLinkState &state, guint id, const GValue *value) {
  std::lock_guard lock(state.settings_mutex);
  wzp::quic::LinkConfig &s = state.settings;
  auto ms = [value] { return std::chrono::milliseconds(g_value_get_uint(value)); };
  auto str = [value] {
    const gchar *text = g_value_get_string(value);
    return std::string(text != nullptr ? text : "");
  };
  switch (id) {
    case WZP_QUIC_LINK_PROP_ROLE:
      s.server = g_value_get_enum(value) == kRoleServer;
      break;
    case WZP_QUIC_LINK_PROP_ADDRESS:
      s.address = str();
      break;
    case WZP_QUIC_LINK_PROP_PORT:
      s.port = static_cast<uint16_t>(g_value_get_uint(value));
      break;
    case WZP_QUIC_LINK_PROP_BIND_ADDRESS:
      s.bind_address = str();
      break;
    case WZP_QUIC_LINK_PROP_BIND_PORT:
      s.bind_port = static_cast<uint16_t>(g_value_get_uint(value));
      break;
    case WZP_QUIC_LINK_PROP_ALPN_PROTOCOLS:
      s.tls.alpn.clear();
      for (guint i = 0; i < gst_value_array_get_size(value); ++i) {
        const gchar *name = g_value_get_string(gst_value_array_get_value(value, i));
        if (name != nullptr && *name != '\0') s.tls.alpn.emplace_back(name);
      }
      break;
    case WZP_QUIC_LINK_PROP_CERTIFICATE_FILE:
      s.tls.certificate_file = str();
      break;
    case WZP_QUIC_LINK_PROP_PRIVATE_KEY_FILE:
      s.tls.private_key_file = str();
      break;
    case WZP_QUIC_LINK_PROP_SERVER_FINGERPRINT:
      s.tls.server_fingerprint = str();
      break;
    case WZP_QUIC_LINK_PROP_MAX_QUEUE_TIME:
      s.max_queue_time = ms();
      break;
    case WZP_QUIC_LINK_PROP_IDLE_TIMEOUT:
      s.idle_timeout = ms();
      break;
    case WZP_QUIC_LINK_PROP_KEEP_ALIVE_INTERVAL:
      s.keep_alive = ms();
      break;
    case WZP_QUIC_LINK_PROP_CONGESTION_CONTROL:
      s.congestion_control = static_cast<wzp::quic::CongestionControl>(g_value_get_enum(value));
      break;
    case WZP_QUIC_LINK_PROP_PATH_MTU_DISCOVERY:
      s.path_mtu_discovery = g_value_get_boolean(value);
      break;
    default:
      return FALSE;
  }
  return TRUE;
}

gboolean wzp_quic_link_get_property(WzpQuicLinkState &state, guint id, GValue *value) {
  if (id == WZP_QUIC_LINK_PROP_BOUND_PORT || id == WZP_QUIC_LINK_PROP_FINGERPRINT ||
      id == WZP_QUIC_LINK_PROP_STATS) {
    std::shared_ptr<wzp::quic::Link> link = state.current_link();
    if (id == WZP_QUIC_LINK_PROP_BOUND_PORT) g_value_set_uint(value, link ? link->local_port() : 0);
    if (id == WZP_QUIC_LINK_PROP_FINGERPRINT) {
      g_value_set_string(value, link ? link->fingerprint().c_str() : "");
    }
    if (id == WZP_QUIC_LINK_PROP_STATS) g_value_take_boxed(value, wzp_quic_link_stats(link));
    return TRUE;
  }
  std::lock_guard lock(state.settings_mutex);
  const wzp::quic::LinkConfig &s = state.settings;
  auto ms = [](std::chrono::milliseconds d) { return static_cast<guint>(d.count()); };
  switch (id) {
    case WZP_QUIC_LINK_PROP_ROLE:
      g_value_set_enum(value, s.server ? kRoleServer : kRoleClient);
      break;
    case WZP_QUIC_LINK_PROP_ADDRESS:
      g_value_set_string(value, s.address.c_str());
      break;
    case WZP_QUIC_LINK_PROP_PORT:
      g_value_set_uint(value, s.port);
      break;
    case WZP_QUIC_LINK_PROP_BIND_ADDRESS:
      g_value_set_string(value, s.bind_address.c_str());
      break;
    case WZP_QUIC_LINK_PROP_BIND_PORT:
      g_value_set_uint(value, s.bind_port);
      break;
    case WZP_QUIC_LINK_PROP_ALPN_PROTOCOLS:
      for (const auto &name : s.tls.alpn) {
        GValue item = G_VALUE_INIT;
        g_value_init(&item, G_TYPE_STRING);
        g_value_set_string(&item, name.c_str());
        gst_value_array_append_and_take_value(value, &item);
      }
      break;
    case WZP_QUIC_LINK_PROP_CERTIFICATE_FILE:
      g_value_set_string(value, s.tls.certificate_file.c_str());
      break;
    case WZP_QUIC_LINK_PROP_PRIVATE_KEY_FILE:
      g_value_set_string(value, s.tls.private_key_file.c_str());
      break;
    case WZP_QUIC_LINK_PROP_SERVER_FINGERPRINT:
      g_value_set_string(value, s.tls.server_fingerprint.c_str());
      break;
    case WZP_QUIC_LINK_PROP_MAX_QUEUE_TIME:
      g_value_set_uint(value, ms(s.max_queue_time));
      break;
    case WZP_QUIC_LINK_PROP_IDLE_TIMEOUT:
      g_value_set_uint(value, ms(s.idle_timeout));
      break;
    case WZP_QUIC_LINK_PROP_KEEP_ALIVE_INTERVAL:
      g_value_set_uint(value, ms(s.keep_alive));
      break;
    case WZP_QUIC_LINK_PROP_CONGESTION_CONTROL:
      g_value_set_enum(value, static_cast<gint>(s.congestion_control));
      break;
    case WZP_QUIC_LINK_PROP_PATH_MTU_DISCOVERY:
      g_value_set_boolean(value, s.path_mtu_discovery);
      break;
    default:
      return FALSE;
  }
  return TRUE;
}

GstContext *wzp_quic_link_context_new(const std::shared_ptr<wzp::quic::Link> &link) {
  GstContext *context = gst_context_new(WZP_QUIC_LINK_CONTEXT_TYPE, TRUE);
  LinkRef ref = link;
  gst_structure_set(gst_context_writable_structure(context), "link", link_ref_get_type(), &ref,
                    nullptr);
  return context;
}

void wzp_quic_link_set_context(WzpQuicLinkState &state, GstContext *context) {
  if (!gst_context_has_context_type(context, WZP_QUIC_LINK_CONTEXT_TYPE)) return;
  const GValue *value = gst_structure_get_value(gst_context_get_structure(context), "link");
  if (value != nullptr && G_VALUE_HOLDS(value, link_ref_get_type())) {
    std::lock_guard lock(state.state_mutex);
    state.offered_link = static_cast<LinkRef *>(g_value_get_boxed(value))->lock();
  }
}

gboolean wzp_quic_link_start(GstElement *element, GstDebugCategory *category,
                             WzpQuicLinkState &state, std::string &error) {
  wzp::quic::LinkConfig config;
  {
    std::lock_guard lock(state.settings_mutex);
    config = state.settings;
  }
  gst_element_post_message(
      element, gst_message_new_need_context(GST_OBJECT(element), WZP_QUIC_LINK_CONTEXT_TYPE));
  std::shared_ptr<wzp::quic::Link> link;
  {
    std::lock_guard lock(state.state_mutex);
    link = std::move(state.offered_link);
  }
  // A link over an application's connection has no settings of its own to
  // compare: the application chose it for us.
  if (link && !link->borrowed() && !(link->config() == config)) {
    GST_CAT_INFO_OBJECT(category, element,
                        "the offered connection has other settings; opening our own");
    link.reset();
  }
  if (!link) {
    link = wzp::quic::Link::create(config, error);
    if (!link) return FALSE;
    gst_element_post_message(element, gst_message_new_have_context(
                                          GST_OBJECT(element), wzp_quic_link_context_new(link)));
  }
  if (link->borrowed()) {
    GST_CAT_INFO_OBJECT(category, element, "QUIC link over the application's connection");
  } else {
    GST_CAT_INFO_OBJECT(category, element, "QUIC link on local port %u", link->local_port());
  }
  std::lock_guard lock(state.state_mutex);
  state.link = std::move(link);
  return TRUE;
}

void wzp_quic_link_stop(GstElement *element, GstDebugCategory *category, WzpQuicLinkState &state) {
  std::shared_ptr<wzp::quic::Link> link;
  {
    std::lock_guard lock(state.state_mutex);
    link = std::move(state.link);
  }
  if (!link) return;
  GstStructure *stats = wzp_quic_link_stats(link);
  gchar *text = gst_structure_to_string(stats);
  GST_CAT_INFO_OBJECT(category, element, "final statistics: %s", text);
  g_free(text);
  gst_structure_free(stats);
}

GstStructure *wzp_quic_link_stats(const std::shared_ptr<wzp::quic::Link> &link) {
  wzp::quic::ConnectionStats c = link ? link->connection_stats() : wzp::quic::ConnectionStats{};
  wzp::quic::EndpointStats e = link ? link->endpoint_stats() : wzp::quic::EndpointStats{};
  return gst_structure_new(
      "application/x-wzp-quic-stats", wzp::gst::stats::quic::kDatagramsSent, G_TYPE_UINT64,
      c.datagrams_sent, "datagrams-received", G_TYPE_UINT64, c.datagrams_received,
      wzp::gst::stats::quic::kDatagramsAcked, G_TYPE_UINT64, c.datagrams_acked,
      wzp::gst::stats::quic::kDatagramsLost, G_TYPE_UINT64, c.datagrams_lost,
      wzp::gst::stats::quic::kDatagramsDroppedStale, G_TYPE_UINT64, c.datagrams_dropped_stale,
      wzp::gst::stats::quic::kDatagramsDroppedFull, G_TYPE_UINT64, c.datagrams_dropped_full,
      "datagrams-dropped-oversized", G_TYPE_UINT64, c.datagrams_dropped_oversized,
      "datagrams-dropped-unsent", G_TYPE_UINT64, link ? link->dropped_unsent() : 0,
      "datagrams-dropped-received", G_TYPE_UINT64, link ? link->dropped_received() : 0,
      wzp::gst::stats::quic::kDatagramLoss, G_TYPE_DOUBLE, c.datagram_loss(),
      wzp::gst::stats::quic::kRttMs, G_TYPE_DOUBLE, c.path.smoothed_rtt_ms,
      wzp::gst::stats::quic::kRttVarianceMs, G_TYPE_DOUBLE, c.path.rtt_variance_ms, "min-rtt-ms",
      G_TYPE_DOUBLE, c.path.min_rtt_ms, "congestion-window", G_TYPE_UINT64,
      c.path.congestion_window, "bytes-in-flight", G_TYPE_UINT64, c.path.bytes_in_flight,
      "pacing-rate", G_TYPE_DOUBLE, c.path.pacing_rate_bytes_per_s, "max-datagram-size",
      G_TYPE_UINT64, static_cast<guint64>(c.path.max_datagram_payload), "udp-packets-sent",
      G_TYPE_UINT64, c.udp_packets_sent, wzp::gst::stats::quic::kCongestionRestarts, G_TYPE_UINT64,
      c.congestion_restarts, wzp::gst::stats::quic::kRestartRequestsSent, G_TYPE_UINT64,
      c.restart_requests_sent, wzp::gst::stats::quic::kRestartRequestsReceived, G_TYPE_UINT64,
      c.restart_requests_received, "connections-accepted", G_TYPE_UINT64, e.connections_accepted,
      "packets-dropped-garbage", G_TYPE_UINT64, e.dropped_garbage, "keyframe-requests-sent",
      G_TYPE_UINT64, link ? link->keyframe_requests_sent() : 0, "keyframe-requests-received",
      G_TYPE_UINT64, link ? link->keyframe_requests_received() : 0, nullptr);
}
