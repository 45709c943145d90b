// Internals of wzpfecenc shared by its two source files: the instance
// struct, settings and streaming state, and the property code
// (gstwzpfecenc_props.cpp).
#pragma once

#include <gst/gst.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>

#include "clock_timer.hpp"
#include "gstwzpfecenc.h"
#include "libwzp/fec/frame_encoder.hpp"
#include "libwzp/quality/report_cadence.hpp"
#include "media_clock.hpp"
#include "quality_report.hpp"

namespace wzp::fec_enc_element {

enum {
  PROP_0,
  PROP_BLOCK_SIZE,
  PROP_MAX_BLOCK_TIME,
  PROP_REPAIR_RATIO,
  PROP_KEYFRAME_REPAIR_RATIO,
  PROP_INTERLEAVE_DEPTH,
  PROP_PACE_REPAIR,
  PROP_WINDOW_FRAMES,
  PROP_SYMBOL_ALIGNMENT,
  PROP_VIDEO_MIN_SYMBOLS,
  PROP_STREAM_ID,
  PROP_CODEC_ID,
  PROP_QUALITY_REPORT,
  PROP_STATS,
};

constexpr guint64 kDefaultMaxBlockTime = 100 * GST_MSECOND;

struct Settings {
  wzp::fec::EncoderConfig config;
  guint64 max_block_time = kDefaultMaxBlockTime;
  guint codec_id = 0;  // 0: derive from caps
  std::optional<wzp::wire::QualityReport> report;
  bool report_changed = false;
};

}  // namespace wzp::fec_enc_element

struct GstWzpFecEncPrivate {
  std::mutex settings_lock;
  wzp::fec_enc_element::Settings settings;
  bool settings_changed = true;

  // Held from making packets until they are pushed, by the streaming thread
  // and the deadline task alike, so packets leave in the order they were
  // made. Taken before state_lock.
  std::mutex output_lock;

  std::mutex state_lock;
  wzp::fec::FrameEncoder encoder;
  wzp::gst::StreamKind kind;
  wzp::quality::ReportSchedule reports;
  uint64_t reports_sent = 0;  // packets that carried a report
  GstSegment segment;
  // max-block-time (ns) of the group that opens next.
  guint64 group_max_time = wzp::fec_enc_element::kDefaultMaxBlockTime;
  GstClockTime last_pts = GST_CLOCK_TIME_NONE;
  // Running time at which the open group closes by itself; NONE: no group
  // open or no time limit. `deadline_serial` tells one group's from the next.
  GstClockTime deadline = GST_CLOCK_TIME_NONE;
  uint64_t deadline_serial = 0;
  uint64_t deadline_closes = 0;  // groups the deadline task closed
  bool flushing = true;
  std::condition_variable wake;  // a new deadline, or flushing
  wzp::gst::ClockTimer timer;
};

struct _GstWzpFecEnc {
  GstElement parent;
  GstPad *sinkpad;
  GstPad *srcpad;
  GstWzpFecEncPrivate *priv;
};

namespace wzp::fec_enc_element {

// The `stats` property's structure.
GstStructure *make_stats(GstWzpFecEnc *self);
void install_properties(GObjectClass *klass);
void set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec);
void get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec);

}  // namespace wzp::fec_enc_element
