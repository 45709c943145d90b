#pragma once

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define GST_TYPE_WZP_QUIC_SINK (gst_wzp_quic_sink_get_type())
G_DECLARE_FINAL_TYPE(GstWzpQuicSink, gst_wzp_quic_sink, GST, WZP_QUIC_SINK, GstBaseSink)

G_END_DECLS
