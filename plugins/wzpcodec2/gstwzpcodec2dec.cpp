/**
 * SECTION:element-wzpcodec2dec
 *
 * Decodes Codec2 frames (`audio/x-codec2` with the `mode` field) to 8 kHz
 * mono speech. A buffer may hold several whole frames back to back, as
 * `wzpcodec2enc frames-per-packet` packs them (the catastrophic tier sends
 * two 40 ms frames per 80 ms packet); the payload's size tells how many.
 *
 * Lost audio is concealed: a GAP event (as wzpjitterbuffer sends for a
 * missing frame), a buffer flagged GAP or a buffer that is not a whole
 * number of frames each produce their duration of concealment, frame by
 * frame (one frame when no duration is known), so a lost packet of two
 * frames is concealed as two. Empty buffers are discarded by the
 * GstAudioDecoder base class, so send a GAP event instead. Concealment re-synthesises the last
 * good frame's parameters, which continues the voice smoothly, and fades it
 * to silence over 120 ms; good frames after a gap fade back in, so neither
 * edge clicks. Concealment is on by default (the base class `plc` property).
 *
 * A 5-byte SID frame (from `wzpcodec2enc dtx=true`, see docs/dtx.md) starts
 * comfort noise: noise at the SID's level and coarse spectrum for the SID's
 * duration, and for every GAP after it, until the next codec frame. So the
 * silence between SID frames — which wzpjitterbuffer fills with GAP events
 * for up to 1 s — sounds like the far end's room, not like loss. A SID that
 * does not parse is concealed and counted as malformed.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 audiotestsrc wave=sine freq=300 num-buffers=50 ! \
 *     audio/x-raw,rate=8000,channels=1 ! wzpcodec2enc mode=700C ! wzpcodec2dec ! \
 *     audioconvert ! autoaudiosink
 * ]| A Codec2 loopback at 700 bit/s.
 * |[
 * ... ! wzpfecdec ! wzpjitterbuffer ! wzpcodec2dec ! audioconvert ! autoaudiosink
 * ]| The catastrophic tier's receive end: lost frames arrive as GAP events.
 */
#include "plugins/wzpcodec2/gstwzpcodec2dec.h"

#include <codec2/codec2.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "libwzp/audio/comfort_noise.hpp"
#include "libwzp/audio/sid.hpp"
#include "plugins/wzpcodec2/codec2modes.h"

GST_DEBUG_CATEGORY_STATIC(wzp_codec2_dec_debug);
#define GST_CAT_DEFAULT wzp_codec2_dec_debug

namespace {

constexpr int kSampleRate = 8000;
constexpr GstClockTime kFadeOut = 120 * GST_MSECOND;
// One concealment never covers more than this, bounding its output buffer.
constexpr GstClockTime kMaxConcealment = 10 * GST_SECOND;

enum { PROP_0, PROP_STATS };

struct Codec2Deleter {
  void operator()(CODEC2 *codec) const { codec2_destroy(codec); }
};

struct Private {
  std::mutex state_mutex;
  std::unique_ptr<CODEC2, Codec2Deleter> codec;
  std::string mode;
  size_t samples_per_frame = 0;
  size_t bytes_per_frame = 0;
  GstClockTime frame_duration = 0;
  std::vector<uint8_t> last_frame;  // the last good frame's bits
  bool have_last_frame = false;
  float gain = 1.0f;  // of the output so far: below 1 while concealing
  float fade_step = 0.0f;
  guint64 frames_decoded = 0;
  guint64 frames_concealed = 0;
  guint64 malformed_buffers = 0;
  wzp::audio::ComfortNoise comfort_noise;
  bool comfort_noise_playing = false;  // since a SID, until the next codec frame
  guint64 sid_frames = 0;
  guint64 comfort_noise_samples = 0;
  guint64 frames_comfort_noise = 0;  // of comfort_noise_samples, in frames
};

// Scales a frame by a gain moving linearly from `from` to `to`.
void ramp(int16_t *samples, size_t count, float from, float to) {
  if (from == 1.0f && to == 1.0f) return;
  for (size_t i = 0; i < count; ++i) {
    const float gain = from + (to - from) * static_cast<float>(i + 1) / static_cast<float>(count);
    samples[i] = static_cast<int16_t>(std::lrint(samples[i] * gain));
  }
}

}  // namespace

struct _GstWzpCodec2Dec {
  GstAudioDecoder parent;
  Private *priv;
};

G_DEFINE_TYPE(GstWzpCodec2Dec, gst_wzp_codec2_dec, GST_TYPE_AUDIO_DECODER)

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(WZP_CODEC2_CAPS));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS("audio/x-raw, format = (string) S16LE, "
                                            "rate = (int) 8000, channels = (int) 1, "
                                            "layout = (string) interleaved"));

