/**
 * SECTION:element-wzpjitterbuffer
 *
 * Takes encoded frames (one frame per buffer, as wzpfecdec outputs them,
 * with a #WzpHeaderMeta carrying the frame's sequence number and media
 * timestamp), puts them back in order and pushes each at its playout time.
 * The playout delay adapts to the path: it follows the 95th percentile of
 * recent frame delays (libwzp/jitter), changes at silence gaps, grows while
 * the buffer runs dry and shrinks slowly. Every frame that is missing at its
 * time goes downstream as a GAP event, so `opusdec plc=true` conceals it.
 *
 * Frames without the meta (a plain encoder upstream) are numbered in arrival
 * order and timed by their PTS. New caps (a codec switch) go downstream with
 * the first played frame of their codec; wzpfecdec's loss notices (empty
 * buffers flagged GAP) leave as GAP events. A GAP event for a frame that is
 * gone (a loss notice, or a frame declared lost) carries
 * GST_GAP_FLAG_MISSING_DATA, which tells a video decoder its reference is
 * lost (wzpdav1ddec then waits for a keyframe and asks for one). Video
 * frames (media type video in the meta, 90 kHz) are never dropped to shrink
 * the delay: each is the next one's reference.
 *
 * Where the decoder downstream can play a frame shorter (wzpvoicedec answers
 * the query in plugins/gstwzp/wzpcompress.h), the delay shrinks by time
 * compression instead, soon and without losing a frame; dropping is left as
 * the fallback for an excess that compression has not removed in 5 s.
 *
 * The latency it reports is its delay when output began; later changes of
 * the delay move the output's PTS, so what plays downstream sample after
 * sample keeps the buffer's timing.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 audiotestsrc is-live=true ! opusenc frame-size=20 ! \
 *     wzpjitterbuffer ! opusdec plc=true ! autoaudiosink
 * ]| Plays a tone through the jitter buffer at its start delay.
 * |[
 * ... ! wzpfecdec ! wzpjitterbuffer max-latency=600 ! opusdec plc=true ! autoaudiosink
 * ]| The receive end of a call: lost and late frames are concealed by opusdec.
 */
#include "plugins/wzpjitter/gstwzpjitterbuffer.h"

#include <cstdint>
#include <memory>
#include <mutex>

#include "libwzp/jitter/jitter_buffer.hpp"
#include "plugins/gstwzp/wzpcompress.h"
#include "plugins/gstwzp/wzpmeta.h"
#include "plugins/wzpjitter/gstwzpjitterbuffer_private.hpp"

GST_DEBUG_CATEGORY_STATIC(wzp_jitter_buffer_debug);
#define GST_CAT_DEFAULT wzp_jitter_buffer_debug

using namespace wzp::jitter_element;

namespace {

using wzp::jitter::Action;
using wzp::jitter::InsertResult;
using wzp::jitter::JitterConfig;

JitterConfig make_config(const Settings &s, uint32_t clock_rate, bool video) {
  JitterConfig config;
  config.mode = s.mode;
  config.clock_rate = clock_rate;
  config.latency_ns = static_cast<int64_t>(s.latency_ms) * GST_MSECOND;
  config.min_latency_ns = static_cast<int64_t>(s.min_latency_ms) * GST_MSECOND;
  config.max_latency_ns = static_cast<int64_t>(s.max_latency_ms) * GST_MSECOND;
  config.quantile = s.quantile;
  config.default_frame_duration = clock_rate / 50;
  config.drop_to_shrink = !video;
  return config;
}

void release_buffer(uint64_t cookie) {
  gst_buffer_unref(reinterpret_cast<GstBuffer *>(static_cast<uintptr_t>(cookie)));
}

}  // namespace

G_DEFINE_TYPE(GstWzpJitterBuffer, gst_wzp_jitter_buffer, GST_TYPE_ELEMENT)

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

