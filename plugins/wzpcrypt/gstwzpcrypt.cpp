// The wzpcrypt plugin: end-to-end media encryption for wzp packets.
#include <gst/gst.h>

#include "gstwzpdecrypt.h"
#include "gstwzpencrypt.h"

static gboolean plugin_init(GstPlugin *plugin) {
  gboolean ok = GST_ELEMENT_REGISTER(wzpencrypt, plugin);
  ok |= GST_ELEMENT_REGISTER(wzpdecrypt, plugin);
  return ok;
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, wzpcrypt,
                  "wzp end-to-end media encryption (ChaCha20-Poly1305)", plugin_init, VERSION,
                  GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
