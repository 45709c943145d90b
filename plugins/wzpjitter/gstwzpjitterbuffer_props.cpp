// wzpjitterbuffer's properties, its `stats` structure and its mode enum.
#include <algorithm>

#include "plugins/gstwzp/wzpstats.h"
#include "plugins/wzpjitter/gstwzpjitterbuffer_private.hpp"

GType gst_wzp_jitter_mode_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(wzp::jitter::Mode::kAdaptive), "Follow the path's delay", "adaptive"},
      {static_cast<gint>(wzp::jitter::Mode::kFixed), "Hold the delay at the latency property",
       "fixed"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType registered = g_enum_register_static("GstWzpJitterMode", values);
    g_once_init_leave(&type, registered);
  }
  return type;
}

namespace wzp::jitter_element {

GstStructure *make_stats(GstWzpJitterBuffer *self) {
  State &state = priv(self).state;
  std::lock_guard<std::mutex> lock(state.mutex);
  wzp::jitter::JitterStats s;
  if (state.core) s = state.core->stats();
  // The core played loss notices as frames; downstream got a GAP for each.
  s.played -= std::min(s.played, state.notices_played);
  s.concealed += state.notices_played;
  s.late -= std::min(s.late, state.notices_late);
  return gst_structure_new(
      "application/x-wzp-jitter-stats", "target-delay", G_TYPE_UINT64,
      static_cast<guint64>(s.target_delay_ns), wzp::gst::stats::jitter::kCurrentDelay,
      G_TYPE_UINT64, static_cast<guint64>(s.current_delay_ns), "received", G_TYPE_UINT64,
      s.received, wzp::gst::stats::jitter::kPlayed, G_TYPE_UINT64, s.played,
      wzp::gst::stats::jitter::kConcealed, G_TYPE_UINT64, s.concealed, "expanded", G_TYPE_UINT64,
      s.expanded, wzp::gst::stats::jitter::kLate, G_TYPE_UINT64, s.late, "dropped", G_TYPE_UINT64,
      s.dropped, wzp::gst::stats::jitter::kShrunk, G_TYPE_UINT64, s.shrunk,
      wzp::gst::stats::jitter::kCompressed, G_TYPE_UINT64, s.compressed,
      wzp::gst::stats::jitter::kCompressedTime, G_TYPE_UINT64,
      static_cast<guint64>(s.compressed_ns), "reordered", G_TYPE_UINT64, s.reordered, "duplicates",
      G_TYPE_UINT64, s.duplicates, "restarts", G_TYPE_UINT64, s.restarts + state.stream_changes,
      "untimed", G_TYPE_UINT64, state.untimed, nullptr);
}

void set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec) {
  auto *self = GST_WZP_JITTER_BUFFER(object);
  std::lock_guard<std::mutex> lock(priv(self).settings_mutex);
  Settings &s = priv(self).settings;
  switch (id) {
    case PROP_MODE:
      s.mode = static_cast<Mode>(g_value_get_enum(value));
      break;
    case PROP_LATENCY:
      s.latency_ms = g_value_get_uint(value);
      break;
    case PROP_MIN_LATENCY:
      s.min_latency_ms = g_value_get_uint(value);
      break;
    case PROP_MAX_LATENCY:
      s.max_latency_ms = g_value_get_uint(value);
      break;
    case PROP_TARGET_QUANTILE:
      s.quantile = g_value_get_double(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

void get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec) {
  auto *self = GST_WZP_JITTER_BUFFER(object);
  if (id == PROP_STATS) {
    g_value_take_boxed(value, make_stats(self));
    return;
  }
  std::lock_guard<std::mutex> lock(priv(self).settings_mutex);
  const Settings &s = priv(self).settings;
  switch (id) {
    case PROP_MODE:
      g_value_set_enum(value, static_cast<gint>(s.mode));
      break;
    case PROP_LATENCY:
      g_value_set_uint(value, s.latency_ms);
      break;
    case PROP_MIN_LATENCY:
      g_value_set_uint(value, s.min_latency_ms);
      break;
    case PROP_MAX_LATENCY:
      g_value_set_uint(value, s.max_latency_ms);
      break;
    case PROP_TARGET_QUANTILE:
      g_value_set_double(value, s.quantile);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

void install_properties(GObjectClass *gobject_class) {
  auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                        GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(
      gobject_class, PROP_MODE,
      g_param_spec_enum("mode", "Mode",
                        "adaptive: the delay follows the path (a quantile of recent frame "
                        "delays); fixed: the delay stays at the latency property",
                        GST_TYPE_WZP_JITTER_MODE, static_cast<gint>(Mode::kAdaptive), flags));
  g_object_class_install_property(
      gobject_class, PROP_LATENCY,
      g_param_spec_uint("latency", "Latency",
                        "Playout delay in ms above the fastest recent frame: the fixed mode's "
                        "delay, and the adaptive mode's delay before it has learned the path",
                        0, 10000, kDefaultLatencyMs, flags));
  g_object_class_install_property(
      gobject_class, PROP_MIN_LATENCY,
      g_param_spec_uint("min-latency", "Minimum latency",
                        "The adaptive delay never goes below this many ms", 0, 10000,
                        kDefaultMinLatencyMs, flags));
  g_object_class_install_property(
      gobject_class, PROP_MAX_LATENCY,
      g_param_spec_uint("max-latency", "Maximum latency",
                        "The delay never grows beyond this many ms; frames later than that "
                        "are dropped as late",
                        0, 10000, kDefaultMaxLatencyMs, flags));
  g_object_class_install_property(
      gobject_class, PROP_TARGET_QUANTILE,
      g_param_spec_double("target-quantile", "Target quantile",
                          "Fraction of recent frames the adaptive delay is chosen to wait for", 0.5,
                          0.999, kDefaultQuantile, flags));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "target-delay and current-delay (ns), and frame counts: received, "
                         "played, concealed, expanded, late, dropped, shrunk (dropped to "
                         "shrink the delay), compressed (played shorter to shrink it, by "
                         "compressed-time ns in all), reordered, duplicates, restarts, untimed",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
}

}  // namespace wzp::jitter_element
