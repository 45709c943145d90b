/**
 * SECTION:element-wzpcodec2enc
 *
 * Encodes 8 kHz mono speech with Codec2 (libcodec2). A Codec2 frame is 20 ms
 * at 3200 and 2400 bit/s and 40 ms at the lower rates; `frames-per-packet`
 * packs that many frames, back to back, into one output buffer, because at
 * 1200 bit/s a 6-byte frame is tiny beside what each packet costs on the wire
 * (header, AEAD tag, FEC, IP/UDP/QUIC). Packets sit on a fixed grid of
 * `frames-per-packet` frames from the stream start; a packet that DTX or the
 * end of stream cuts short holds fewer frames. The wzp quality ladder uses
 * 1200 bit/s, two frames (80 ms) per packet, for its catastrophic tier. A
 * last partial frame at end of stream is padded with silence.
 *
 * With `dtx=true` the encoder stops sending while nobody speaks
 * (discontinuous transmission): a voice-activity detector (libwzp/audio)
 * tracks the background's level, and for silent frames the encoder sends one
 * 5-byte SID frame (the background's level and coarse spectrum, see
 * docs/dtx.md) every `sid-interval` milliseconds instead of codec frames; the
 * frames between are dropped, so their time passes without output.
 * `wzpcodec2dec` plays comfort noise from the SID frames.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 audiotestsrc wave=sine freq=300 num-buffers=50 ! audioconvert ! \
 *     audioresample ! audio/x-raw,rate=8000,channels=1 ! wzpcodec2enc mode=1200 ! \
 *     wzpcodec2dec ! audioconvert ! autoaudiosink
 * ]| Encodes a tone at 1200 bit/s and plays it back.
 * |[
 * gst-launch-1.0 autoaudiosrc ! audioconvert ! audioresample ! \
 *     audio/x-raw,rate=8000,channels=1 ! wzpcodec2enc mode=3200 ! fakesink
 * ]| Encodes the microphone at 3200 bit/s.
 * |[
 * gst-launch-1.0 autoaudiosrc ! audioconvert ! audioresample ! \
 *     audio/x-raw,rate=8000,channels=1 ! wzpcodec2enc mode=1200 dtx=true ! \
 *     wzpcodec2dec ! audioconvert ! autoaudiosink
 * ]| Sends only speech; the pauses come back as comfort noise.
 */
#include "plugins/wzpcodec2/gstwzpcodec2enc.h"

#include <codec2/codec2.h>

#include <algorithm>
#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "libwzp/audio/dtx.hpp"
#include "libwzp/audio/sid.hpp"
#include "plugins/wzpcodec2/codec2modes.h"

GST_DEBUG_CATEGORY_STATIC(wzp_codec2_enc_debug);
#define GST_CAT_DEFAULT wzp_codec2_enc_debug

namespace {

constexpr int kDefaultMode = CODEC2_MODE_1200;
constexpr int kDefaultSidIntervalMs = 400;
// 8 frames of 40 ms: 320 ms, past which a lost packet is a lost word.
constexpr int kMaxFramesPerPacket = 8;

enum { PROP_0, PROP_MODE, PROP_DTX, PROP_SID_INTERVAL, PROP_FRAMES_PER_PACKET, PROP_STATS };

struct Codec2Deleter {
  void operator()(CODEC2 *codec) const { codec2_destroy(codec); }
};

struct Private {
  std::mutex settings_mutex;
  int mode = kDefaultMode;
  bool dtx = false;
  int sid_interval_ms = kDefaultSidIntervalMs;
  int frames_per_packet = 1;

