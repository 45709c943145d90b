/**
 * SECTION:element-wzpvoicedec
 *
 * Decodes Opus or Codec2 frames, whichever arrive, into one continuous
 * stream of 48 kHz mono S16LE: the receive side of wzpvoiceenc. The input
 * caps may change mid-stream (a tier change on the sender); each change
 * routes the frames to the matching stock decoder (opusdec, wzpcodec2dec)
 * with an output-selector, and both decoders' audio is laid on one timeline
 * again: samples that overlap are trimmed, a hole is filled, and the step
 * where one codec's audio meets the other's bleeds off over 2.5 ms instead
 * of clicking. GAP events (lost frames, as wzpjitterbuffer sends them)
 * become each decoder's concealment, and so does a hole in the input's
 * timestamps that no GAP event covers (up to 1 s): Opus DTX silence comes out
 * as opusdec's comfort noise and Codec2's as the SID frames' comfort noise.
 *
 * It can play a frame shorter (time compression, libwzp/audio/time_compress.hpp)
 * and says so to wzpjitterbuffer (plugins/gstwzp/wzpcompress.h): a frame the
 * jitter buffer asks to shorten loses whole pitch periods of its decoded
 * audio where it is periodic, or a quiet stretch, and the buffer hears what
 * was removed, so it lowers its delay without dropping a frame.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 wzpquicsrc ! wzpdecrypt ! wzpfecdec ! wzpjitterbuffer ! \
 *     wzpvoicedec ! autoaudiosink
 * ]| A call's receive side, following the sender through every tier.
 * |[
 * gst-launch-1.0 audiotestsrc wave=sine num-buffers=200 ! wzpvoiceenc codec=codec2 ! \
 *     wzpvoicedec ! wavenc ! filesink location=out.wav
 * ]| A tone through Codec2 and back.
 */
#include "plugins/wzpvoice/gstwzpvoicedec.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <span>

#include "libwzp/audio/time_compress.hpp"
#include "plugins/gstwzp/wzpcompress.h"
#include "plugins/wzpvoice/gstwzpvoicejoin.h"
#include "plugins/wzpvoice/wzpvoicebin.h"

GST_DEBUG_CATEGORY_STATIC(wzp_voice_dec_debug);
#define GST_CAT_DEFAULT wzp_voice_dec_debug

namespace {

enum { PROP_0, PROP_STATS };

constexpr int kOpus = 0;
constexpr int kCodec2 = 1;
constexpr GstClockTime kDefaultFrame = 20 * GST_MSECOND;
// Longer holes in the input are a restart, not silence: the join jumps.
constexpr GstClockTime kMaxHoleConcealed = GST_SECOND;
// Shorter ones (rounding) are the join's: a decoder may conceal a whole frame.
constexpr GstClockTime kMinHoleConcealed = GST_MSECOND;

struct Private {
  std::mutex state_mutex;
  int routed = -1;                               // branch the current caps go to
  bool segment_pending = false;                  // the routed branch has had no buffer since
  GstClockTime input_end = GST_CLOCK_TIME_NONE;  // of the last input buffer or GAP
  GstClockTime input_frame = kDefaultFrame;      // the last input buffer's length
  guint64 holes_concealed = 0;
  guint64 hole_time_concealed = 0;  // ns
  guint64 caps_rejected = 0;
  // Time compression: what the jitter buffer allows off the next frame, then
  // off the routed branch's audio for the frame being decoded.
  int64_t compress_next = 0;
  int64_t compress_now = 0;
  int compress_branch = -1;
  guint64 frames_compressed = 0;
  guint64 time_compressed = 0;  // ns
  GstPad *ghost_sink = nullptr;
  // What each branch's decoded-audio probe is given.
  struct Branch {
    Private *priv;
    int index;
  } branches[2] = {{this, 0}, {this, 1}};

  GstElement *selector = nullptr;
  GstPad *branch_pads[2] = {nullptr, nullptr};  // the selector's source pads
  GstElement *join = nullptr;
  // Where each branch's decoded audio ended, as audioresample's input: only
  // that branch's streaming thread touches its entry.
  GstClockTime decoded_end[2] = {GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE};
  bool complete = false;
};

}  // namespace

