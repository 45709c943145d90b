#pragma once

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_WZP_QUIC_SRC (gst_wzp_quic_src_get_type())
G_DECLARE_FINAL_TYPE(GstWzpQuicSrc, gst_wzp_quic_src, GST, WZP_QUIC_SRC, GstPushSrc)

G_END_DECLS