namespace {

// The running time now, or -1 without a clock.
int64_t running_time(GstWzpJitterBuffer *self) {
  GstClock *clock = gst_element_get_clock(GST_ELEMENT(self));
  if (clock == nullptr) return -1;
  GstClockTime now = gst_clock_get_time(clock);
  gst_object_unref(clock);
  GstClockTime base = gst_element_get_base_time(GST_ELEMENT(self));
  return now > base ? static_cast<int64_t>(now - base) : 0;
}

// Makes a new core; the caller holds the state lock.
void reset_core(GstWzpJitterBuffer *self, State &state, uint32_t clock_rate, bool video) {
  Settings settings;
  {
    std::lock_guard<std::mutex> lock(priv(self).settings_mutex);
    settings = priv(self).settings;
  }
  state.core =
      std::make_unique<JitterBuffer>(make_config(settings, clock_rate, video), release_buffer);
  state.core->set_compression(state.downstream_compresses && !video);
  state.clock_rate = clock_rate;
  state.video = video;
  state.have_stream = false;
  state.next_plain_sequence = 0;
  state.announced_target = -1;
  state.notices_played = state.notices_late = 0;
}

const char *conceal_reason(bool notice, Action::Conceal why) {
  if (notice || why == Action::Conceal::kLost) return "lost";
  return why == Action::Conceal::kExpand ? "expand" : "silence";
}

void wake_task(State &state) {
  if (state.clock_id != nullptr) gst_clock_id_unschedule(state.clock_id);
  state.wake.notify_all();
}

// After an insert: the task's clock wait stands unless the frame moved the
// schedule (a first frame, an earlier head, or a restart, whose new
// timeline may be due later than the wait); a wake per frame would double
// the task's wake-ups.
void wake_task_if_due_moved(State &state) {
  if (state.clock_id != nullptr && state.core->due_ns() == state.clock_wait_ns) return;
  wake_task(state);
}

// The latency we add, as reported: what the core last settled on, or the
// configured start latency before any frame.
int64_t reported_latency(GstWzpJitterBuffer *self, State &state) {
  if (state.core && state.core->latency_ns() > 0) return state.core->latency_ns();
  std::lock_guard<std::mutex> lock(priv(self).settings_mutex);
  return static_cast<int64_t>(priv(self).settings.latency_ms) * GST_MSECOND;
}

// Fills `frame` from the header meta, or from arrival order and PTS.
bool describe_frame(State &state, GstBuffer *buffer, wzp::jitter::Frame &frame,
                    uint32_t &clock_rate, uint32_t &stream_id, bool &video) {
  WzpHeaderMeta *meta = wzp_buffer_get_header_meta(buffer);
  if (meta != nullptr) {
    frame.sequence = meta->header.sequence;
    frame.timestamp = meta->header.timestamp;
    clock_rate = wzp::wire::media_clock_rate(meta->header.media_type);
    stream_id = meta->header.stream_id;
    video = meta->header.media_type == wzp::wire::MediaType::kVideo;
  } else {
    if (!GST_BUFFER_PTS_IS_VALID(buffer)) return false;
    frame.sequence = state.next_plain_sequence++;
    clock_rate = 48000;
    frame.timestamp = static_cast<uint32_t>(
        gst_util_uint64_scale_round(GST_BUFFER_PTS(buffer), clock_rate, GST_SECOND));
    stream_id = 0;
  }
  if (GST_BUFFER_DURATION_IS_VALID(buffer)) {
    frame.duration = static_cast<uint32_t>(
        gst_util_uint64_scale_round(GST_BUFFER_DURATION(buffer), clock_rate, GST_SECOND));
  }
  return true;
}

GstFlowReturn chain(GstPad *, GstObject *parent, GstBuffer *buffer) {
  auto *self = GST_WZP_JITTER_BUFFER(parent);
  State &state = priv(self).state;
  int64_t now = running_time(self);
  std::lock_guard<std::mutex> lock(state.mutex);
  if (state.flushing) {
    gst_buffer_unref(buffer);
    return GST_FLOW_FLUSHING;
  }
  if (now < 0)
    now = GST_BUFFER_DTS_OR_PTS(buffer) != GST_CLOCK_TIME_NONE
              ? static_cast<int64_t>(GST_BUFFER_DTS_OR_PTS(buffer))
              : 0;
  wzp::jitter::Frame frame;
  uint32_t clock_rate = 48000;
  uint32_t stream_id = 0;
  bool video = false;
  if (!describe_frame(state, buffer, frame, clock_rate, stream_id, video)) {
    ++state.untimed;
    GST_DEBUG_OBJECT(self, "dropping a frame with neither header meta nor PTS");
    gst_buffer_unref(buffer);
    return GST_FLOW_OK;
  }
  if (state.have_stream &&
      (stream_id != state.stream_id || clock_rate != state.clock_rate || video != state.video)) {
    GST_INFO_OBJECT(self, "stream changed (id %u -> %u): starting over", state.stream_id,
                    stream_id);
    ++state.stream_changes;
    state.core->clear();
  }
  if (!state.core || clock_rate != state.clock_rate || video != state.video) {
    reset_core(self, state, clock_rate, video);
  }
  state.have_stream = true;
  state.stream_id = stream_id;
  tie_caps(state, buffer);
  frame.cookie = reinterpret_cast<uintptr_t>(buffer);
  InsertResult result = state.core->insert(frame, now);
  if (result != InsertResult::kStored && result != InsertResult::kRestarted) {
    GST_LOG_OBJECT(self, "frame %u not stored (%d)", frame.sequence, static_cast<int>(result));
    if (result == InsertResult::kLate && is_loss_notice(buffer)) ++state.notices_late;
    gst_buffer_unref(buffer);
  }
  wake_task_if_due_moved(state);
  return GST_FLOW_OK;
}

// Messages to post once the lock is released.
struct Notices {
  bool latency = false;
  GstStructure *target = nullptr;
};

void check_notices(GstWzpJitterBuffer *self, State &state, Notices &notices) {
  int64_t latency = state.core->latency_ns();
  if (latency > 0 && latency != state.announced_latency) {
    state.announced_latency = latency;
    notices.latency = true;
  }
  int64_t target = state.core->stats().target_delay_ns;
  if (state.announced_target < 0 || std::llabs(target - state.announced_target) >= kNoticeableNs) {
    if (state.announced_target >= 0) {
      notices.target =
          gst_structure_new("wzp-jitter-target", "target-delay", G_TYPE_UINT64,
                            static_cast<guint64>(target), "previous-target-delay", G_TYPE_UINT64,
                            static_cast<guint64>(state.announced_target), nullptr);
    }
    state.announced_target = target;
  }
  (void)self;
}

void post_notices(GstWzpJitterBuffer *self, Notices &notices) {
  if (notices.latency) {
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
  }
  if (notices.target != nullptr) {
    gst_element_post_message(GST_ELEMENT(self),
                             gst_message_new_element(GST_OBJECT(self), notices.target));
  }
}

void pause_task(GstWzpJitterBuffer *self, GstFlowReturn ret) {
  GST_DEBUG_OBJECT(self, "pausing: %s", gst_flow_get_name(ret));
  gst_pad_pause_task(self->srcpad);
  if (ret == GST_FLOW_NOT_LINKED || ret < GST_FLOW_EOS) {
    GST_ELEMENT_FLOW_ERROR(self, ret);
    gst_pad_push_event(self->srcpad, gst_event_new_eos());
  }
}

// One step of the output thread: waits for the next action and performs it.
void loop(gpointer data) {
  auto *self = GST_WZP_JITTER_BUFFER(data);
  State &state = priv(self).state;
  std::unique_lock<std::mutex> lock(state.mutex);
  for (;;) {
    if (state.flushing) {
      lock.unlock();
      gst_pad_pause_task(self->srcpad);
      return;
    }
    if (state.eos && (!state.core || state.core->size() == 0)) {
      lock.unlock();
      GstStructure *stats = make_stats(self);
      gchar *text = gst_structure_to_string(stats);
      GST_INFO_OBJECT(self, "end of stream: %s", text);
      g_free(text);
      gst_structure_free(stats);
      gst_pad_push_event(self->srcpad, gst_event_new_eos());
      gst_pad_pause_task(self->srcpad);
      return;
    }
    int64_t now = running_time(self);
    if (!state.core || now < 0) {
      state.wake.wait(lock);
      continue;
    }
    Action action = state.core->next(now);
    if (action.kind == Action::Kind::kWait) {
      if (action.time_ns == JitterBuffer::kNever) {
        if (state.eos) {
          // Nothing more will come: let the held frames go now.
          action = state.core->next(JitterBuffer::kNever - 1);
          if (action.kind == Action::Kind::kWait) continue;
        } else {
          state.wake.wait(lock);
          continue;
        }
      } else {
        GstClock *clock = gst_element_get_clock(GST_ELEMENT(self));
        if (clock == nullptr) continue;
        GstClockTime at = gst_element_get_base_time(GST_ELEMENT(self)) + action.time_ns;
        // One clock id, re-armed for every wait: nothing is allocated per frame.
        GstClockID &reused = state.reusable_clock_id;
        if (reused == nullptr || !gst_clock_id_uses_clock(reused, clock) ||
            !gst_clock_single_shot_id_reinit(clock, reused, at)) {
          if (reused != nullptr) gst_clock_id_unref(reused);
          reused = gst_clock_new_single_shot_id(clock, at);
        }
        gst_object_unref(clock);
        GstClockID id = gst_clock_id_ref(reused);
        state.clock_id = id;
        state.clock_wait_ns = action.time_ns;
        lock.unlock();
        gst_clock_id_wait(id, nullptr);
        lock.lock();
        state.clock_id = nullptr;
        gst_clock_id_unref(id);
        continue;
      }
    }
    // An action to perform, outside the lock.
    int64_t pts = std::max<int64_t>(action.time_ns - reported_latency(self, state), 0);
    Notices notices;
    check_notices(self, state, notices);
    bool send_segment = state.segment_pending;
    state.segment_pending = false;
    auto *frame = action.kind == Action::Kind::kPlay
                      ? reinterpret_cast<GstBuffer *>(static_cast<uintptr_t>(action.cookie))
                      : nullptr;
    bool notice = frame != nullptr && is_loss_notice(frame);
    if (notice) ++state.notices_played;
    GstCaps *caps = caps_before(state, notice ? nullptr : frame);
    lock.unlock();

    if (caps != nullptr) {
      gst_pad_push_event(self->srcpad, gst_event_new_caps(caps));
      gst_caps_unref(caps);
    }
    if (send_segment) {
      GstSegment segment;
      gst_segment_init(&segment, GST_FORMAT_TIME);
      gst_pad_push_event(self->srcpad, gst_event_new_segment(&segment));
    }
    if (caps != nullptr) {
      // New caps, maybe a new decoder behind them: ask again whether it
      // can play frames shorter.
      GstQuery *query = wzp::gst::compress::query_new();
      bool can = gst_pad_peer_query(self->srcpad, query);
      gst_query_unref(query);
      std::lock_guard<std::mutex> relock(state.mutex);
      if (can != state.downstream_compresses) {
        GST_INFO_OBJECT(self, "downstream %s time compression", can ? "does" : "does not do");
      }
      state.downstream_compresses = can;
      if (state.core) state.core->set_compression(can && !state.video);
    }
    post_notices(self, notices);
    GstFlowReturn ret = GST_FLOW_OK;
    if (action.kind == Action::Kind::kPlay && !notice) {
      GstBuffer *buffer = gst_buffer_make_writable(frame);
      GST_BUFFER_PTS(buffer) = static_cast<GstClockTime>(pts);
      GST_BUFFER_DTS(buffer) = GST_CLOCK_TIME_NONE;
      GST_BUFFER_DURATION(buffer) = static_cast<GstClockTime>(action.duration_ns);
      if (action.discont) GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
      if (action.compress_ns > 0) {
        gst_pad_push_event(self->srcpad, wzp::gst::compress::request_new(action.compress_ns));
      }
      ret = gst_pad_push(self->srcpad, buffer);
    } else {
      if (notice) gst_buffer_unref(frame);
      GST_LOG_OBJECT(self, "concealing %u (%s) at %" GST_TIME_FORMAT, action.sequence,
                     conceal_reason(notice, action.conceal), GST_TIME_ARGS(pts));
      GstEvent *gap = gst_event_new_gap(static_cast<GstClockTime>(pts),
                                        static_cast<GstClockTime>(action.duration_ns));
      // A frame that is gone (not merely late, nor silence): a video decoder
      // has lost a reference and must wait for a keyframe.
      if (notice || action.conceal == Action::Conceal::kLost) {
        gst_event_set_gap_flags(gap, GST_GAP_FLAG_MISSING_DATA);
      }
      gst_pad_push_event(self->srcpad, gap);
    }
    if (ret != GST_FLOW_OK) pause_task(self, ret);
    return;
  }
}

void start_task(GstWzpJitterBuffer *self) {
  State &state = priv(self).state;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    state.flushing = false;
    state.eos = false;
  }
  gst_pad_start_task(self->srcpad, loop, self, nullptr);
}

