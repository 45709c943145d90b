#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_WZP_VOICE_DEC (gst_wzp_voice_dec_get_type())
G_DECLARE_FINAL_TYPE(GstWzpVoiceDec, gst_wzp_voice_dec, GST, WZP_VOICE_DEC, GstBin)

G_END_DECLS
