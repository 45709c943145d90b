#include "client/tier_settings.hpp"

#include <algorithm>
#include <string>

namespace wzp::client {
namespace {

// Opus cannot go below 4 kbit/s nor above 60 ms frames: the Codec2 tier,
// on a sender with a plain opusenc (no wzpvoiceenc to switch codec), sends
// the sparsest Opus there is.
constexpr uint32_t kOpusMinBitrate = 4000;
constexpr int kOpusMaxFrameMs = 60;

// The value of enum property `property` named by `nick`, so one
// g_object_set can carry it with the others; -1 (and a g_critical) when the
// element has no such property or nick.
gint enum_by_nick(GstElement *element, const char *property, const char *nick) {
  GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(element), property);
  GEnumValue *value = spec != nullptr && G_IS_PARAM_SPEC_ENUM(spec)
                          ? g_enum_get_value_by_nick(G_PARAM_SPEC_ENUM(spec)->enum_class, nick)
                          : nullptr;
  if (value == nullptr) {
    g_critical("%s has no enum property %s with nick '%s'", GST_ELEMENT_NAME(element), property,
               nick);
    return -1;
  }
  return value->value;
}

}  // namespace

void apply_tier(const quality::TierProfile &p, const TierElements &elements) {
  if (elements.voice_encoder != nullptr) {
    const char *codec = p.codec == quality::Codec::kCodec2 ? "codec2" : "opus";
    gint codec_value = enum_by_nick(elements.voice_encoder, "codec", codec);
    // One g_object_set: wzpvoiceenc applies the three together.
    if (codec_value >= 0) {
      g_object_set(elements.voice_encoder, "codec", codec_value, "bitrate",
                   static_cast<gint>(p.bitrate_bps), "frame-duration", gint{p.frame_ms}, nullptr);
    }
  }
  if (elements.opus_encoder != nullptr) {
    bool opus = p.codec == quality::Codec::kOpus;
    gint bitrate = static_cast<gint>(std::max(p.bitrate_bps, kOpusMinBitrate));
    gint frame_ms = opus ? p.frame_ms : kOpusMaxFrameMs;
    gint frame_size =
        enum_by_nick(elements.opus_encoder, "frame-size", std::to_string(frame_ms).c_str());
    if (frame_size >= 0) {
      g_object_set(elements.opus_encoder, "bitrate", bitrate, "frame-size", frame_size, nullptr);
    }
  }
  if (elements.fec_encoder != nullptr) {
    g_object_set(elements.fec_encoder, "block-size", guint{p.block_frames}, "repair-ratio",
                 p.repair_ratio, "interleave-depth", guint{p.interleave_depth}, "max-block-time",
                 guint64{p.group_ms()} * GST_MSECOND, "window-frames", guint{p.window_frames},
                 nullptr);
  }
}

}  // namespace wzp::client
