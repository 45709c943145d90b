// wzpfecenc's properties and its `stats` structure.
#include "gstwzpfecenc_private.hpp"
#include "plugins/gstwzp/wzpstats.h"

GST_DEBUG_CATEGORY_EXTERN(wzp_fec_enc_debug);
#define GST_CAT_DEFAULT wzp_fec_enc_debug

namespace wzp::fec_enc_element {

GstStructure *make_stats(GstWzpFecEnc *self) {
  std::lock_guard guard(self->priv->state_lock);
  const auto &s = self->priv->encoder.stats();
  return gst_structure_new(
      "application/x-wzp-fec-enc-stats", wzp::gst::stats::fec_enc::kFrames, G_TYPE_UINT64, s.frames,
      "rejected-empty", G_TYPE_UINT64, s.rejected_empty, "rejected-oversize", G_TYPE_UINT64,
      s.rejected_oversize, "blocks", G_TYPE_UINT64, s.blocks, "keyframe-blocks", G_TYPE_UINT64,
      s.keyframe_blocks, wzp::gst::stats::fec_enc::kSourcePackets, G_TYPE_UINT64, s.source_packets,
      wzp::gst::stats::fec_enc::kRepairPackets, G_TYPE_UINT64, s.repair_packets, "bytes-sent",
      G_TYPE_UINT64, s.bytes_sent, "reports-sent", G_TYPE_UINT64, self->priv->reports_sent,
      "deadline-closes", G_TYPE_UINT64, self->priv->deadline_closes, nullptr);
}

void set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec) {
  auto *self = GST_WZP_FEC_ENC(object);
  std::lock_guard guard(self->priv->settings_lock);
  Settings &s = self->priv->settings;
  switch (id) {
    case PROP_BLOCK_SIZE:
      s.config.block_frames = static_cast<uint16_t>(g_value_get_uint(value));
      break;
    case PROP_MAX_BLOCK_TIME:
      s.max_block_time = g_value_get_uint64(value);
      break;
    case PROP_REPAIR_RATIO:
      s.config.repair_ratio = g_value_get_double(value);
      break;
    case PROP_KEYFRAME_REPAIR_RATIO:
      s.config.keyframe_repair_ratio = g_value_get_double(value);
      break;
    case PROP_INTERLEAVE_DEPTH:
      s.config.interleave_depth = static_cast<uint8_t>(g_value_get_uint(value));
      break;
    case PROP_PACE_REPAIR:
      s.config.pace_repair = g_value_get_boolean(value);
      break;
    case PROP_WINDOW_FRAMES:
      s.config.window_frames = static_cast<uint16_t>(g_value_get_uint(value));
      break;
    case PROP_SYMBOL_ALIGNMENT:
      s.config.symbol_alignment = static_cast<uint16_t>(g_value_get_uint(value));
      break;
    case PROP_VIDEO_MIN_SYMBOLS:
      s.config.video_min_symbols = static_cast<uint16_t>(g_value_get_uint(value));
      break;
    case PROP_STREAM_ID:
      s.config.stream_id = g_value_get_uint(value);
      break;
    case PROP_CODEC_ID:
      s.codec_id = g_value_get_uint(value);
      break;
    case PROP_QUALITY_REPORT: {
      auto *structure = static_cast<const GstStructure *>(g_value_get_boxed(value));
      auto report = structure ? wzp::gst::report_from_structure(structure) : std::nullopt;
      if (structure && !report) {
        GST_WARNING_OBJECT(self, "invalid quality report ignored: %" GST_PTR_FORMAT, structure);
        return;
      }
      s.report = report;
      s.report_changed = true;
      return;  // the FEC settings are unchanged
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      return;
  }
  self->priv->settings_changed = true;
}

void get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec) {
  auto *self = GST_WZP_FEC_ENC(object);
  if (id == PROP_STATS) {
    g_value_take_boxed(value, make_stats(self));
    return;
  }
  std::lock_guard guard(self->priv->settings_lock);
  const Settings &s = self->priv->settings;
  switch (id) {
    case PROP_BLOCK_SIZE:
      g_value_set_uint(value, s.config.block_frames);
      break;
    case PROP_MAX_BLOCK_TIME:
      g_value_set_uint64(value, s.max_block_time);
      break;
    case PROP_REPAIR_RATIO:
      g_value_set_double(value, s.config.repair_ratio);
      break;
    case PROP_KEYFRAME_REPAIR_RATIO:
      g_value_set_double(value, s.config.keyframe_repair_ratio);
      break;
    case PROP_INTERLEAVE_DEPTH:
      g_value_set_uint(value, s.config.interleave_depth);
      break;
    case PROP_PACE_REPAIR:
      g_value_set_boolean(value, s.config.pace_repair);
      break;
    case PROP_WINDOW_FRAMES:
      g_value_set_uint(value, s.config.window_frames);
      break;
    case PROP_SYMBOL_ALIGNMENT:
      g_value_set_uint(value, s.config.symbol_alignment);
      break;
    case PROP_VIDEO_MIN_SYMBOLS:
      g_value_set_uint(value, s.config.video_min_symbols);
      break;
    case PROP_STREAM_ID:
      g_value_set_uint(value, s.config.stream_id);
      break;
    case PROP_CODEC_ID:
      g_value_set_uint(value, s.codec_id);
      break;
    case PROP_QUALITY_REPORT:
      g_value_take_boxed(value, s.report
                                    ? wzp::gst::report_to_structure("wzp-quality-report", *s.report)
                                    : nullptr);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

void install_properties(GObjectClass *gobject_class) {
  auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                        GST_PARAM_MUTABLE_PLAYING);
  wzp::fec::EncoderConfig defaults;
  g_object_class_install_property(
      gobject_class, PROP_BLOCK_SIZE,
      g_param_spec_uint("block-size", "Block size",
                        "Frames per FEC block (K). Larger blocks protect better against the same "
                        "loss but add that many frames of recovery latency",
                        1, wzp::fec::kMaxBlockFrames, defaults.block_frames, flags));
  g_object_class_install_property(
      gobject_class, PROP_MAX_BLOCK_TIME,
      g_param_spec_uint64("max-block-time", "Maximum block time",
                          "Longest stretch of media time (ns) one group of blocks may span; a "
                          "frame arriving later closes the group, and if none comes the group "
                          "closes on the clock one frame after this time. 0 = close by count only",
                          0, 10 * GST_SECOND, kDefaultMaxBlockTime, flags));
  g_object_class_install_property(
      gobject_class, PROP_REPAIR_RATIO,
      g_param_spec_double("repair-ratio", "Repair ratio",
                          "Repair packets per frame in a block (R = ceil(ratio x frames)); "
                          "a block survives losing about this fraction of its K + R packets",
                          0.0, wzp::fec::kMaxRepairRatio, defaults.repair_ratio, flags));
  g_object_class_install_property(
      gobject_class, PROP_KEYFRAME_REPAIR_RATIO,
      g_param_spec_double("keyframe-repair-ratio", "Keyframe repair ratio",
                          "Repair ratio for blocks that start with a video keyframe (a keyframe "
                          "always opens a new block)",
                          0.0, wzp::fec::kMaxRepairRatio, defaults.keyframe_repair_ratio, flags));
  g_object_class_install_property(
      gobject_class, PROP_INTERLEAVE_DEPTH,
      g_param_spec_uint("interleave-depth", "Interleave depth",
                        "Blocks filled round-robin at once (D); a burst of B lost packets costs "
                        "each about B/D symbols, at D times the recovery latency",
                        1, wzp::fec::kMaxInterleaveDepth, defaults.interleave_depth, flags));
  g_object_class_install_property(
      gobject_class, PROP_PACE_REPAIR,
      g_param_spec_boolean("pace-repair", "Pace repair",
                           "Spread a group's repair packets over the first half of the next "
                           "group's frames instead of one burst as it closes, so a burst of "
                           "losses takes symbols of two blocks rather than all of one block's "
                           "repair; recovery waits up to half a group more",
                           defaults.pace_repair, flags));
  g_object_class_install_property(
      gobject_class, PROP_WINDOW_FRAMES,
      g_param_spec_uint("window-frames", "Window frames",
                        "0: FEC in blocks (block-size, interleave-depth, pace-repair). W: a "
                        "sliding window instead: each frame is followed at once by its share of "
                        "repair-ratio repair packets, each over the last W frames, so a lost "
                        "frame is rebuilt from the next frames' repair rather than at a block's "
                        "end",
                        0, wzp::fec::kMaxWindowFrames, defaults.window_frames, flags));
  g_object_class_install_property(
      gobject_class, PROP_SYMBOL_ALIGNMENT,
      g_param_spec_uint("symbol-alignment", "Symbol alignment",
                        "Symbol size policy: a block's symbol size is its largest frame plus a "
                        "6-byte prefix, rounded up to a multiple of this many bytes; larger "
                        "values make repair packet sizes reveal less about the frames",
                        1, 64, defaults.symbol_alignment, flags));
  g_object_class_install_property(
      gobject_class, PROP_VIDEO_MIN_SYMBOLS,
      g_param_spec_uint("video-min-symbols", "Video minimum symbols",
                        "Video: a frame is split over at least this many source symbols (while "
                        "they stay 64 bytes or more), so a small frame's block has more, "
                        "smaller packets and survives a given loss rate more often for the "
                        "same share of repair",
                        1, wzp::fec::kMaxBlockFrames, defaults.video_min_symbols, flags));
  g_object_class_install_property(
      gobject_class, PROP_STREAM_ID,
      g_param_spec_uint("stream-id", "Stream id", "Stream id written into every packet header", 0,
                        G_MAXUINT32, 0, flags));
  g_object_class_install_property(
      gobject_class, PROP_CODEC_ID,
      g_param_spec_uint("codec-id", "Codec id",
                        "Wire codec id written into every packet header (libwzp/wire/header.hpp); "
                        "0 derives it from the input caps (Opus, Codec2 modes, AV1)",
                        0, 255, 0, flags));
  g_object_class_install_property(
      gobject_class, PROP_QUALITY_REPORT,
      g_param_spec_boxed("quality-report", "Quality report",
                         "What this side receives from the peer, sent to the peer in packet "
                         "headers: loss (double, fraction 0..1), rtt-ms, jitter-ms, "
                         "bandwidth-kbps (uint, 0 = unknown). Sent in a burst of packets after "
                         "each update and once per second of media; NULL stops reports",
                         GST_TYPE_STRUCTURE, flags));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "Counters: frames, rejected-empty, rejected-oversize, blocks, "
                         "keyframe-blocks, source-packets, repair-packets, bytes-sent, "
                         "reports-sent (packets that carried a quality report), deadline-closes "
                         "(groups closed by the clock because no frame came to close them)",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
}

}  // namespace wzp::fec_enc_element
