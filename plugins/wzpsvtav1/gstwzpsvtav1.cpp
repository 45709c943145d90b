// The wzpsvtav1 plugin: a real-time AV1 encoder on SVT-AV1 (Debian's
// GStreamer has no svtav1enc).
#include <gst/gst.h>

#include "plugins/wzpsvtav1/gstwzpsvtav1enc.h"

static gboolean plugin_init(GstPlugin *plugin) {
  return gst_element_register(plugin, "wzpsvtav1enc", GST_RANK_NONE, GST_TYPE_WZP_SVTAV1_ENC);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, wzpsvtav1,
                  "Low-delay AV1 encoder on SVT-AV1", plugin_init, VERSION, GST_LICENSE,
                  GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
