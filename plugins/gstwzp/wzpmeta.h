// WzpHeaderMeta: the parsed wire header riding along a buffer, so elements
// after the transport never parse a header twice.
//
// On packets (caps application/x-wzp): whoever parses or builds the packet
// attaches the meta (wzpquicsrc, wzpfecenc, ...); `header` is the packet's
// wire header and `header_size` the bytes of header and report at the start
// of the buffer.
//
// On frames (wzpfecdec's output, wzpjitterbuffer's input): `header.sequence`
// is the *frame number* — consecutive frames of a stream have consecutive
// numbers, whatever repair packets went between them, so a gap in it is a
// missing frame; `header.timestamp` is the frame's own media timestamp;
// `header.stream_id` and `header.codec` are the stream's; `header_size` is 0.
// A frame the FEC decoder knows it cannot recover may be sent on as an empty
// buffer flagged GST_BUFFER_FLAG_GAP carrying this meta, so the jitter buffer
// can declare it lost at once instead of waiting for it.
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
