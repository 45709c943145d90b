// The wzpcodec2 plugin: Codec2 encoder and decoder (Debian's GStreamer has none).
#include <gst/gst.h>

#include "plugins/wzpcodec2/gstwzpcodec2dec.h"
#include "plugins/wzpcodec2/gstwzpcodec2enc.h"

static gboolean plugin_init(GstPlugin *plugin) {
  return gst_element_register(plugin, "wzpcodec2enc", GST_RANK_NONE, GST_TYPE_WZP_CODEC2_ENC) &&
         gst_element_register(plugin, "wzpcodec2dec", GST_RANK_NONE, GST_TYPE_WZP_CODEC2_DEC);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, wzpcodec2,
                  "Codec2 speech encoder and decoder with loss concealment", plugin_init, VERSION,
                  GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
