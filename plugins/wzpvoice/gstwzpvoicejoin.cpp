#include "plugins/wzpvoice/gstwzpvoicejoin.h"

#include <cstring>
#include <mutex>

#include "libwzp/quality/voice_switch.hpp"

GST_DEBUG_CATEGORY_STATIC(wzp_voice_join_debug);
#define GST_CAT_DEFAULT wzp_voice_join_debug

namespace {

constexpr int kRate = 48000;
// A step bleeds off over 2.5 ms: long enough not to click, short enough not
// to smear speech.
constexpr size_t kRampSamples = kRate / 400;
// Longer holes are not filled: the output jumps ahead, marked DISCONT.
constexpr size_t kMaxFillSamples = kRate;

struct Private {
  std::mutex state_mutex;
  wzp::quality::VoiceJoiner joiner{kRampSamples, kMaxFillSamples};
  bool stream_started = false;
  bool caps_sent = false;
  bool eos_sent = false;
  GstSegment segment;
  bool have_segment = false;
};

}  // namespace

struct _GstWzpVoiceJoin {
  GstElement parent;
  GstPad *sinkpads[2];
  GstPad *srcpad;
  Private *priv;
};

G_DEFINE_TYPE(GstWzpVoiceJoin, gst_wzp_voice_join, GST_TYPE_ELEMENT)

#define JOIN_CAPS                                                                           \
  "audio/x-raw, format = (string) S16LE, rate = (int) 48000, channels = (int) 1, layout = " \
  "(string) interleaved"

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink_%u", GST_PAD_SINK, GST_PAD_SOMETIMES, GST_STATIC_CAPS(JOIN_CAPS));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(JOIN_CAPS));

static int source_of(GstWzpVoiceJoin *self, GstPad *pad) {
  return pad == self->sinkpads[0] ? 0 : 1;
}

static GstClockTime time_of(int64_t position) {
  return gst_util_uint64_scale_int_round(static_cast<guint64>(position), GST_SECOND, kRate);
}

// Stream start and caps go out once, before the first buffer: the output
// format never changes, whichever codec is decoding.
static void ensure_caps(GstWzpVoiceJoin *self) {
  Private &p = *self->priv;
  if (!p.caps_sent) {
    GstCaps *caps = gst_static_pad_template_get_caps(&src_template);
    gst_pad_push_event(self->srcpad, gst_event_new_caps(caps));
    gst_caps_unref(caps);
    p.caps_sent = true;
  }
}

static GstFlowReturn push_samples(GstWzpVoiceJoin *self, GstBuffer *buffer, int64_t position,
                                  size_t count, bool discont) {
  GST_BUFFER_PTS(buffer) = time_of(position);
  GST_BUFFER_DTS(buffer) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION(buffer) = time_of(position + static_cast<int64_t>(count)) - time_of(position);
  GST_BUFFER_OFFSET(buffer) = static_cast<guint64>(position);
  GST_BUFFER_OFFSET_END(buffer) = static_cast<guint64>(position) + count;
  if (discont) {
    GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
  } else {
    GST_BUFFER_FLAG_UNSET(buffer, GST_BUFFER_FLAG_DISCONT);
  }
  return gst_pad_push(self->srcpad, buffer);
}

static GstFlowReturn gst_wzp_voice_join_chain(GstPad *pad, GstObject *parent, GstBuffer *input) {
  auto *self = GST_WZP_VOICE_JOIN(parent);
  Private &p = *self->priv;
  const int source = source_of(self, pad);
  const size_t count = gst_buffer_get_size(input) / 2;
  std::unique_lock lock(p.state_mutex);
  ensure_caps(self);
  int64_t position = 0;
  if (GST_BUFFER_PTS_IS_VALID(input)) {
    position = static_cast<int64_t>(
        gst_util_uint64_scale_int_round(GST_BUFFER_PTS(input), kRate, GST_SECOND));
  } else if (p.joiner.next_position()) {
    position = *p.joiner.next_position();
  }
  const uint64_t skipped_before = p.joiner.gaps_skipped();
  const wzp::quality::JoinPlan plan = p.joiner.plan(position, count);
  const bool discont = p.joiner.gaps_skipped() != skipped_before;
  GstFlowReturn flow = GST_FLOW_OK;
  if (plan.fill > 0) {
    const int64_t fill_at = *p.joiner.next_position();
    GstBuffer *gap = gst_buffer_new_allocate(nullptr, plan.fill * 2, nullptr);
    GstMapInfo map;
    gst_buffer_map(gap, &map, GST_MAP_WRITE);
    p.joiner.fill(reinterpret_cast<int16_t *>(map.data), plan.fill);
    gst_buffer_unmap(gap, &map);
    GST_LOG_OBJECT(self, "filled %zu samples before source %d", plan.fill, source);
    flow = push_samples(self, gap, fill_at, plan.fill, false);
    if (flow != GST_FLOW_OK) {
      gst_buffer_unref(input);
      return flow;
    }
  }
  if (plan.skip >= count) {
    gst_buffer_unref(input);
    return GST_FLOW_OK;
  }
  const int64_t start = *p.joiner.next_position();
  GstBuffer *output = gst_buffer_make_writable(input);
  if (plan.skip > 0) gst_buffer_resize(output, static_cast<gssize>(plan.skip * 2), -1);
  const size_t kept = count - plan.skip;
  GstMapInfo map;
  if (!gst_buffer_map(output, &map, GST_MAP_READWRITE)) {
    gst_buffer_unref(output);
    return GST_FLOW_ERROR;
  }
  p.joiner.process(source, reinterpret_cast<int16_t *>(map.data), kept);
  gst_buffer_unmap(output, &map);
  if (kept * 2 != gst_buffer_get_size(output)) gst_buffer_resize(output, 0, kept * 2);
  return push_samples(self, output, start, kept, discont);
}

