#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_WZP_DEMUX (gst_wzp_demux_get_type())
G_DECLARE_FINAL_TYPE(GstWzpDemux, gst_wzp_demux, GST, WZP_DEMUX, GstElement)
GST_ELEMENT_REGISTER_DECLARE(wzpdemux);

G_END_DECLS
