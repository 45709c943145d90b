// WzpHeaderMeta: the parsed wire header riding along a buffer, so elements
// after the transport never parse a header twice.
//
// Whoever parses or builds a wzp packet attaches it (wzpquicsrc, wzpfecenc);
// wzpfecdec puts one on every frame it outputs (the frame's own sequence
// number and timestamp); wzpjitterbuffer reads it. `header_size` is the
// number of bytes at the start of the buffer that are header (0 on frames).
#pragma once

#include <gst/gst.h>

#include "libwzp/wire/header.hpp"

G_BEGIN_DECLS

// Caps of a buffer holding exactly one wzp wire packet.
#define WZP_PACKET_CAPS_NAME "application/x-wzp"

#define WZP_HEADER_META_API_TYPE (wzp_header_meta_api_get_type())
#define WZP_HEADER_META_INFO (wzp_header_meta_get_info())

struct WzpHeaderMeta {
  GstMeta meta;
  wzp::wire::MediaHeader header;
  gboolean has_report;
  wzp::wire::QualityReport report;
  guint header_size;
};

GType wzp_header_meta_api_get_type(void);
const GstMetaInfo *wzp_header_meta_get_info(void);

// Adds (or replaces) the header meta on a writable buffer.
WzpHeaderMeta *wzp_buffer_set_header_meta(GstBuffer *buffer, const wzp::wire::MediaHeader &header,
                                          const wzp::wire::QualityReport *report,
                                          guint header_size);
WzpHeaderMeta *wzp_buffer_get_header_meta(GstBuffer *buffer);

G_END_DECLS