struct _GstWzpVoiceDec {
  GstBin parent;
  Private *priv;
};

G_DEFINE_TYPE(GstWzpVoiceDec, gst_wzp_voice_dec, GST_TYPE_BIN)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-opus; audio/x-codec2, mode = (string) { 3200, 2400, 1600, 1400, "
                    "1300, 1200, 700C }"));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS("audio/x-raw, format = (string) S16LE, "
                                            "rate = (int) 48000, channels = (int) 1, "
                                            "layout = (string) interleaved"));

// The segment the routed branch has not had yet, if it has had no buffer
// since the switch: due before anything that makes its decoder output audio
// (a GAP event). Called with the state lock.
static GstEvent *take_pending_segment(Private &p, GstPad *input, GstPad **branch) {
  GstEvent *segment = nullptr;
  if (p.segment_pending && p.routed >= 0) {
    segment = gst_pad_get_sticky_event(input, GST_EVENT_SEGMENT, 0);
    *branch = p.branch_pads[p.routed];
  }
  p.segment_pending = false;
  return segment;
}

// New caps choose the branch before anything checks them: the selector
// accepts only what its active branch does.
static GstPadProbeReturn on_input_event(GstPad *pad, GstPadProbeInfo *info, gpointer user_data) {
  auto *self = GST_WZP_VOICE_DEC(user_data);
  Private &p = *self->priv;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) == GST_EVENT_SEGMENT || GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) {
    std::lock_guard lock(p.state_mutex);
    p.segment_pending = false;  // a segment goes on to the routed branch itself
    p.input_end = GST_CLOCK_TIME_NONE;
    return GST_PAD_PROBE_OK;
  }
  if (GST_EVENT_TYPE(event) == GST_EVENT_CUSTOM_DOWNSTREAM) {
    int64_t allowed = wzp::gst::compress::event_time(event, wzp::gst::compress::kRequestName);
    if (allowed < 0) return GST_PAD_PROBE_OK;
    std::lock_guard lock(p.state_mutex);
    p.compress_next = allowed;
    return GST_PAD_PROBE_DROP;  // ours: the decoders inside have no use for it
  }
  if (GST_EVENT_TYPE(event) == GST_EVENT_GAP) {
    GstClockTime start, duration;
    gst_event_parse_gap(event, &start, &duration);
    GstEvent *segment = nullptr;
    GstPad *branch = nullptr;
    {
      std::lock_guard lock(p.state_mutex);
      if (GST_CLOCK_TIME_IS_VALID(start) && GST_CLOCK_TIME_IS_VALID(duration)) {
        p.input_end = start + duration;
      }
      segment = take_pending_segment(p, pad, &branch);
    }
    if (segment != nullptr) gst_pad_push_event(branch, segment);
    return GST_PAD_PROBE_OK;
  }
  if (GST_EVENT_TYPE(event) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
  GstCaps *caps;
  gst_event_parse_caps(event, &caps);
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  int branch = -1;
  if (gst_structure_has_name(s, "audio/x-opus")) branch = kOpus;
  if (gst_structure_has_name(s, "audio/x-codec2")) branch = kCodec2;
  std::lock_guard lock(p.state_mutex);
  if (branch < 0) {
    ++p.caps_rejected;  // the template check upstream normally stops these
    return GST_PAD_PROBE_OK;
  }
  if (branch != p.routed) {
    GST_INFO_OBJECT(self, "now decoding %s", branch == kOpus ? "Opus" : "Codec2");
    // The selector sends the new caps to the branch at once but its stream
    // start and segment only with the next buffer: send the stream start
    // now, and the segment if a GAP event (silence, a lost frame) comes
    // before any buffer, since the decoder answers a GAP with audio.
    GstEvent *start = gst_pad_get_sticky_event(pad, GST_EVENT_STREAM_START, 0);
    GstEvent *had = gst_pad_get_sticky_event(p.branch_pads[branch], GST_EVENT_STREAM_START, 0);
    if (start != nullptr && had == nullptr) {
      gst_pad_push_event(p.branch_pads[branch], start);
    } else if (start != nullptr) {
      gst_event_unref(start);
    }
    if (had != nullptr) gst_event_unref(had);
    p.segment_pending = true;
    g_object_set(p.selector, "active-pad", p.branch_pads[branch], nullptr);
    p.routed = branch;
    // The new decoder has no past to conceal from: the hole a codec switch
    // leaves is the join's to fill.
    p.input_end = GST_CLOCK_TIME_NONE;
  }
  return GST_PAD_PROBE_OK;
}

