// The wzpdav1d plugin: a low-latency AV1 decoder on dav1d (Debian's GStreamer
// has no dav1ddec).
#include <gst/gst.h>

#include "plugins/wzpdav1d/gstwzpdav1ddec.h"

static gboolean plugin_init(GstPlugin *plugin) {
  return gst_element_register(plugin, "wzpdav1ddec", GST_RANK_NONE, GST_TYPE_WZP_DAV1D_DEC);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, wzpdav1d,
                  "Low-latency AV1 decoder on dav1d", plugin_init, VERSION, GST_LICENSE,
                  GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
