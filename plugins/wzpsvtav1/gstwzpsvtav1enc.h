#pragma once

#include <gst/video/gstvideoencoder.h>

G_BEGIN_DECLS

#define GST_TYPE_WZP_SVTAV1_ENC (gst_wzp_svtav1_enc_get_type())
G_DECLARE_FINAL_TYPE(GstWzpSvtav1Enc, gst_wzp_svtav1_enc, GST, WZP_SVTAV1_ENC, GstVideoEncoder)

G_END_DECLS