// Either codec is welcome at any time, whichever branch is active now.
// A hole in the input's timeline (time no buffer or GAP event covered, such
// as a jitter buffer leaves when it re-anchors after silence) becomes GAP
// events, one frame each, before the buffer after it: the decoder fills it
// with its concealment or comfort noise, not the join with a fade to silence.
static GstPadProbeReturn on_input_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer user_data) {
  Private &p = *GST_WZP_VOICE_DEC(user_data)->priv;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  const GstClockTime pts = GST_BUFFER_PTS(buffer);
  GstClockTime hole_start = 0, hole_end = 0, frame = 0;
  GstEvent *segment = nullptr;
  GstPad *branch = nullptr;
  {
    std::lock_guard lock(p.state_mutex);
    if (GST_CLOCK_TIME_IS_VALID(pts) && GST_CLOCK_TIME_IS_VALID(p.input_end) &&
        pts >= p.input_end + kMinHoleConcealed && pts - p.input_end <= kMaxHoleConcealed &&
        p.routed >= 0) {
      hole_start = p.input_end;
      hole_end = pts;
      frame = p.input_frame;
      branch = p.branch_pads[p.routed];
      ++p.holes_concealed;
      p.hole_time_concealed += hole_end - hole_start;
      segment = take_pending_segment(p, pad, &branch);
    }
    p.segment_pending = false;  // the selector sends the segment with the buffer
    if (GST_BUFFER_DURATION_IS_VALID(buffer) && GST_BUFFER_DURATION(buffer) > 0) {
      p.input_frame = GST_BUFFER_DURATION(buffer);
    }
    if (GST_CLOCK_TIME_IS_VALID(pts)) p.input_end = pts + p.input_frame;
    // The frame decodes in this thread before the push returns.
    p.compress_now = p.compress_next;
    p.compress_branch = p.routed;
    p.compress_next = 0;
  }
  if (segment != nullptr) gst_pad_push_event(branch, segment);
  for (GstClockTime t = hole_start; t < hole_end; t += frame) {
    gst_pad_push_event(branch, gst_event_new_gap(t, std::min(frame, hole_end - t)));
  }
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn on_input_query(GstPad *, GstPadProbeInfo *info, gpointer) {
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY(info);
  if (wzp::gst::compress::is_query(query)) return GST_PAD_PROBE_HANDLED;  // yes, we compress
  GstCaps *accepted = gst_static_pad_template_get_caps(&sink_template);
  GstPadProbeReturn handled = GST_PAD_PROBE_HANDLED;
  if (GST_QUERY_TYPE(query) == GST_QUERY_CAPS) {
    GstCaps *filter;
    gst_query_parse_caps(query, &filter);
    GstCaps *result = filter != nullptr
                          ? gst_caps_intersect_full(filter, accepted, GST_CAPS_INTERSECT_FIRST)
                          : gst_caps_ref(accepted);
    gst_query_set_caps_result(query, result);
    gst_caps_unref(result);
  } else if (GST_QUERY_TYPE(query) == GST_QUERY_ACCEPT_CAPS) {
    GstCaps *caps;
    gst_query_parse_accept_caps(query, &caps);
    gst_query_set_accept_caps_result(query, gst_caps_is_subset(caps, accepted));
  } else {
    handled = GST_PAD_PROBE_OK;
  }
  gst_caps_unref(accepted);
  return handled;
}

// audioresample takes a buffer that starts within 1/32 s of where the last
// one ended as continuing it, and times its output by its own sample count
// (gst_audio_resample_check_discont). So an overlap shorter than that, the
// jitter buffer lowering its delay, would stay in the Codec2 branch's output
// and never reach the join to be trimmed: the output would keep the delay
// the jitter buffer gave up. A DISCONT flag makes audioresample take the
// buffer's own timestamp.
static GstPadProbeReturn on_decoded(GstPad *, GstPadProbeInfo *info, gpointer user_data) {
  auto *end = static_cast<GstClockTime *>(user_data);
  if (info->type & (GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM | GST_PAD_PROBE_TYPE_EVENT_FLUSH)) {
    const GstEventType type = GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info));
    if (type == GST_EVENT_SEGMENT || type == GST_EVENT_FLUSH_STOP) *end = GST_CLOCK_TIME_NONE;
    return GST_PAD_PROBE_OK;
  }
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  const GstClockTime pts = GST_BUFFER_PTS(buffer);
  if (GST_CLOCK_TIME_IS_VALID(pts) && GST_CLOCK_TIME_IS_VALID(*end) &&
      (pts + kMinHoleConcealed <= *end || pts >= *end + kMinHoleConcealed) &&
      !GST_BUFFER_IS_DISCONT(buffer)) {
    buffer = gst_buffer_make_writable(buffer);
    GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
  }
  *end = GST_CLOCK_TIME_IS_VALID(pts) && GST_BUFFER_DURATION_IS_VALID(buffer)
             ? pts + GST_BUFFER_DURATION(buffer)
             : GST_CLOCK_TIME_NONE;
  return GST_PAD_PROBE_OK;
}