  std::mutex state_mutex;
  std::unique_ptr<CODEC2, Codec2Deleter> codec;
  int samples_per_frame = 0;
  int bytes_per_frame = 0;
  int active_mode = -1;  // the mode `codec` encodes
  int active_frames_per_packet = 1;
  std::vector<short> pcm;       // one frame, reused
  std::vector<uint8_t> packet;  // the packet being filled, reused
  guint64 frames_encoded = 0;
  guint64 frames_padded = 0;
  wzp::audio::DtxEncoder dtx_encoder;
  guint64 sid_frames = 0;
  guint64 frames_suppressed = 0;  // silent frames sent as nothing
  guint64 packets = 0;            // buffers of codec frames out
};

// One output of handle_frame: a buffer (NULL: time passing unsent) and the
// input samples it stands for.
struct Piece {
  GstBuffer *buffer = nullptr;
  int samples = 0;
};

}  // namespace

struct _GstWzpCodec2Enc {
  GstAudioEncoder parent;
  Private *priv;
};

G_DEFINE_TYPE(GstWzpCodec2Enc, gst_wzp_codec2_enc, GST_TYPE_AUDIO_ENCODER)

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS("audio/x-raw, format = (string) S16LE, "
                                            "rate = (int) 8000, channels = (int) 1, "
                                            "layout = (string) interleaved"));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(WZP_CODEC2_CAPS));

// Switches the encoder to `mode`: a new Codec2 state, frame length and
// output caps. Runs at negotiation and, when the property changes mid-stream,
// between two frames, so the switch is seamless.
static gboolean apply_mode(GstWzpCodec2Enc *self, int mode, int frames_per_packet) {
  auto *encoder = GST_AUDIO_ENCODER(self);
  auto known = wzp::codec2::mode_from_library(mode);
  std::unique_ptr<CODEC2, Codec2Deleter> codec(codec2_create(mode));
  if (!known || !codec) {
    GST_ELEMENT_ERROR(self, LIBRARY, INIT, ("Codec2 mode %d is not available", mode), (nullptr));
    return FALSE;
  }
  const int samples_per_frame = codec2_samples_per_frame(codec.get());
  {
    std::lock_guard lock(self->priv->state_mutex);
    self->priv->codec = std::move(codec);
    self->priv->active_mode = mode;
    self->priv->samples_per_frame = samples_per_frame;
    self->priv->bytes_per_frame = codec2_bytes_per_frame(self->priv->codec.get());
    self->priv->active_frames_per_packet = frames_per_packet;
    self->priv->pcm.assign(static_cast<size_t>(samples_per_frame), 0);
    self->priv->packet.assign(
        static_cast<size_t>(self->priv->bytes_per_frame * kMaxFramesPerPacket), 0);
  }
  // One handle_frame call per packet, on the grid from the stream start.
  gst_audio_encoder_set_frame_samples_min(encoder, samples_per_frame * frames_per_packet);
  gst_audio_encoder_set_frame_samples_max(encoder, samples_per_frame * frames_per_packet);
  gst_audio_encoder_set_frame_max(encoder, 1);

  const std::string name(known->name);
  GstCaps *caps =
      gst_caps_new_simple("audio/x-codec2", "mode", G_TYPE_STRING, name.c_str(), nullptr);
  GST_DEBUG_OBJECT(self, "mode %s: %d samples per frame", name.c_str(), samples_per_frame);
  const gboolean ok = gst_audio_encoder_set_output_format(encoder, caps);
  gst_caps_unref(caps);
  return ok;
}

struct Layout {
  int mode;
  int frames_per_packet;
  bool operator==(const Layout &) const = default;
};

static Layout requested_layout(GstWzpCodec2Enc *self) {
  std::lock_guard lock(self->priv->settings_mutex);
  return {self->priv->mode, self->priv->frames_per_packet};
}

struct DtxSettings {
  bool enabled;
  int sid_interval_ms;
};

static DtxSettings dtx_settings(GstWzpCodec2Enc *self) {
  std::lock_guard lock(self->priv->settings_mutex);
  return {self->priv->dtx, self->priv->sid_interval_ms};
}

