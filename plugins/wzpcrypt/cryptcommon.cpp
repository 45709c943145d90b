#include "cryptcommon.h"

#include <sodium.h>

#include "plugins/gstwzp/wzpcryptcontext.h"
#include "plugins/gstwzp/wzpmeta.h"

namespace wzp::gst {

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
