#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_WZP_ENCRYPT (gst_wzp_encrypt_get_type())
G_DECLARE_FINAL_TYPE(GstWzpEncrypt, gst_wzp_encrypt, GST, WZP_ENCRYPT, GstElement)
GST_ELEMENT_REGISTER_DECLARE(wzpencrypt);

G_END_DECLS