// A branch's decoded audio for the frame the jitter buffer allowed to play
// shorter: compressed, and what was removed reported upstream (always, so
// the buffer knows the request was seen). At the decoder's own rate, before
// audioresample: a shorter buffer there leaves the resampler's input
// continuous, where cutting its output would make the next frame overlap.
static GstPadProbeReturn on_decoded_audio(GstPad *pad, GstPadProbeInfo *info, gpointer user_data) {
  auto *branch = static_cast<Private::Branch *>(user_data);
  Private &p = *branch->priv;
  int64_t allowed = 0;
  {
    std::lock_guard lock(p.state_mutex);
    if (p.compress_branch != branch->index || p.compress_now <= 0) return GST_PAD_PROBE_OK;
    allowed = p.compress_now;
    p.compress_now = 0;
  }
  // Both decoders give mono S16LE, which audioconvert passes on.
  int rate = 0, channels = 0;
  GstCaps *caps = gst_pad_get_current_caps(pad);
  if (caps != nullptr) {
    const GstStructure *s = gst_caps_get_structure(caps, 0);
    gst_structure_get_int(s, "rate", &rate);
    gst_structure_get_int(s, "channels", &channels);
    if (g_strcmp0(gst_structure_get_string(s, "format"), "S16LE") != 0) channels = 0;
    gst_caps_unref(caps);
  }
  size_t removed = 0;
  size_t samples = 0;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  if (rate > 0 && channels == 1) {
    buffer = gst_buffer_make_writable(buffer);
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
    GstMapInfo map;
    if (gst_buffer_map(buffer, &map, GST_MAP_READWRITE)) {
      samples = map.size / sizeof(int16_t);
      wzp::audio::CompressConfig config;
      config.rate = static_cast<uint32_t>(rate);
      removed = wzp::audio::compress_frame(
          std::span<int16_t>(reinterpret_cast<int16_t *>(map.data), samples),
          gst_util_uint64_scale(allowed, rate, GST_SECOND), config);
      gst_buffer_unmap(buffer, &map);
    }
  }
  const auto removed_ns =
      removed > 0 ? static_cast<int64_t>(gst_util_uint64_scale(removed, GST_SECOND, rate)) : 0;
  if (removed > 0) {
    gst_buffer_resize(buffer, 0, static_cast<gssize>((samples - removed) * sizeof(int16_t)));
    GST_BUFFER_DURATION(buffer) = gst_util_uint64_scale(samples - removed, GST_SECOND, rate);
    std::lock_guard lock(p.state_mutex);
    ++p.frames_compressed;
    p.time_compressed += static_cast<guint64>(removed_ns);
    // The next frame starts that much earlier: not a hole.
    if (GST_CLOCK_TIME_IS_VALID(p.input_end)) p.input_end -= static_cast<GstClockTime>(removed_ns);
  }
  gst_pad_push_event(p.ghost_sink, wzp::gst::compress::report_new(removed_ns));
  return GST_PAD_PROBE_OK;
}

