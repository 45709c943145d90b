#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_WZP_DECRYPT (gst_wzp_decrypt_get_type())
G_DECLARE_FINAL_TYPE(GstWzpDecrypt, gst_wzp_decrypt, GST, WZP_DECRYPT, GstElement)
GST_ELEMENT_REGISTER_DECLARE(wzpdecrypt);

G_END_DECLS
