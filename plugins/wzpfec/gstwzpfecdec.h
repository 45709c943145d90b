#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_WZP_FEC_DEC (gst_wzp_fec_dec_get_type())
G_DECLARE_FINAL_TYPE(GstWzpFecDec, gst_wzp_fec_dec, GST, WZP_FEC_DEC, GstElement)
GST_ELEMENT_REGISTER_DECLARE(wzpfecdec);

G_END_DECLS