static GstElement *make_child(GstWzpVoiceDec *self, const char *factory) {
  return wzp_voice_bin_add_child(GST_ELEMENT(self), factory, nullptr, GST_CAT_DEFAULT);
}

// decoder ! audioconvert ! audioresample ! capsfilter(48 kHz mono S16LE)
// between the selector's pad and the join's sink pad `branch`.
static bool build_branch(GstWzpVoiceDec *self, int branch, const char *decoder_factory) {
  Private &p = *self->priv;
  GstElement *decoder = make_child(self, decoder_factory);
  GstElement *convert = make_child(self, "audioconvert");
  GstElement *resample = make_child(self, "audioresample");
  GstElement *filter = make_child(self, "capsfilter");
  if (decoder == nullptr || convert == nullptr || resample == nullptr || filter == nullptr) {
    return false;
  }
  // Concealment for GAP events and lost frames in both decoders.
  g_object_set(decoder, "plc", TRUE, nullptr);
  GstCaps *caps = gst_static_pad_template_get_caps(&src_template);
  g_object_set(filter, "caps", caps, nullptr);
  gst_caps_unref(caps);
  p.branch_pads[branch] = gst_element_request_pad_simple(p.selector, "src_%u");
  GstPad *decoder_sink = gst_element_get_static_pad(decoder, "sink");
  GstPad *filter_src = gst_element_get_static_pad(filter, "src");
  gchar *join_pad_name = g_strdup_printf("sink_%d", branch);
  GstPad *join_sink = gst_element_get_static_pad(p.join, join_pad_name);
  g_free(join_pad_name);
  bool ok = gst_pad_link(p.branch_pads[branch], decoder_sink) == GST_PAD_LINK_OK &&
            gst_element_link_many(decoder, convert, resample, filter, nullptr) &&
            gst_pad_link(filter_src, join_sink) == GST_PAD_LINK_OK;
  gst_object_unref(decoder_sink);
  gst_object_unref(filter_src);
  gst_object_unref(join_sink);
  GstPad *resample_sink = gst_element_get_static_pad(resample, "sink");
  // Before on_decoded, which notes where the (shortened) audio ends.
  gst_pad_add_probe(resample_sink, GST_PAD_PROBE_TYPE_BUFFER, on_decoded_audio,
                    &self->priv->branches[branch], nullptr);
  gst_pad_add_probe(
      resample_sink,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM |
                                   GST_PAD_PROBE_TYPE_EVENT_FLUSH),
      on_decoded, &p.decoded_end[branch], nullptr);
  gst_object_unref(resample_sink);
  return ok;
}

static bool build(GstWzpVoiceDec *self) {
  Private &p = *self->priv;
  p.selector = make_child(self, "output-selector");
  if (p.selector == nullptr) return false;
  // Caps go to the branch they are for, not to both decoders.
  gst_util_set_object_arg(G_OBJECT(p.selector), "pad-negotiation-mode", "active");
  p.join = GST_ELEMENT(g_object_new(GST_TYPE_WZP_VOICE_JOIN, "name", "join", nullptr));
  gst_bin_add(GST_BIN(self), p.join);
  if (!build_branch(self, kOpus, "opusdec") || !build_branch(self, kCodec2, "wzpcodec2dec")) {
    GST_ERROR_OBJECT(self, "could not build the decoder branches");
    return false;
  }
  GstPad *sink = gst_element_get_static_pad(p.selector, "sink");
  // The decoders' caps queries add the rate and channels of their output,
  // which Codec2 caps do not carry: the selector must not insist on them
  // (the decoders check their own templates).
  GST_PAD_SET_ACCEPT_TEMPLATE(sink);
  GstPad *src = gst_element_get_static_pad(p.join, "src");
  GstPad *ghost_sink = wzp_voice_bin_expose(GST_ELEMENT(self), "sink", sink, &sink_template);
  p.ghost_sink = ghost_sink;
  gst_pad_add_probe(ghost_sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_input_event, self, nullptr);
  gst_pad_add_probe(ghost_sink, GST_PAD_PROBE_TYPE_BUFFER, on_input_buffer, self, nullptr);
  gst_pad_add_probe(ghost_sink, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, on_input_query, nullptr,
                    nullptr);
  wzp_voice_bin_expose(GST_ELEMENT(self), "src", src, &src_template);
  gst_object_unref(sink);
  gst_object_unref(src);
  return true;
}

