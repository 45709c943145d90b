// Internals of wzpjitterbuffer shared by its two source files: the
// instance struct, settings and streaming state, and the property code
// (gstwzpjitterbuffer_props.cpp).
#pragma once

#include <gst/gst.h>

#include <array>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "libwzp/jitter/jitter_buffer.hpp"
#include "plugins/wzpjitter/gstwzpjitterbuffer.h"

namespace wzp::jitter_element {

using wzp::jitter::JitterBuffer;
using wzp::jitter::Mode;

constexpr guint kDefaultLatencyMs = 80;
constexpr guint kDefaultMinLatencyMs = 0;
// The core's default, so the element and libwzp agree on the delay budget.
constexpr guint kDefaultMaxLatencyMs =
    static_cast<guint>(wzp::jitter::JitterConfig{}.max_latency_ns / 1'000'000);
constexpr gdouble kDefaultQuantile = 0.95;
// A target move this large is announced on the bus.
constexpr int64_t kNoticeableNs = 20 * GST_MSECOND;

enum {
  PROP_0,
  PROP_MODE,
  PROP_LATENCY,
  PROP_MIN_LATENCY,
  PROP_MAX_LATENCY,
  PROP_TARGET_QUANTILE,
  PROP_STATS,
};

struct Settings {
  Mode mode = Mode::kAdaptive;
  guint latency_ms = kDefaultLatencyMs;
  guint min_latency_ms = kDefaultMinLatencyMs;
  guint max_latency_ms = kDefaultMaxLatencyMs;
  gdouble quantile = kDefaultQuantile;
};

// Caps by the codec id of the frames they describe (gstwzpjitterbuffer_caps.cpp).
struct CapsByCodec {
  GstCaps *untied = nullptr;  // received; the next frame's codec is theirs
  GstCaps *latest = nullptr;  // for frames without a codec id
  GstCaps *sent = nullptr;    // downstream's current caps
  std::array<GstCaps *, 256> by_codec{};
};

// Streaming state, behind State::mutex.
struct State {
  std::mutex mutex;
  std::condition_variable wake;
  std::unique_ptr<JitterBuffer> core;
  uint32_t clock_rate = 48000;
  bool video = false;  // the stream's frames are video (never dropped to shrink)
  // Downstream answered the time compression query (plugins/gstwzp/wzpcompress.h).
  bool downstream_compresses = false;
  bool have_stream = false;
  uint32_t stream_id = 0;
  uint32_t next_plain_sequence = 0;        // for frames without the meta
  GstClockID clock_id = nullptr;           // the wait in progress, to unschedule
  int64_t clock_wait_ns = 0;               // the running time clock_id waits for
  GstClockID reusable_clock_id = nullptr;  // owned; re-armed for each wait
  bool flushing = true;
  bool eos = false;
  bool segment_pending = true;
  int64_t announced_target = -1;
  int64_t announced_latency = -1;
  uint64_t stream_changes = 0;
  uint64_t untimed = 0;  // frames with neither meta nor PTS
  // Loss notices (see is_loss_notice) the core counted as played or late.
  uint64_t notices_played = 0;
  uint64_t notices_late = 0;
  CapsByCodec caps;
};

struct Private {
  std::mutex settings_mutex;
  Settings settings;
  State state;
};

}  // namespace wzp::jitter_element

struct _GstWzpJitterBuffer {
  GstElement parent;
  GstPad *sinkpad;
  GstPad *srcpad;
  wzp::jitter_element::Private *priv;
};

namespace wzp::jitter_element {

inline Private &priv(GstWzpJitterBuffer *self) { return *self->priv; }

// wzpfecdec's word that a frame is lost for good (an empty buffer flagged
// GAP, plugins/gstwzp/wzpmeta.h): it takes the frame's place in the order
// but leaves as a GAP event, since decoders drop an empty buffer without
// concealing it.
inline bool is_loss_notice(GstBuffer *buffer) {
  return GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_GAP) && gst_buffer_get_size(buffer) == 0;
}

// The `stats` property's structure.
GstStructure *make_stats(GstWzpJitterBuffer *self);
void install_properties(GObjectClass *klass);
void set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec);
void get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec);

// Caps that follow the frames' codec; all called with the state lock held.
// On a CAPS event.
void note_caps(State &state, GstCaps *caps);
// On a frame: caps just received describe this frame's codec.
void tie_caps(State &state, GstBuffer *frame);
// Before pushing `frame` (nullptr: a gap): caps to send first, or nullptr.
GstCaps *caps_before(State &state, GstBuffer *frame);
// Downstream lost its caps (a restart): send them again.
void forget_sent_caps(State &state);
void clear_caps(State &state);

}  // namespace wzp::jitter_element
