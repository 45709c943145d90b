// wzpjitterbuffer: reorders wzp frames and plays them out at an adaptive
// delay; see gstwzpjitterbuffer.cpp for the element documentation.
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_WZP_JITTER_BUFFER (gst_wzp_jitter_buffer_get_type())
G_DECLARE_FINAL_TYPE(GstWzpJitterBuffer, gst_wzp_jitter_buffer, GST, WZP_JITTER_BUFFER, GstElement)

#define GST_TYPE_WZP_JITTER_MODE (gst_wzp_jitter_mode_get_type())
GType gst_wzp_jitter_mode_get_type(void);

G_END_DECLS