void stop_task(GstWzpJitterBuffer *self, bool clear) {
  State &state = priv(self).state;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    state.flushing = true;
    wake_task(state);
  }
  gst_pad_stop_task(self->srcpad);
  if (clear) {
    std::lock_guard<std::mutex> lock(state.mutex);
    if (state.core) state.core->clear();
    state.have_stream = false;
    state.segment_pending = true;
  }
}

gboolean sink_event(GstPad *pad, GstObject *parent, GstEvent *event) {
  auto *self = GST_WZP_JITTER_BUFFER(parent);
  State &state = priv(self).state;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_FLUSH_START:
      gst_pad_push_event(self->srcpad, event);
      stop_task(self, false);
      return TRUE;
    case GST_EVENT_FLUSH_STOP: {
      gboolean ok = gst_pad_push_event(self->srcpad, event);
      stop_task(self, true);
      start_task(self);
      return ok;
    }
    case GST_EVENT_SEGMENT:
      // Output is timed in running time: our own segment replaces upstream's.
      gst_event_unref(event);
      return TRUE;
    case GST_EVENT_CAPS: {
      // Sent on with the frames they describe.
      GstCaps *caps;
      gst_event_parse_caps(event, &caps);
      std::lock_guard<std::mutex> lock(state.mutex);
      note_caps(state, caps);
      gst_event_unref(event);
      return TRUE;
    }
    case GST_EVENT_EOS: {
      std::lock_guard<std::mutex> lock(state.mutex);
      state.eos = true;
      wake_task(state);
      gst_event_unref(event);
      return TRUE;
    }
    default:
      return gst_pad_event_default(pad, parent, event);
  }
}

