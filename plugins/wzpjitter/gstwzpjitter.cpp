// The wzpjitter plugin: the adaptive jitter buffer element.
#include <gst/gst.h>

#include "plugins/wzpjitter/gstwzpjitterbuffer.h"

static gboolean plugin_init(GstPlugin *plugin) {
  return gst_element_register(plugin, "wzpjitterbuffer", GST_RANK_NONE, GST_TYPE_WZP_JITTER_BUFFER);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, wzpjitter, "wzp adaptive jitter buffer",
                  plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