// What to send for the frame in `p.pcm`: the codec frame, a SID, or nothing.
static wzp::audio::DtxDecision decide(Private &p, const DtxSettings &dtx) {
  if (!dtx.enabled) return wzp::audio::DtxDecision::kSpeech;
  p.dtx_encoder.set_sid_interval_ms(dtx.sid_interval_ms);
  return p.dtx_encoder.classify(p.pcm);
}

static gboolean gst_wzp_codec2_enc_set_format(GstAudioEncoder *encoder, GstAudioInfo *) {
  auto *self = GST_WZP_CODEC2_ENC(encoder);
  const Layout layout = requested_layout(self);
  return apply_mode(self, layout.mode, layout.frames_per_packet);
}

// Copies frame `index` of `input` into `p.pcm`, padding a short last frame
// with silence; returns the samples it really had.
static int load_frame(Private &p, const GstMapInfo &input, int index) {
  const size_t first = static_cast<size_t>(index) * p.pcm.size();
  const size_t available = input.size / 2 > first ? input.size / 2 - first : 0;
  const size_t samples = std::min(available, p.pcm.size());
  for (size_t i = 0; i < samples; ++i) {
    p.pcm[i] = static_cast<short>(GST_READ_UINT16_LE(input.data + 2 * (first + i)));
  }
  std::fill(p.pcm.begin() + static_cast<ptrdiff_t>(samples), p.pcm.end(), short{0});
  if (samples < p.pcm.size()) ++p.frames_padded;
  return static_cast<int>(samples);
}

static GstBuffer *make_buffer(GstAudioEncoder *encoder, const uint8_t *data, size_t size) {
  GstBuffer *buffer = gst_audio_encoder_allocate_output_buffer(encoder, size);
  gst_buffer_fill(buffer, 0, data, size);
  return buffer;
}

// Encodes one packet's worth of input into at most frames_per_packet + 1
// pieces: the speech frames packed together, cut where a SID or a
// suppressed frame comes between them. Called with the state lock.
static size_t encode_packet(GstWzpCodec2Enc *self, const GstMapInfo &input, const DtxSettings &dtx,
                            std::array<Piece, kMaxFramesPerPacket + 1> &out) {
  auto *encoder = GST_AUDIO_ENCODER(self);
  Private &p = *self->priv;
  const int frames = static_cast<int>((input.size / 2 + p.pcm.size() - 1) /
                                      p.pcm.size());  // the last may be partial
  size_t pieces = 0;
  size_t packed_frames = 0;
  int packed_samples = 0;
  auto flush_packet = [&] {
    if (packed_frames == 0) return;
    out[pieces++] =
        Piece{make_buffer(encoder, p.packet.data(), packed_frames * size_t(p.bytes_per_frame)),
              packed_samples};
    ++p.packets;
    packed_frames = 0;
    packed_samples = 0;
  };
  for (int f = 0; f < std::min(frames, kMaxFramesPerPacket); ++f) {
    const int samples = load_frame(p, input, f);
    const wzp::audio::DtxDecision decision = decide(p, dtx);
    if (decision == wzp::audio::DtxDecision::kSpeech) {
      codec2_encode(p.codec.get(), p.packet.data() + packed_frames * size_t(p.bytes_per_frame),
                    p.pcm.data());
      ++packed_frames;
      packed_samples += samples;
      ++p.frames_encoded;
      continue;
    }
    flush_packet();
    if (decision == wzp::audio::DtxDecision::kSid) {
      const auto bytes = wzp::audio::encode_sid(p.dtx_encoder.sid());
      out[pieces++] = Piece{make_buffer(encoder, bytes.data(), bytes.size()), samples};
      ++p.sid_frames;
    } else {
      out[pieces++] = Piece{nullptr, samples};
      ++p.frames_suppressed;
    }
  }
  flush_packet();
  return pieces;
}

