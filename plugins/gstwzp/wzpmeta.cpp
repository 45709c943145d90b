#include "plugins/gstwzp/wzpmeta.h"

namespace {

gboolean header_meta_init(GstMeta *meta, gpointer, GstBuffer *) {
  auto *m = reinterpret_cast<WzpHeaderMeta *>(meta);
  m->header = wzp::wire::MediaHeader{};
  m->has_report = FALSE;
  m->report = wzp::wire::QualityReport{};
  m->header_size = 0;
  return TRUE;
}

gboolean header_meta_transform(GstBuffer *dest, GstMeta *meta, GstBuffer *, GQuark type,
                               gpointer data) {
  auto *m = reinterpret_cast<WzpHeaderMeta *>(meta);
  if (GST_META_TRANSFORM_IS_COPY(type)) {
    auto *copy = static_cast<GstMetaTransformCopy *>(data);
    // A partial copy no longer starts with the header.
    guint header_size = copy->region ? 0 : m->header_size;
    wzp_buffer_set_header_meta(dest, m->header, m->has_report ? &m->report : nullptr, header_size);
    return TRUE;
  }
  return FALSE;
}

}  // namespace

GType wzp_header_meta_api_get_type(void) {
  static GType type = 0;
  static const gchar *tags[] = {nullptr};
  if (g_once_init_enter(&type)) {
    GType registered = gst_meta_api_type_register("WzpHeaderMetaAPI", tags);
    g_once_init_leave(&type, registered);
  }
  return type;
}

const GstMetaInfo *wzp_header_meta_get_info(void) {
  static const GstMetaInfo *info = nullptr;
  if (g_once_init_enter(&info)) {
    const GstMetaInfo *registered =
        gst_meta_register(WZP_HEADER_META_API_TYPE, "WzpHeaderMeta", sizeof(WzpHeaderMeta),
                          header_meta_init, nullptr, header_meta_transform);
    g_once_init_leave(&info, registered);
  }
  return info;
}

WzpHeaderMeta *wzp_buffer_set_header_meta(GstBuffer *buffer, const wzp::wire::MediaHeader &header,
                                          const wzp::wire::QualityReport *report,
                                          guint header_size) {
  auto *meta = wzp_buffer_get_header_meta(buffer);
  if (meta == nullptr) {
    meta = reinterpret_cast<WzpHeaderMeta *>(
        gst_buffer_add_meta(buffer, WZP_HEADER_META_INFO, nullptr));
  }
  meta->header = header;
  meta->has_report = report != nullptr;
  meta->report = report != nullptr ? *report : wzp::wire::QualityReport{};
  meta->header_size = header_size;
  return meta;
}

WzpHeaderMeta *wzp_buffer_get_header_meta(GstBuffer *buffer) {
  return reinterpret_cast<WzpHeaderMeta *>(gst_buffer_get_meta(buffer, WZP_HEADER_META_API_TYPE));
}
