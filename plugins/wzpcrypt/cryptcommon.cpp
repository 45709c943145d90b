#include "cryptcommon.h"

#include <sodium.h>

#include "plugins/gstwzp/wzpmeta.h"

namespace wzp::gst {

void install_key_properties(GObjectClass *klass, const gchar *key_blurb,
                            const gchar *key_file_blurb) {
  constexpr auto kRw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      klass, kPropKey,
      g_param_spec_string("key", "Key", key_blurb, nullptr,
                          static_cast<GParamFlags>(G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS |
                                                   GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      klass, kPropKeyFile,
      g_param_spec_string("key-file", "Key file", key_file_blurb, nullptr, kRw));
  g_object_class_install_property(
      klass, kPropEpoch,
      g_param_spec_uint("epoch", "Epoch", "Epoch of the key given in key or key-file", 0,
                        G_MAXUINT32, 0, kRw));
}

bool set_key_property(KeySettings &settings, guint id, const GValue *value) {
  switch (id) {
    case kPropKey: {
      const gchar *text = g_value_get_string(value);
      wipe_key(settings);
      settings.key_hex = text ? text : "";
      return true;
    }
    case kPropKeyFile: {
      const gchar *text = g_value_get_string(value);
      settings.key_file = text ? text : "";
      return true;
    }
    case kPropEpoch:
      settings.epoch = g_value_get_uint(value);
      return true;
    default:
      return false;
  }
}

bool get_key_property(const KeySettings &settings, guint id, GValue *value) {
  switch (id) {
    case kPropKeyFile:
      g_value_set_string(value, settings.key_file.c_str());
      return true;
    case kPropEpoch:
      g_value_set_uint(value, settings.epoch);
      return true;
    default:
      return false;
  }
}

void wipe_key(KeySettings &settings) {
  sodium_memzero(settings.key_hex.data(), settings.key_hex.size());
}

void track_segment(CryptPrivate &priv, GstEvent *event) {
  if (GST_EVENT_TYPE(event) != GST_EVENT_SEGMENT) return;
  const GstSegment *segment;
  gst_event_parse_segment(event, &segment);
  std::lock_guard guard(priv.state_lock);
  gst_segment_copy_into(segment, &priv.segment);
}

bool adopt_context_session(CryptPrivate &priv, GstContext *context) {
  WzpCryptoSessionRef session = wzp_crypto_context_get_session(context);
  if (!session) return false;
  std::lock_guard guard(priv.state_lock);
  priv.session = std::move(session);
  priv.session_from_context = true;
  return true;
}

void request_session_unless_present(CryptPrivate &priv, GstElement *element, GstPad *sinkpad,
                                    GstPad *srcpad) {
  {
    std::lock_guard guard(priv.state_lock);
    if (priv.session) return;
  }
  request_session_context(element, sinkpad, srcpad);
}

void release_own_session(CryptPrivate &priv) {
  std::lock_guard guard(priv.state_lock);
  if (!priv.session_from_context) priv.session.reset();
}

void store_own_session(CryptPrivate &priv, WzpCryptoSessionRef session) {
  std::lock_guard guard(priv.state_lock);
  priv.session = std::move(session);
  priv.session_from_context = false;
}

bool locate_header(GstBuffer *buffer, std::span<const uint8_t> bytes, PacketHeader &out) {
  if (!bytes.empty() && wire::peek_kind(bytes) == wire::PacketKind::kFull) {
    wire::PacketView view;
    if (wire::parse_full(bytes, view) != wire::WireError::kOk) return false;
    out.header = view.header;
    out.header_size = view.header_bytes.size();
    out.full = true;
    return true;
  }
  // A mini or trunk header cannot be read alone: trust the meta of whoever
  // decompressed it, if it describes these bytes.
  WzpHeaderMeta *meta = wzp_buffer_get_header_meta(buffer);
  if (!meta || meta->header_size == 0 || meta->header_size > bytes.size()) return false;
  out.header = meta->header;
  out.header_size = meta->header_size;
  out.full = false;
  return true;
}

std::optional<crypto::TrafficSecret> load_secret(const std::string &hex, const std::string &file,
                                                 std::string &error) {
  crypto::TrafficSecret secret;
  if (!hex.empty()) {
    if (crypto::parse_secret_hex(hex, secret)) return secret;
    error = "the key property must be 64 hex digits";
    return std::nullopt;
  }
  if (file.empty()) {
    error = "no key: set key or key-file, or provide a wzp.crypto.session context";
    return std::nullopt;
  }
  gchar *contents = nullptr;
  gsize length = 0;
  GError *gerror = nullptr;
  if (!g_file_get_contents(file.c_str(), &contents, &length, &gerror)) {
    error = std::string("cannot read key-file: ") + gerror->message;
    g_error_free(gerror);
    return std::nullopt;
  }
  bool ok = crypto::parse_secret_hex({contents, length}, secret);
  sodium_memzero(contents, length);
  g_free(contents);
  if (!ok) {
    error = "key-file " + file + " does not hold 64 hex digits";
    return std::nullopt;
  }
  return secret;
}

void request_session_context(GstElement *element, GstPad *sinkpad, GstPad *srcpad) {
  for (GstPad *pad : {srcpad, sinkpad}) {
    GstQuery *query = gst_query_new_context(WZP_CRYPTO_CONTEXT_TYPE);
    if (gst_pad_peer_query(pad, query)) {
      GstContext *context = nullptr;
      gst_query_parse_context(query, &context);
      if (context) {
        gst_element_set_context(element, context);
        gst_query_unref(query);
        return;
      }
    }
    gst_query_unref(query);
  }
  gst_element_post_message(
      element, gst_message_new_need_context(GST_OBJECT(element), WZP_CRYPTO_CONTEXT_TYPE));
}

guint64 packet_time_ns(const GstSegment &segment, GstBuffer *buffer) {
  GstClockTime pts = GST_BUFFER_PTS(buffer);
  if (GST_CLOCK_TIME_IS_VALID(pts) && segment.format == GST_FORMAT_TIME) {
    guint64 running = gst_segment_to_running_time(&segment, GST_FORMAT_TIME, pts);
    if (GST_CLOCK_TIME_IS_VALID(running)) return running;
  }
  return static_cast<guint64>(g_get_monotonic_time()) * 1000;
}

}  // namespace wzp::gst