// The same timeline, whatever `position` each branch's copy carries.
static bool same_timeline(const GstSegment &a, const GstSegment &b) {
  return a.format == b.format && a.rate == b.rate && a.applied_rate == b.applied_rate &&
         a.start == b.start && a.stop == b.stop && a.time == b.time && a.base == b.base &&
         a.offset == b.offset && a.flags == b.flags;
}

static gboolean gst_wzp_voice_join_sink_event(GstPad *pad, GstObject *parent, GstEvent *event) {
  auto *self = GST_WZP_VOICE_JOIN(parent);
  Private &p = *self->priv;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_STREAM_START: {
      std::lock_guard lock(p.state_mutex);
      if (p.stream_started) {
        gst_event_unref(event);
        return TRUE;
      }
      p.stream_started = true;
      break;
    }
    case GST_EVENT_CAPS:  // ours are fixed and go out with the first buffer
      gst_event_unref(event);
      return TRUE;
    case GST_EVENT_SEGMENT: {
      const GstSegment *segment;
      gst_event_parse_segment(event, &segment);
      std::lock_guard lock(p.state_mutex);
      // Both branches repeat the upstream segment; only a new one goes out.
      if (p.have_segment && same_timeline(p.segment, *segment)) {
        gst_event_unref(event);
        return TRUE;
      }
      gst_segment_copy_into(segment, &p.segment);
      p.have_segment = true;
      p.joiner.reset();
      ensure_caps(self);
      break;
    }
    case GST_EVENT_GAP:  // concealment comes from the decoders; any hole is filled
      gst_event_unref(event);
      return TRUE;
    case GST_EVENT_EOS: {
      std::lock_guard lock(p.state_mutex);
      if (p.eos_sent) {
        gst_event_unref(event);
        return TRUE;
      }
      p.eos_sent = true;
      break;
    }
    case GST_EVENT_FLUSH_STOP: {
      std::lock_guard lock(p.state_mutex);
      p.joiner.reset();
      p.eos_sent = false;
      break;
    }
    default:
      break;
  }
  (void)pad;
  return gst_pad_push_event(self->srcpad, event);
}

GstStructure *gst_wzp_voice_join_stats(GstWzpVoiceJoin *self, const char *name) {
  Private &p = *self->priv;
  std::lock_guard lock(p.state_mutex);
  const auto &j = p.joiner;
  return gst_structure_new(name, "samples-filled", G_TYPE_UINT64, guint64{j.samples_filled()},
                           "samples-trimmed", G_TYPE_UINT64, guint64{j.samples_trimmed()},
                           "gaps-skipped", G_TYPE_UINT64, guint64{j.gaps_skipped()},
                           "codec-switches", G_TYPE_UINT64, guint64{j.source_switches()},
                           "largest-step", G_TYPE_UINT, guint{j.largest_step()}, nullptr);
}

static GstStateChangeReturn gst_wzp_voice_join_change_state(GstElement *element,
                                                            GstStateChange transition) {
  auto *self = GST_WZP_VOICE_JOIN(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    std::lock_guard lock(self->priv->state_mutex);
    Private &p = *self->priv;
    p.joiner.reset();
    p.stream_started = p.caps_sent = p.eos_sent = p.have_segment = false;
  }
  return GST_ELEMENT_CLASS(gst_wzp_voice_join_parent_class)->change_state(element, transition);
}

static void gst_wzp_voice_join_finalize(GObject *object) {
  delete GST_WZP_VOICE_JOIN(object)->priv;
  G_OBJECT_CLASS(gst_wzp_voice_join_parent_class)->finalize(object);
}

static void gst_wzp_voice_join_init(GstWzpVoiceJoin *self) {
  self->priv = new Private();
  gst_segment_init(&self->priv->segment, GST_FORMAT_TIME);
  for (int i = 0; i < 2; ++i) {
    gchar *name = g_strdup_printf("sink_%d", i);
    self->sinkpads[i] = gst_pad_new_from_static_template(&sink_template, name);
    g_free(name);
    gst_pad_set_chain_function(self->sinkpads[i], gst_wzp_voice_join_chain);
    gst_pad_set_event_function(self->sinkpads[i], gst_wzp_voice_join_sink_event);
    gst_element_add_pad(GST_ELEMENT(self), self->sinkpads[i]);
  }
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_wzp_voice_join_class_init(GstWzpVoiceJoinClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(wzp_voice_join_debug, "wzpvoicejoin", 0,
                          "wzp voice decoder's timeline join");
  gobject_class->finalize = gst_wzp_voice_join_finalize;
  element_class->change_state = gst_wzp_voice_join_change_state;
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "wzp voice join", "Filter/Audio",
      "Joins decoded voice branches into one timeline; wzpvoicedec "
      "uses it inside. Example: gst-launch-1.0 audiotestsrc "
      "! wzpvoiceenc ! wzpvoicedec ! autoaudiosink",
      WZP_AUTHOR);
}
