// The wzpvoice plugin: a voice encoder and decoder that follow the quality
// ladder's tier changes, codec included, mid-call.
#include <gst/gst.h>

#include "plugins/wzpvoice/gstwzpvoicedec.h"
#include "plugins/wzpvoice/gstwzpvoiceenc.h"

static gboolean plugin_init(GstPlugin *plugin) {
  return gst_element_register(plugin, "wzpvoiceenc", GST_RANK_NONE, GST_TYPE_WZP_VOICE_ENC) &&
         gst_element_register(plugin, "wzpvoicedec", GST_RANK_NONE, GST_TYPE_WZP_VOICE_DEC);
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, wzpvoice,
                  "Voice encoding and decoding that switch codec, bit rate and frame length "
                  "seamlessly",
                  plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
