// The wzpfec plugin: RaptorQ FEC for wzp media streams (wzpfecenc, wzpfecdec).
#include <gst/gst.h>

#include "gstwzpfecdec.h"
#include "gstwzpfecenc.h"

static gboolean plugin_init(GstPlugin *plugin) {
  gboolean ok = GST_ELEMENT_REGISTER(wzpfecenc, plugin);
  ok |= GST_ELEMENT_REGISTER(wzpfecdec, plugin);
  return ok;
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, wzpfec,
                  "RaptorQ forward error correction for wzp media streams", plugin_init, VERSION,
                  GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