static gboolean gst_wzp_codec2_dec_set_format(GstAudioDecoder *decoder, GstCaps *caps) {
  auto *self = GST_WZP_CODEC2_DEC(decoder);
  const gchar *name = gst_structure_get_string(gst_caps_get_structure(caps, 0), "mode");
  auto mode = wzp::codec2::mode_from_name(name != nullptr ? name : "");
  std::unique_ptr<CODEC2, Codec2Deleter> codec(mode ? codec2_create(mode->library_mode) : nullptr);
  if (!codec) {
    GST_WARNING_OBJECT(self, "caps without a known Codec2 mode: %" GST_PTR_FORMAT, caps);
    return FALSE;
  }
  {
    Private &p = *self->priv;
    std::lock_guard lock(p.state_mutex);
    p.codec = std::move(codec);
    p.mode = std::string(mode->name);
    p.samples_per_frame = static_cast<size_t>(codec2_samples_per_frame(p.codec.get()));
    p.bytes_per_frame = static_cast<size_t>(codec2_bytes_per_frame(p.codec.get()));
    p.frame_duration = gst_util_uint64_scale_int(p.samples_per_frame, GST_SECOND, kSampleRate);
    p.fade_step = static_cast<float>(p.frame_duration) / static_cast<float>(kFadeOut);
    p.last_frame.assign(p.bytes_per_frame, 0);
    p.have_last_frame = false;
    p.gain = 1.0f;
  }
  // GAP events and empty buffers reach handle_frame instead of passing by.
  // (The base class forgets this at every reset, so say it here.)
  gst_audio_decoder_set_plc_aware(decoder, TRUE);
  GstAudioInfo info;
  gst_audio_info_set_format(&info, GST_AUDIO_FORMAT_S16LE, kSampleRate, 1, nullptr);
  return gst_audio_decoder_set_output_format(decoder, &info);
}

// Fills `frames` frames of `out` with concealment. Called with the state lock.
static void conceal(Private &p, int16_t *out, size_t frames) {
  for (size_t f = 0; f < frames; ++f, out += p.samples_per_frame) {
    const float to = std::max(0.0f, p.gain - p.fade_step);
    if (p.have_last_frame && p.gain > 0.0f) {
      codec2_decode(p.codec.get(), out, p.last_frame.data());
      ramp(out, p.samples_per_frame, p.gain, to);
    } else {
      std::fill(out, out + p.samples_per_frame, int16_t{0});
    }
    p.gain = to;
  }
  p.frames_concealed += frames;
}

static void play_comfort_noise(Private &p, int16_t *out, size_t samples) {
  p.comfort_noise.fill(std::span<int16_t>(out, samples));
  p.comfort_noise_samples += samples;
  p.frames_comfort_noise = p.comfort_noise_samples / p.samples_per_frame;
}

static void decode(Private &p, const uint8_t *in, size_t frames, int16_t *out) {
  if (p.comfort_noise_playing) {
    p.comfort_noise_playing = false;
    p.comfort_noise.reset();
  }
  for (size_t f = 0; f < frames; ++f, in += p.bytes_per_frame, out += p.samples_per_frame) {
    codec2_decode(p.codec.get(), out, in);
    // After concealment, fade back in over one frame rather than jump.
    ramp(out, p.samples_per_frame, p.gain, 1.0f);
    p.gain = 1.0f;
  }
  std::copy(in - p.bytes_per_frame, in, p.last_frame.begin());
  p.have_last_frame = true;
  p.frames_decoded += frames;
}

