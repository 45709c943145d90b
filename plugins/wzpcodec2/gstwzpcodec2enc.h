#pragma once

#include <gst/audio/gstaudioencoder.h>

G_BEGIN_DECLS

#define GST_TYPE_WZP_CODEC2_ENC (gst_wzp_codec2_enc_get_type())
G_DECLARE_FINAL_TYPE(GstWzpCodec2Enc, gst_wzp_codec2_enc, GST, WZP_CODEC2_ENC, GstAudioEncoder)

G_END_DECLS