// The decoder's report of what it removed from the frame just pushed (in
// the push's own thread, so before the next frame is timed).
gboolean src_event(GstPad *pad, GstObject *parent, GstEvent *event) {
  int64_t removed = wzp::gst::compress::event_time(event, wzp::gst::compress::kReportName);
  if (GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_UPSTREAM || removed < 0) {
    return gst_pad_event_default(pad, parent, event);
  }
  State &state = priv(GST_WZP_JITTER_BUFFER(parent)).state;
  {
    std::lock_guard<std::mutex> lock(state.mutex);
    if (state.core) state.core->compressed(removed);
  }
  gst_event_unref(event);
  return TRUE;
}

gboolean src_query(GstPad *pad, GstObject *parent, GstQuery *query) {
  auto *self = GST_WZP_JITTER_BUFFER(parent);
  if (GST_QUERY_TYPE(query) != GST_QUERY_LATENCY) return gst_pad_query_default(pad, parent, query);
  if (!gst_pad_peer_query(self->sinkpad, query)) return FALSE;
  gboolean live;
  GstClockTime min, max;
  gst_query_parse_latency(query, &live, &min, &max);
  int64_t ours;
  {
    std::lock_guard<std::mutex> lock(priv(self).state.mutex);
    ours = reported_latency(self, priv(self).state);
  }
  guint max_ms;
  {
    std::lock_guard<std::mutex> lock(priv(self).settings_mutex);
    max_ms = priv(self).settings.max_latency_ms;
  }
  min += static_cast<GstClockTime>(ours);
  if (max != GST_CLOCK_TIME_NONE) max += static_cast<GstClockTime>(max_ms) * GST_MSECOND;
  GST_DEBUG_OBJECT(self, "latency: ours %" GST_TIME_FORMAT ", total min %" GST_TIME_FORMAT,
                   GST_TIME_ARGS(ours), GST_TIME_ARGS(min));
  gst_query_set_latency(query, live, min, max);
  return TRUE;
}

