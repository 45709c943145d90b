#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_WZP_VOICE_ENC (gst_wzp_voice_enc_get_type())
G_DECLARE_FINAL_TYPE(GstWzpVoiceEnc, gst_wzp_voice_enc, GST, WZP_VOICE_ENC, GstBin)

#define GST_TYPE_WZP_VOICE_CODEC (gst_wzp_voice_codec_get_type())
GType gst_wzp_voice_codec_get_type(void);

G_END_DECLS