static GstFlowReturn gst_wzp_codec2_enc_handle_frame(GstAudioEncoder *encoder, GstBuffer *input) {
  auto *self = GST_WZP_CODEC2_ENC(encoder);
  if (input == nullptr) return GST_FLOW_OK;  // drain: Codec2 holds nothing back

  Private &p = *self->priv;
  std::array<Piece, kMaxFramesPerPacket + 1> pieces;
  size_t count = 0;
  Layout active;
  {
    std::lock_guard lock(p.state_mutex);
    if (!p.codec) return GST_FLOW_NOT_NEGOTIATED;
    GstMapInfo in;
    if (!gst_buffer_map(input, &in, GST_MAP_READ)) return GST_FLOW_ERROR;
    count = encode_packet(self, in, dtx_settings(self), pieces);
    gst_buffer_unmap(input, &in);
    active = {p.active_mode, p.active_frames_per_packet};
  }
  GstFlowReturn ret = GST_FLOW_OK;
  for (size_t i = 0; i < count; ++i) {
    if (ret != GST_FLOW_OK) {
      if (pieces[i].buffer != nullptr) gst_buffer_unref(pieces[i].buffer);
      continue;
    }
    ret = gst_audio_encoder_finish_frame(encoder, pieces[i].buffer, pieces[i].samples);
  }
  // A new mode or packing starts at the next packet.
  const Layout requested = requested_layout(self);
  if (ret == GST_FLOW_OK && requested != active &&
      !apply_mode(self, requested.mode, requested.frames_per_packet)) {
    ret = GST_FLOW_NOT_NEGOTIATED;
  }
  return ret;
}

static gboolean gst_wzp_codec2_enc_stop(GstAudioEncoder *encoder) {
  auto *self = GST_WZP_CODEC2_ENC(encoder);
  std::lock_guard lock(self->priv->state_mutex);
  self->priv->codec.reset();
  self->priv->dtx_encoder.reset();
  return TRUE;
}

static GstStructure *make_stats(GstWzpCodec2Enc *self) {
  std::lock_guard lock(self->priv->state_mutex);
  return gst_structure_new(
      "application/x-wzp-codec2enc-stats", "frames-encoded", G_TYPE_UINT64,
      self->priv->frames_encoded, "frames-padded", G_TYPE_UINT64, self->priv->frames_padded,
      "sid-frames", G_TYPE_UINT64, self->priv->sid_frames, "frames-suppressed", G_TYPE_UINT64,
      self->priv->frames_suppressed, "packets", G_TYPE_UINT64, self->priv->packets, nullptr);
}

