#pragma once

#include <gst/video/gstvideodecoder.h>

G_BEGIN_DECLS

#define GST_TYPE_WZP_DAV1D_DEC (gst_wzp_dav1d_dec_get_type())
G_DECLARE_FINAL_TYPE(GstWzpDav1dDec, gst_wzp_dav1d_dec, GST, WZP_DAV1D_DEC, GstVideoDecoder)

G_END_DECLS
