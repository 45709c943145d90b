// Inside wzpvoicedec: lays the decoded audio of both codec branches end to
// end on one 48 kHz timeline (libwzp/quality VoiceJoiner). Not registered as
// an element of its own: it only makes sense behind wzpvoicedec's branches.
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_WZP_VOICE_JOIN (gst_wzp_voice_join_get_type())
G_DECLARE_FINAL_TYPE(GstWzpVoiceJoin, gst_wzp_voice_join, GST, WZP_VOICE_JOIN, GstElement)

// The join's counters (samples-filled, samples-trimmed, gaps-skipped,
// source-switches, largest-step) as a new structure named `name`.
GstStructure *gst_wzp_voice_join_stats(GstWzpVoiceJoin *join, const char *name);

G_END_DECLS
