#pragma once

#include <gst/audio/gstaudiodecoder.h>

G_BEGIN_DECLS

#define GST_TYPE_WZP_CODEC2_DEC (gst_wzp_codec2_dec_get_type())
G_DECLARE_FINAL_TYPE(GstWzpCodec2Dec, gst_wzp_codec2_dec, GST, WZP_CODEC2_DEC, GstAudioDecoder)

G_END_DECLS