gboolean src_activate_mode(GstPad *, GstObject *parent, GstPadMode mode, gboolean active) {
  if (mode != GST_PAD_MODE_PUSH) return FALSE;
  auto *self = GST_WZP_JITTER_BUFFER(parent);
  if (active) {
    start_task(self);
  } else {
    stop_task(self, true);
  }
  return TRUE;
}

}  // namespace

static GstStateChangeReturn gst_wzp_jitter_buffer_change_state(GstElement *element,
                                                               GstStateChange transition) {
  auto *self = GST_WZP_JITTER_BUFFER(element);
  State &state = priv(self).state;
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    std::lock_guard<std::mutex> lock(state.mutex);
    reset_core(self, state, 48000, false);
    state.segment_pending = true;
    forget_sent_caps(state);
    state.announced_latency = -1;
    state.downstream_compresses = false;
  }
  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(gst_wzp_jitter_buffer_parent_class)->change_state(element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) return ret;
  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      // Like any live element that waits on the clock: no preroll.
      return GST_STATE_CHANGE_NO_PREROLL;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING: {
      std::lock_guard<std::mutex> lock(state.mutex);
      wake_task(state);
      break;
    }
    default:
      break;
  }
  return ret;
}

static void gst_wzp_jitter_buffer_finalize(GObject *object) {
  auto *self = GST_WZP_JITTER_BUFFER(object);
  if (self->priv->state.reusable_clock_id != nullptr) {
    gst_clock_id_unref(self->priv->state.reusable_clock_id);
  }
  clear_caps(self->priv->state);
  delete self->priv;
  G_OBJECT_CLASS(gst_wzp_jitter_buffer_parent_class)->finalize(object);
}

