#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_WZP_FEC_ENC (gst_wzp_fec_enc_get_type())
G_DECLARE_FINAL_TYPE(GstWzpFecEnc, gst_wzp_fec_enc, GST, WZP_FEC_ENC, GstElement)
GST_ELEMENT_REGISTER_DECLARE(wzpfecenc);

G_END_DECLS