static GstFlowReturn gst_wzp_codec2_dec_handle_frame(GstAudioDecoder *decoder, GstBuffer *input) {
  auto *self = GST_WZP_CODEC2_DEC(decoder);
  if (input == nullptr) return GST_FLOW_OK;  // drain: nothing held back

  Private &p = *self->priv;
  std::unique_lock lock(p.state_mutex);
  if (!p.codec) return GST_FLOW_NOT_NEGOTIATED;
  GstMapInfo in;
  if (!gst_buffer_map(input, &in, GST_MAP_READ)) return GST_FLOW_ERROR;
  const bool whole_frames = in.size > 0 && in.size % p.bytes_per_frame == 0;
  std::optional<wzp::audio::SidFrame> sid;
  if (wzp::audio::may_be_sid(in.size, p.bytes_per_frame) &&
      !GST_BUFFER_FLAG_IS_SET(input, GST_BUFFER_FLAG_GAP)) {
    sid = wzp::audio::parse_sid(std::span<const uint8_t>(in.data, in.size));
  }
  if (sid) {
    p.comfort_noise.set(*sid);
    p.comfort_noise_playing = true;
    p.gain = 1.0f;  // the concealment fade is over: comfort noise takes its place
    ++p.sid_frames;
    GST_LOG_OBJECT(self, "SID: comfort noise at %.1f dBFS", sid->level_dbfs);
  }
  const bool lost = sid || !whole_frames || GST_BUFFER_FLAG_IS_SET(input, GST_BUFFER_FLAG_GAP);
  if (in.size > 0 && !whole_frames && !sid) {
    ++p.malformed_buffers;
    GST_WARNING_OBJECT(self, "%zu bytes is not a whole number of %zu-byte frames: concealing",
                       in.size, p.bytes_per_frame);
  }
  size_t frames = in.size / p.bytes_per_frame;
  size_t output_samples = frames * p.samples_per_frame;
  if (lost) {
    const GstClockTime duration = GST_BUFFER_DURATION_IS_VALID(input)
                                      ? std::min(GST_BUFFER_DURATION(input), kMaxConcealment)
                                      : p.frame_duration;
    frames = std::max<size_t>(1, (duration + p.frame_duration - 1) / p.frame_duration);
    output_samples = frames * p.samples_per_frame;
    if (p.comfort_noise_playing) {
      // Noise has no frames: fill exactly the time asked for, so a stream of
      // short GAP events (e.g. from a jitter buffer that assumes 20 ms
      // frames) does not stretch the silence.
      output_samples = std::clamp<size_t>(
          gst_util_uint64_scale_round(duration, kSampleRate, GST_SECOND), 1, output_samples);
    }
  }

  GstBuffer *output =
      gst_audio_decoder_allocate_output_buffer(decoder, output_samples * sizeof(int16_t));
  GstMapInfo out;
  if (!gst_buffer_map(output, &out, GST_MAP_WRITE)) {
    gst_buffer_unmap(input, &in);
    gst_buffer_unref(output);
    return GST_FLOW_ERROR;
  }
  auto *samples = reinterpret_cast<int16_t *>(out.data);
  if (lost && p.comfort_noise_playing) {
    play_comfort_noise(p, samples, output_samples);
  } else if (lost) {
    conceal(p, samples, frames);
  } else {
    decode(p, in.data, frames, samples);
  }
  if constexpr (G_BYTE_ORDER != G_LITTLE_ENDIAN) {
    for (size_t i = 0; i < output_samples; ++i) {
      samples[i] = static_cast<int16_t>(GUINT16_TO_LE(static_cast<uint16_t>(samples[i])));
    }
  }
  gst_buffer_unmap(output, &out);
  gst_buffer_unmap(input, &in);
  lock.unlock();
  return gst_audio_decoder_finish_frame(decoder, output, 1);
}

static gboolean gst_wzp_codec2_dec_stop(GstAudioDecoder *decoder) {
  auto *self = GST_WZP_CODEC2_DEC(decoder);
  std::lock_guard lock(self->priv->state_mutex);
  self->priv->codec.reset();
  self->priv->have_last_frame = false;
  self->priv->comfort_noise_playing = false;
  self->priv->comfort_noise.reset();
  return TRUE;
}

static GstStructure *make_stats(GstWzpCodec2Dec *self) {
  Private &p = *self->priv;
  std::lock_guard lock(p.state_mutex);
  return gst_structure_new("application/x-wzp-codec2dec-stats", "frames-decoded", G_TYPE_UINT64,
                           p.frames_decoded, "frames-concealed", G_TYPE_UINT64, p.frames_concealed,
                           "malformed-buffers", G_TYPE_UINT64, p.malformed_buffers, "sid-frames",
                           G_TYPE_UINT64, p.sid_frames, "frames-comfort-noise", G_TYPE_UINT64,
                           p.frames_comfort_noise, nullptr);
}

static void gst_wzp_codec2_dec_get_property(GObject *object, guint id, GValue *value,
                                            GParamSpec *pspec) {
  auto *self = GST_WZP_CODEC2_DEC(object);
  switch (id) {
    case PROP_STATS:
      g_value_take_boxed(value, make_stats(self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void gst_wzp_codec2_dec_finalize(GObject *object) {
  delete GST_WZP_CODEC2_DEC(object)->priv;
  G_OBJECT_CLASS(gst_wzp_codec2_dec_parent_class)->finalize(object);
}

static void gst_wzp_codec2_dec_init(GstWzpCodec2Dec *self) {
  self->priv = new Private();
  auto *decoder = GST_AUDIO_DECODER(self);
  gst_audio_decoder_set_plc(decoder, TRUE);
  gst_audio_decoder_set_needs_format(decoder, TRUE);
}

static void gst_wzp_codec2_dec_class_init(GstWzpCodec2DecClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  auto *decoder_class = GST_AUDIO_DECODER_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(wzp_codec2_dec_debug, "wzpcodec2dec", 0, "wzp Codec2 decoder");

  gobject_class->get_property = gst_wzp_codec2_dec_get_property;
  gobject_class->finalize = gst_wzp_codec2_dec_finalize;

  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "frames-decoded, frames-concealed (lost audio filled in), "
                         "malformed-buffers (not a whole number of frames, nor a SID frame), "
                         "sid-frames and frames-comfort-noise (silence played as comfort noise)",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Codec2 decoder", "Codec/Decoder/Audio",
      "Decodes Codec2 speech, concealing lost frames and playing comfort noise. Example: "
      "gst-launch-1.0 audiotestsrc ! audio/x-raw,rate=8000,channels=1 ! wzpcodec2enc mode=1200 ! "
      "wzpcodec2dec ! autoaudiosink",
      WZP_AUTHOR);

  decoder_class->set_format = gst_wzp_codec2_dec_set_format;
  decoder_class->handle_frame = gst_wzp_codec2_dec_handle_frame;
  decoder_class->stop = gst_wzp_codec2_dec_stop;
}