static void gst_wzp_jitter_buffer_init(GstWzpJitterBuffer *self) {
  self->priv = new Private();
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, chain);
  gst_pad_set_event_function(self->sinkpad, sink_event);
  GST_PAD_SET_PROXY_CAPS(self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION(self->sinkpad);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_query_function(self->srcpad, src_query);
  gst_pad_set_event_function(self->srcpad, src_event);
  gst_pad_set_activatemode_function(self->srcpad, src_activate_mode);
  gst_pad_use_fixed_caps(self->srcpad);
  GST_PAD_SET_PROXY_CAPS(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_wzp_jitter_buffer_class_init(GstWzpJitterBufferClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = gst_wzp_jitter_buffer_finalize;
  element_class->change_state = gst_wzp_jitter_buffer_change_state;

  install_properties(gobject_class);

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "wzp adaptive jitter buffer", "Filter/Network",
      "Reorders frames and plays them out at a delay that follows the path; signals missing "
      "frames with GAP events for the decoder to conceal. Example: gst-launch-1.0 audiotestsrc ! "
      "opusenc frame-size=20 ! wzpfecenc ! wzpfecdec ! wzpjitterbuffer ! opusdec plc=true ! "
      "autoaudiosink",
      WZP_AUTHOR);
  GST_DEBUG_CATEGORY_INIT(wzp_jitter_buffer_debug, "wzpjitterbuffer", 0,
                          "wzp adaptive jitter buffer");
  gst_type_mark_as_plugin_api(GST_TYPE_WZP_JITTER_MODE, static_cast<GstPluginAPIFlags>(0));
}
