#include "media_clock.hpp"

#include <cstring>

namespace wzp::gst {
namespace {

struct CodecCaps {
  uint8_t codec;
  const char *caps;
};
// Codec2 ids carry the mode; the caps spell it out for a codec2 decoder.
constexpr CodecCaps kCodecCaps[] = {
    {wire::codec::kOpus, "audio/x-opus, channel-mapping-family=(int)0"},
    {wire::codec::kCodec2_3200, "audio/x-codec2, mode=(string)3200"},
    {wire::codec::kCodec2_2400, "audio/x-codec2, mode=(string)2400"},
    {wire::codec::kCodec2_1600, "audio/x-codec2, mode=(string)1600"},
    {wire::codec::kCodec2_1400, "audio/x-codec2, mode=(string)1400"},
    {wire::codec::kCodec2_1300, "audio/x-codec2, mode=(string)1300"},
    {wire::codec::kCodec2_1200, "audio/x-codec2, mode=(string)1200"},
    {wire::codec::kCodec2_700C, "audio/x-codec2, mode=(string)700C"},
    {wire::codec::kAv1, "video/x-av1, stream-format=(string)obu-stream, alignment=(string)tu"},
};

}  // namespace

StreamKind stream_kind_from_caps(const GstCaps *caps) {
  StreamKind kind;
  if (caps == nullptr || gst_caps_is_empty(caps) || gst_caps_is_any(caps)) return kind;
  const GstStructure *s = gst_caps_get_structure(caps, 0);
  const char *name = gst_structure_get_name(s);
  if (g_str_has_prefix(name, "audio/")) {
    kind.media_type = wire::MediaType::kAudio;
  } else if (g_str_has_prefix(name, "video/")) {
    kind.media_type = wire::MediaType::kVideo;
  }
  if (std::strcmp(name, "audio/x-opus") == 0) {
    kind.codec = wire::codec::kOpus;
  } else if (std::strcmp(name, "video/x-av1") == 0) {
    kind.codec = wire::codec::kAv1;
  } else if (std::strcmp(name, "audio/x-codec2") == 0) {
    const char *mode = gst_structure_get_string(s, "mode");
    for (const auto &entry : kCodecCaps) {
      GstCaps *known = gst_caps_from_string(entry.caps);
      const char *known_mode = gst_structure_get_string(gst_caps_get_structure(known, 0), "mode");
      if (mode && known_mode && std::strcmp(mode, known_mode) == 0) kind.codec = entry.codec;
      gst_caps_unref(known);
    }
  }
  return kind;
}

GstCaps *caps_for_codec(uint8_t codec) {
  for (const auto &entry : kCodecCaps) {
    if (entry.codec == codec) return gst_caps_from_string(entry.caps);
  }
  return nullptr;
}

uint32_t to_media_ticks(GstClockTime time, uint32_t rate) {
  return static_cast<uint32_t>(gst_util_uint64_scale(time, rate, GST_SECOND));
}

GstClockTime TimestampUnwrapper::to_time(uint32_t ticks, uint32_t rate) {
  if (!started_) {
    started_ = true;
    extended_ = ticks;
  } else {
    extended_ += static_cast<int32_t>(ticks - last_);
  }
  last_ = ticks;
  if (extended_ < 0) return GST_CLOCK_TIME_NONE;
  return gst_util_uint64_scale(static_cast<uint64_t>(extended_), GST_SECOND, rate);
}

}  // namespace wzp::gst