// The join's counters and the decoders' own concealment counts.
static GstStructure *make_stats(GstWzpVoiceDec *self) {
  Private &p = *self->priv;
  GstStructure *stats = p.join != nullptr
                            ? gst_wzp_voice_join_stats(GST_WZP_VOICE_JOIN(p.join),
                                                       "application/x-wzp-voice-dec-stats")
                            : gst_structure_new_empty("application/x-wzp-voice-dec-stats");
  std::lock_guard lock(p.state_mutex);
  gst_structure_set(stats, "codec", G_TYPE_STRING,
                    p.routed == kOpus     ? "opus"
                    : p.routed == kCodec2 ? "codec2"
                                          : "none",
                    "caps-rejected", G_TYPE_UINT64, p.caps_rejected, "holes-concealed",
                    G_TYPE_UINT64, p.holes_concealed, "hole-time-concealed", G_TYPE_UINT64,
                    p.hole_time_concealed, "compressed", G_TYPE_UINT64, p.frames_compressed,
                    "compressed-time", G_TYPE_UINT64, p.time_compressed, nullptr);
  return stats;
}

static void gst_wzp_voice_dec_get_property(GObject *object, guint id, GValue *value,
                                           GParamSpec *pspec) {
  if (id == PROP_STATS) {
    g_value_take_boxed(value, make_stats(GST_WZP_VOICE_DEC(object)));
    return;
  }
  G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
}

static GstStateChangeReturn gst_wzp_voice_dec_change_state(GstElement *element,
                                                           GstStateChange transition) {
  auto *self = GST_WZP_VOICE_DEC(element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !self->priv->complete) {
    GST_ELEMENT_ERROR(self, CORE, MISSING_PLUGIN, ("wzpvoicedec is missing an inner element"),
                      ("needs output-selector, opusdec, wzpcodec2dec, audioconvert and "
                       "audioresample"));
    return GST_STATE_CHANGE_FAILURE;
  }
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    std::lock_guard lock(self->priv->state_mutex);
    self->priv->routed = -1;
  }
  return GST_ELEMENT_CLASS(gst_wzp_voice_dec_parent_class)->change_state(element, transition);
}

static void gst_wzp_voice_dec_finalize(GObject *object) {
  Private *p = GST_WZP_VOICE_DEC(object)->priv;
  for (GstPad *pad : p->branch_pads) {
    if (pad != nullptr) gst_object_unref(pad);
  }
  delete p;
  G_OBJECT_CLASS(gst_wzp_voice_dec_parent_class)->finalize(object);
}

static void gst_wzp_voice_dec_init(GstWzpVoiceDec *self) {
  self->priv = new Private();
  self->priv->complete = build(self);
}

static void gst_wzp_voice_dec_class_init(GstWzpVoiceDecClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(wzp_voice_dec_debug, "wzpvoicedec", 0, "wzp switching voice decoder");

  gobject_class->get_property = gst_wzp_voice_dec_get_property;
  gobject_class->finalize = gst_wzp_voice_dec_finalize;
  element_class->change_state = gst_wzp_voice_dec_change_state;

  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "codec (being decoded), codec-switches, samples-filled (holes in the "
                         "decoded timeline filled), samples-trimmed (overlap cut), gaps-skipped "
                         "(holes over 1 s left as a jump), largest-step (biggest sample step "
                         "where audio was joined, before smoothing), caps-rejected, and "
                         "holes-concealed and hole-time-concealed (ns): holes up to 1 s in the "
                         "input's timeline that no buffer or GAP event covered, sent to the "
                         "decoder as GAP events; compressed and compressed-time (ns): frames "
                         "played shorter for the jitter buffer, and the time removed",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "wzp voice decoder", "Codec/Decoder/Audio",
      "Decodes Opus or Codec2 as the caps say into one continuous 48 kHz stream. Example: "
      "gst-launch-1.0 audiotestsrc ! wzpvoiceenc ! wzpfecenc ! wzpfecdec ! wzpjitterbuffer ! "
      "wzpvoicedec ! autoaudiosink",
      WZP_AUTHOR);
}