static void gst_wzp_codec2_enc_set_property(GObject *object, guint id, const GValue *value,
                                            GParamSpec *pspec) {
  auto *self = GST_WZP_CODEC2_ENC(object);
  switch (id) {
    case PROP_MODE: {
      std::lock_guard lock(self->priv->settings_mutex);
      self->priv->mode = g_value_get_enum(value);
      break;
    }
    case PROP_DTX: {
      std::lock_guard lock(self->priv->settings_mutex);
      self->priv->dtx = g_value_get_boolean(value);
      break;
    }
    case PROP_SID_INTERVAL: {
      std::lock_guard lock(self->priv->settings_mutex);
      self->priv->sid_interval_ms = static_cast<int>(g_value_get_uint(value));
      break;
    }
    case PROP_FRAMES_PER_PACKET: {
      std::lock_guard lock(self->priv->settings_mutex);
      self->priv->frames_per_packet = g_value_get_int(value);
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void gst_wzp_codec2_enc_get_property(GObject *object, guint id, GValue *value,
                                            GParamSpec *pspec) {
  auto *self = GST_WZP_CODEC2_ENC(object);
  switch (id) {
    case PROP_MODE: {
      std::lock_guard lock(self->priv->settings_mutex);
      g_value_set_enum(value, self->priv->mode);
      break;
    }
    case PROP_DTX: {
      std::lock_guard lock(self->priv->settings_mutex);
      g_value_set_boolean(value, self->priv->dtx);
      break;
    }
    case PROP_SID_INTERVAL: {
      std::lock_guard lock(self->priv->settings_mutex);
      g_value_set_uint(value, static_cast<guint>(self->priv->sid_interval_ms));
      break;
    }
    case PROP_FRAMES_PER_PACKET: {
      std::lock_guard lock(self->priv->settings_mutex);
      g_value_set_int(value, self->priv->frames_per_packet);
      break;
    }
    case PROP_STATS:
      g_value_take_boxed(value, make_stats(self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void gst_wzp_codec2_enc_finalize(GObject *object) {
  delete GST_WZP_CODEC2_ENC(object)->priv;
  G_OBJECT_CLASS(gst_wzp_codec2_enc_parent_class)->finalize(object);
}

static void gst_wzp_codec2_enc_init(GstWzpCodec2Enc *self) { self->priv = new Private(); }

static void gst_wzp_codec2_enc_class_init(GstWzpCodec2EncClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  auto *encoder_class = GST_AUDIO_ENCODER_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(wzp_codec2_enc_debug, "wzpcodec2enc", 0, "wzp Codec2 encoder");

  gobject_class->set_property = gst_wzp_codec2_enc_set_property;
  gobject_class->get_property = gst_wzp_codec2_enc_get_property;
  gobject_class->finalize = gst_wzp_codec2_enc_finalize;

  g_object_class_install_property(
      gobject_class, PROP_MODE,
      g_param_spec_enum("mode", "Mode",
                        "Codec2 bit rate; sets the frame length (20 ms at 3200 and 2400, "
                        "40 ms below). May change while playing: the switch happens between two "
                        "frames, and the output caps follow",
                        GST_TYPE_WZP_CODEC2_MODE, kDefaultMode,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      gobject_class, PROP_DTX,
      g_param_spec_boolean("dtx", "DTX",
                           "Discontinuous transmission: while the voice-activity detector hears "
                           "no speech, send a SID frame (background level and spectrum) every "
                           "sid-interval ms instead of codec frames",
                           FALSE,
                           static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                    GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      gobject_class, PROP_SID_INTERVAL,
      g_param_spec_uint("sid-interval", "SID interval",
                        "With dtx, milliseconds of silence per SID frame (the first is sent as "
                        "soon as speech ends). Keep it under wzpjitterbuffer's 1 s dry limit so "
                        "the receiver's comfort noise never stops",
                        20, 10000, kDefaultSidIntervalMs,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      gobject_class, PROP_FRAMES_PER_PACKET,
      g_param_spec_int("frames-per-packet", "Frames per packet",
                       "Codec2 frames packed into one output buffer (2 at 1200 bit/s is the "
                       "catastrophic tier's 80 ms), so fewer packets pay the per-packet "
                       "overhead. A SID frame or a frame DTX suppresses ends a packet early. "
                       "May change while playing: it applies from the next packet",
                       1, kMaxFramesPerPacket, 1,
                       static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "frames-encoded, frames-padded (last partial frames filled with "
                         "silence), sid-frames, frames-suppressed (silent frames not sent, "
                         "with dtx) and packets (buffers of codec frames)",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Codec2 encoder", "Codec/Encoder/Audio",
      "Encodes 8 kHz mono speech with Codec2. Example: gst-launch-1.0 "
      "audiotestsrc ! audio/x-raw,rate=8000,channels=1 ! "
      "wzpcodec2enc mode=1200 ! wzpcodec2dec ! autoaudiosink",
      WZP_AUTHOR);

  encoder_class->set_format = gst_wzp_codec2_enc_set_format;
  encoder_class->handle_frame = gst_wzp_codec2_enc_handle_frame;
  encoder_class->stop = gst_wzp_codec2_enc_stop;
  gst_type_mark_as_plugin_api(GST_TYPE_WZP_CODEC2_MODE, static_cast<GstPluginAPIFlags>(0));
}
