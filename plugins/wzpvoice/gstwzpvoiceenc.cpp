/**
 * SECTION:element-wzpvoiceenc
 *
 * Encodes speech with Opus or Codec2 and switches between them, and between
 * bit rates and frame lengths, while playing: the wzp quality ladder's tier
 * changes, including the step down to Codec2 and back, without a gap,
 * overlap or renegotiation upstream.
 *
 * Inside, one input feeds two stock encoders (opusenc at 48 kHz,
 * wzpcodec2enc at 8 kHz) through audiobuffersplit (10 ms buffers) and a tee.
 * Opus runs all the time; Codec2 runs only while it is on air or a switch to
 * it is under way (it cost about 5 % of a call's CPU for nothing on the Opus
 * tiers). Only the selected codec's frames go out; a codec switch cuts over
 * where a frame of the old codec ends and one of the new codec starts, so
 * output timestamps stay continuous. Codec2 starts within the 10 ms buffer
 * that asks for the switch; its first frames sound no different at the cut
 * than a warm encoder's (the element test's largest sample step around the
 * switches: 473 and 472 against 473 and 471 with Codec2 always running).
 * The output caps change at the switch (audio/x-opus or audio/x-codec2):
 * wzpfecenc closes its group there and the receiver's wzpvoicedec follows.
 *
 * With `dtx` (the default) silence costs almost nothing: opusenc runs with
 * its DTX, and its one-byte DTX packets (which a decoder treats exactly as a
 * lost packet) are not sent at all. The timestamp gap tells the receiver the
 * time was silence (its jitter buffer turns it into GAP events, opusdec into
 * comfort noise), and the buffer after any time not sent carries DISCONT.
 * Opus's own noise updates (every ~400 ms) still go out. wzpcodec2enc runs
 * with dtx and a SID frame every 400 ms (docs/dtx.md).
 *
 * At Codec2, `frame-duration` packs several Codec2 frames per packet (80 ms:
 * two 40 ms frames at 1200 bit/s), as the catastrophic tier asks.
 * Properties may change from any thread; the ones set together (one
 * g_object_set, as a tier change does) take effect together, between two
 * input buffers.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 autoaudiosrc ! wzpvoiceenc codec=opus bitrate=24000 \
 *     frame-duration=20 ! wzpvoicedec ! autoaudiosink
 * ]| Encodes the microphone as Opus at 24 kbit/s and plays it back.
 * |[
 * gst-launch-1.0 audiotestsrc wave=sine ! wzpvoiceenc codec=codec2 bitrate=1200 ! \
 *     wzpfecenc ! fakesink
 * ]| The catastrophic tier: Codec2 at 1200 bit/s into the FEC encoder.
 */
#include "plugins/wzpvoice/gstwzpvoiceenc.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <span>
#include <utility>

#include "libwzp/audio/opus_dtx.hpp"
#include "libwzp/quality/voice_switch.hpp"
#include "plugins/wzpvoice/wzpvoicebin.h"

GST_DEBUG_CATEGORY_STATIC(wzp_voice_enc_debug);
#define GST_CAT_DEFAULT wzp_voice_enc_debug

namespace {

enum { PROP_0, PROP_CODEC, PROP_BITRATE, PROP_FRAME_DURATION, PROP_DTX, PROP_STATS };

// Branch numbers, also the values of the `codec` enum.
constexpr int kOpus = 0;
constexpr int kCodec2 = 1;

constexpr int kDefaultBitrate = 24000;
constexpr int kDefaultFrameMs = 20;
constexpr int kOpusMinBitrate = 4000;
// Under wzpjitterbuffer's 1 s dry limit, so the far end's noise never stops.
constexpr guint kSidIntervalMs = 400;
constexpr int kMaxCodec2FramesPerPacket = 8;
// The longest hole a codec switch may leave (the receiver fades across it).
// Opus's grid sits 6.5 ms after Codec2's (look-ahead), so holes of 13.5 ms
// (to Opus) and 6.5 ms (to Codec2) are what the grids allow.
constexpr uint64_t kMaxSwitchGap = 15 * GST_MSECOND;

struct Settings {
  int codec = kOpus;
  int bitrate = kDefaultBitrate;
  int frame_ms = kDefaultFrameMs;
  bool dtx = true;
};

struct Private {
  std::mutex settings_mutex;
  Settings settings;
  // Set by a property change, taken at the next input buffer: settings
  // changed together (one g_object_set) apply together, between two buffers.
  std::atomic<bool> settings_changed{false};

  std::mutex state_mutex;
  wzp::quality::EncoderSwitch switcher{kOpus, kMaxSwitchGap};
  GstClockTime next_pts = GST_CLOCK_TIME_NONE;  // end of the last frame out
  guint64 frames_out = 0;
  guint64 frames_out_of_order = 0;  // dropped: would have gone back in time
  bool dtx_active = true;           // the dtx setting the probes follow
  guint64 dtx_skipped = 0;          // Opus DTX packets not sent
  bool codec2_fed = false;          // the Codec2 branch gets audio

  GstElement *opus = nullptr;
  GstElement *codec2 = nullptr;
  bool complete = false;  // every child could be made
};

}  // namespace

struct _GstWzpVoiceEnc {
  GstBin parent;
  Private *priv;
};

G_DEFINE_TYPE(GstWzpVoiceEnc, gst_wzp_voice_enc, GST_TYPE_BIN)

GType gst_wzp_voice_codec_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {kOpus, "Opus (48 kHz)", "opus"},
      {kCodec2, "Codec2 (8 kHz)", "codec2"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    GType registered = g_enum_register_static("GstWzpVoiceCodec", values);
    g_once_init_leave(&type, registered);
  }
  return type;
}

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS("audio/x-raw"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-opus; audio/x-codec2, mode = (string) { 3200, 2400, 1600, 1400, "
                    "1300, 1200, 700C }"));

// The Codec2 mode closest to `bitrate` from below (700C under 1200).
static const char *codec2_mode_for(int bitrate) {
  static constexpr std::pair<int, const char *> kModes[] = {{3200, "3200"}, {2400, "2400"},
                                                            {1600, "1600"}, {1400, "1400"},
                                                            {1300, "1300"}, {1200, "1200"}};
  for (const auto &[rate, name] : kModes) {
    if (bitrate >= rate) return name;
  }
  return "700C";
}

// Codec2 frames per packet for a tier's `frame_ms`: 20 ms frames at 3200
// and 2400 bit/s, 40 ms below.
static int codec2_frames_per_packet(int bitrate, int frame_ms) {
  const int codec2_frame_ms = bitrate >= 2400 ? 20 : 40;
  return std::clamp(frame_ms / codec2_frame_ms, 1, kMaxCodec2FramesPerPacket);
}

// Opus offers these frame lengths; a tier's is rounded up to the next.
static const char *opus_frame_size_for(int frame_ms) {
  if (frame_ms <= 10) return "10";
  if (frame_ms <= 20) return "20";
  if (frame_ms <= 40) return "40";
  return "60";
}

// Hands the settings to the encoders and the switch. The selected codec's
// encoder gets the bit rate and frame length; the other keeps running as it is.
static void apply_settings(GstWzpVoiceEnc *self) {
  Private &p = *self->priv;
  Settings s;
  {
    std::lock_guard lock(p.settings_mutex);
    s = p.settings;
  }
  if (!p.complete) return;
  g_object_set(p.opus, "dtx", s.dtx, nullptr);
  g_object_set(p.codec2, "dtx", s.dtx, "sid-interval", kSidIntervalMs, nullptr);
  if (s.codec == kOpus) {
    g_object_set(p.opus, "bitrate", std::max(s.bitrate, kOpusMinBitrate), nullptr);
    gst_util_set_object_arg(G_OBJECT(p.opus), "frame-size", opus_frame_size_for(s.frame_ms));
  } else {
    gst_util_set_object_arg(G_OBJECT(p.codec2), "mode", codec2_mode_for(s.bitrate));
    g_object_set(p.codec2, "frames-per-packet", codec2_frames_per_packet(s.bitrate, s.frame_ms),
                 nullptr);
  }
  std::lock_guard lock(p.state_mutex);
  p.switcher.request(s.codec);
  p.dtx_active = s.dtx;
}

// Applies changed settings in the streaming thread, between two buffers.
static GstPadProbeReturn on_input(GstPad *, GstPadProbeInfo *, gpointer user_data) {
  auto *self = GST_WZP_VOICE_ENC(user_data);
  if (self->priv->settings_changed.exchange(false)) apply_settings(self);
  return GST_PAD_PROBE_OK;
}

static bool is_opus_dtx(GstBuffer *buffer) {
  if (gst_buffer_get_size(buffer) != 1) return false;
  uint8_t toc = 0;
  gst_buffer_extract(buffer, 0, &toc, 1);
  return wzp::audio::is_opus_dtx_packet(std::span<const uint8_t>(&toc, 1));
}

// On each encoder's output: lets a frame out only if the switch says so, and
// not at all if it is an Opus DTX packet (its time passes unsent).
static GstPadProbeReturn on_encoded(GstPad *pad, GstPadProbeInfo *info, gpointer user_data) {
  auto *self = GST_WZP_VOICE_ENC(user_data);
  Private &p = *self->priv;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  if (!GST_BUFFER_PTS_IS_VALID(buffer) || !GST_BUFFER_DURATION_IS_VALID(buffer)) {
    return GST_PAD_PROBE_DROP;  // cannot be placed on the timeline
  }
  const int branch = GST_PAD_PARENT(pad) == p.opus ? kOpus : kCodec2;
  const GstClockTime pts = GST_BUFFER_PTS(buffer);
  std::lock_guard lock(p.state_mutex);
  GST_LOG_OBJECT(self, "%s frame %" GST_TIME_FORMAT " + %" GST_TIME_FORMAT,
                 branch == kOpus ? "Opus" : "Codec2", GST_TIME_ARGS(pts),
                 GST_TIME_ARGS(GST_BUFFER_DURATION(buffer)));
  if (!p.switcher.admit(branch, pts, GST_BUFFER_DURATION(buffer))) return GST_PAD_PROBE_DROP;
  if (GST_CLOCK_TIME_IS_VALID(p.next_pts) && pts < p.next_pts) {
    ++p.frames_out_of_order;
    GST_WARNING_OBJECT(self, "frame at %" GST_TIME_FORMAT " is behind the output: dropped",
                       GST_TIME_ARGS(pts));
    return GST_PAD_PROBE_DROP;
  }
  if (branch == kOpus && p.dtx_active && is_opus_dtx(buffer)) {
    ++p.dtx_skipped;
    return GST_PAD_PROBE_DROP;
  }
  // After time not sent (DTX on either codec, a switch's hole) the
  // timeline jumps: say so.
  const bool jump = GST_CLOCK_TIME_IS_VALID(p.next_pts) && pts > p.next_pts;
  p.next_pts = pts + GST_BUFFER_DURATION(buffer);
  if (jump) {
    buffer = gst_buffer_make_writable(buffer);
    GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
  }
  ++p.frames_out;
  return GST_PAD_PROBE_OK;
}

// Feeds the Codec2 branch only while Codec2 is on air or a switch is under
// way (with two codecs, a pending switch is one to or from Codec2). When it
// starts again, its first buffer says the time before was skipped.
static GstPadProbeReturn on_codec2_input(GstPad *, GstPadProbeInfo *info, gpointer user_data) {
  Private &p = *GST_WZP_VOICE_ENC(user_data)->priv;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  std::lock_guard lock(p.state_mutex);
  const bool feed = p.switcher.active() == kCodec2 || p.switcher.pending();
  const bool starting = feed && !p.codec2_fed;
  p.codec2_fed = feed;
  if (!feed) return GST_PAD_PROBE_DROP;
  if (starting) {
    buffer = gst_buffer_make_writable(buffer);
    GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
    GST_PAD_PROBE_INFO_DATA(info) = buffer;
  }
  return GST_PAD_PROBE_OK;
}

// A flush or a new segment restarts the timeline the switch checks against.
static GstPadProbeReturn on_encoder_event(GstPad *, GstPadProbeInfo *info, gpointer user_data) {
  Private &p = *GST_WZP_VOICE_ENC(user_data)->priv;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP || GST_EVENT_TYPE(event) == GST_EVENT_SEGMENT) {
    std::lock_guard lock(p.state_mutex);
    p.next_pts = GST_CLOCK_TIME_NONE;
  }
  return GST_PAD_PROBE_OK;
}

// Each encoder negotiates its own output as if alone: downstream accepts
// only the codec on air at a time, so asking it would refuse the other
// branch (and, through the tee, the input). The funnel sends each branch's
// caps downstream when that branch goes on air.
static GstPadProbeReturn on_encoder_query(GstPad *pad, GstPadProbeInfo *info, gpointer) {
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY(info);
  if (GST_QUERY_TYPE(query) == GST_QUERY_CAPS) {
    GstCaps *filter;
    gst_query_parse_caps(query, &filter);
    GstCaps *caps = gst_pad_get_pad_template_caps(pad);
    if (filter != nullptr) {
      GstCaps *both = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
      gst_caps_unref(caps);
      caps = both;
    }
    gst_query_set_caps_result(query, caps);
    gst_caps_unref(caps);
    return GST_PAD_PROBE_HANDLED;
  }
  if (GST_QUERY_TYPE(query) == GST_QUERY_ACCEPT_CAPS) {
    gst_query_set_accept_caps_result(query, TRUE);
    return GST_PAD_PROBE_HANDLED;
  }
  return GST_PAD_PROBE_OK;
}

static GstElement *make_child(GstWzpVoiceEnc *self, const char *factory, const char *name) {
  return wzp_voice_bin_add_child(GST_ELEMENT(self), factory, name, GST_CAT_DEFAULT);
}

// audiobuffersplit ! tee, then per codec audioresample ! capsfilter ! encoder,
// both into a funnel that forwards the caps of whichever branch speaks.
static bool build(GstWzpVoiceEnc *self) {
  Private &p = *self->priv;
  GstElement *convert = make_child(self, "audioconvert", "convert");
  GstElement *split = make_child(self, "audiobuffersplit", "split");
  GstElement *tee = make_child(self, "tee", "tee");
  GstElement *opus_resample = make_child(self, "audioresample", "opus-resample");
  GstElement *opus_caps = make_child(self, "capsfilter", "opus-caps");
  p.opus = make_child(self, "opusenc", "opus");
  GstElement *codec2_resample = make_child(self, "audioresample", "codec2-resample");
  GstElement *codec2_caps = make_child(self, "capsfilter", "codec2-caps");
  p.codec2 = make_child(self, "wzpcodec2enc", "codec2");
  GstElement *funnel = make_child(self, "funnel", "funnel");
  for (GstElement *e : {convert, split, tee, opus_resample, opus_caps, p.opus, codec2_resample,
                        codec2_caps, p.codec2, funnel}) {
    if (e == nullptr) return false;
  }
  // Buffers shorter than any frame: an encoder's frame ending at a cut comes
  // out before the other's frame starting there, which needs later audio.
  gst_util_set_object_arg(G_OBJECT(split), "output-buffer-duration", "1/100");
  GstCaps *caps = gst_caps_from_string("audio/x-raw,format=S16LE,rate=48000,channels=1");
  g_object_set(opus_caps, "caps", caps, nullptr);
  gst_caps_unref(caps);
  caps = gst_caps_from_string("audio/x-raw,format=S16LE,rate=8000,channels=1");
  g_object_set(codec2_caps, "caps", caps, nullptr);
  gst_caps_unref(caps);
  gst_util_set_object_arg(G_OBJECT(p.opus), "audio-type", "voice");
  // Tee order matters (see above): the Opus branch is linked first.
  if (!gst_element_link_many(convert, split, tee, opus_resample, opus_caps, p.opus, funnel,
                             nullptr) ||
      !gst_element_link_many(tee, codec2_resample, codec2_caps, p.codec2, funnel, nullptr)) {
    GST_ERROR_OBJECT(self, "could not link the encoder branches");
    return false;
  }
  for (GstElement *encoder : {p.opus, p.codec2}) {
    GstPad *pad = gst_element_get_static_pad(encoder, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_encoded, self, nullptr);
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_encoder_event, self, nullptr);
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM, on_encoder_query, nullptr, nullptr);
    gst_object_unref(pad);
  }
  GstPad *codec2_in = gst_element_get_static_pad(codec2_resample, "sink");
  gst_pad_add_probe(codec2_in, GST_PAD_PROBE_TYPE_BUFFER, on_codec2_input, self, nullptr);
  gst_object_unref(codec2_in);
  GstPad *sink = gst_element_get_static_pad(convert, "sink");
  gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_BUFFER, on_input, self, nullptr);
  GstPad *src = gst_element_get_static_pad(funnel, "src");
  wzp_voice_bin_expose(GST_ELEMENT(self), "sink", sink, &sink_template);
  wzp_voice_bin_expose(GST_ELEMENT(self), "src", src, &src_template);
  gst_object_unref(sink);
  gst_object_unref(src);
  return true;
}

static GstStructure *make_stats(GstWzpVoiceEnc *self) {
  Private &p = *self->priv;
  std::lock_guard lock(p.state_mutex);
  return gst_structure_new(
      "application/x-wzp-voice-enc-stats", "codec", G_TYPE_STRING,
      p.switcher.active() == kOpus ? "opus" : "codec2", "switching", G_TYPE_BOOLEAN,
      p.switcher.pending(), "codec-switches", G_TYPE_UINT64, guint64{p.switcher.switches()},
      "switch-gap-ns", G_TYPE_UINT64, guint64{p.switcher.gap_total()}, "frames-out", G_TYPE_UINT64,
      p.frames_out, "frames-out-of-order", G_TYPE_UINT64, p.frames_out_of_order, "dtx-skipped",
      G_TYPE_UINT64, p.dtx_skipped, nullptr);
}

static void gst_wzp_voice_enc_set_property(GObject *object, guint id, const GValue *value,
                                           GParamSpec *pspec) {
  auto *self = GST_WZP_VOICE_ENC(object);
  {
    std::lock_guard lock(self->priv->settings_mutex);
    Settings &s = self->priv->settings;
    switch (id) {
      case PROP_CODEC:
        s.codec = g_value_get_enum(value);
        break;
      case PROP_BITRATE:
        s.bitrate = g_value_get_int(value);
        break;
      case PROP_FRAME_DURATION:
        s.frame_ms = g_value_get_int(value);
        break;
      case PROP_DTX:
        s.dtx = g_value_get_boolean(value);
        break;
      default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
        return;
    }
  }
  self->priv->settings_changed = true;
}

static void gst_wzp_voice_enc_get_property(GObject *object, guint id, GValue *value,
                                           GParamSpec *pspec) {
  auto *self = GST_WZP_VOICE_ENC(object);
  if (id == PROP_STATS) {
    g_value_take_boxed(value, make_stats(self));
    return;
  }
  std::lock_guard lock(self->priv->settings_mutex);
  const Settings &s = self->priv->settings;
  switch (id) {
    case PROP_CODEC:
      g_value_set_enum(value, s.codec);
      break;
    case PROP_BITRATE:
      g_value_set_int(value, s.bitrate);
      break;
    case PROP_FRAME_DURATION:
      g_value_set_int(value, s.frame_ms);
      break;
    case PROP_DTX:
      g_value_set_boolean(value, s.dtx);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static GstStateChangeReturn gst_wzp_voice_enc_change_state(GstElement *element,
                                                           GstStateChange transition) {
  auto *self = GST_WZP_VOICE_ENC(element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !self->priv->complete) {
    GST_ELEMENT_ERROR(self, CORE, MISSING_PLUGIN, ("wzpvoiceenc is missing an inner element"),
                      ("needs audiobuffersplit, tee, funnel, audioresample, opusenc and "
                       "wzpcodec2enc"));
    return GST_STATE_CHANGE_FAILURE;
  }
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
    int codec;
    {
      std::lock_guard lock(self->priv->settings_mutex);
      codec = self->priv->settings.codec;
    }
    std::lock_guard lock(self->priv->state_mutex);
    // The stream starts on the codec set before it: starting on Opus and
    // switching sent a call that starts at the Codec2 tier a few Opus
    // frames first, whose times the Codec2 frames after the cut overlapped.
    self->priv->switcher = wzp::quality::EncoderSwitch{codec, kMaxSwitchGap};
    self->priv->next_pts = GST_CLOCK_TIME_NONE;
    self->priv->codec2_fed = false;
  }
  return GST_ELEMENT_CLASS(gst_wzp_voice_enc_parent_class)->change_state(element, transition);
}

static void gst_wzp_voice_enc_finalize(GObject *object) {
  delete GST_WZP_VOICE_ENC(object)->priv;
  G_OBJECT_CLASS(gst_wzp_voice_enc_parent_class)->finalize(object);
}

static void gst_wzp_voice_enc_init(GstWzpVoiceEnc *self) {
  self->priv = new Private();
  self->priv->complete = build(self);
  apply_settings(self);
}

static void gst_wzp_voice_enc_class_init(GstWzpVoiceEncClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(wzp_voice_enc_debug, "wzpvoiceenc", 0, "wzp switching voice encoder");

  gobject_class->set_property = gst_wzp_voice_enc_set_property;
  gobject_class->get_property = gst_wzp_voice_enc_get_property;
  gobject_class->finalize = gst_wzp_voice_enc_finalize;
  element_class->change_state = gst_wzp_voice_enc_change_state;

  const auto mutable_playing = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                        GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_CODEC,
      g_param_spec_enum("codec", "Codec",
                        "Codec on the wire. Changing it while playing cuts over where a frame "
                        "of the old codec ends and the new codec's next frame starts, within a "
                        "few frames; the hole between them is at most 15 ms (6.5 ms into "
                        "Codec2 and 13.5 ms back to Opus at 20 and 40 ms frames)",
                        GST_TYPE_WZP_VOICE_CODEC, kOpus, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_BITRATE,
      g_param_spec_int("bitrate", "Bit rate",
                       "Codec bit rate in bit/s: Opus's (at least 4000), or for Codec2 the "
                       "mode at or below it (3200, 2400, 1600, 1400, 1300, 1200; 700C under "
                       "1200). Applies to the selected codec, from its next frame",
                       0, 510000, kDefaultBitrate, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_FRAME_DURATION,
      g_param_spec_int("frame-duration", "Frame duration",
                       "Audio per packet in ms. Opus: its frame length, rounded up to 10, 20, 40 "
                       "or 60. Codec2: whole frames of the mode's length (20 ms at 3200 and 2400, "
                       "40 ms below) packed per packet, at least one (80 = two 40 ms frames)",
                       1, 320, kDefaultFrameMs, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_DTX,
      g_param_spec_boolean(
          "dtx", "DTX",
          "Discontinuous transmission: in silence Opus sends only its noise updates (its "
          "one-byte DTX packets are not sent; the next packet carries DISCONT) and Codec2 a "
          "5-byte SID frame every 400 ms; the receiver plays comfort noise",
          TRUE, mutable_playing));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "codec (on air), switching (a switch waits for its cut), "
                         "codec-switches, switch-gap-ns (media time left out at cuts, in all), "
                         "frames-out, frames-out-of-order (dropped rather "
                         "than sent back in time; 0 unless the inner encoders misbehave) and "
                         "dtx-skipped (Opus DTX packets not sent)",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "wzp voice encoder", "Codec/Encoder/Audio",
      "Encodes speech with Opus or Codec2, switching codec, bit rate and frame length seamlessly. "
      "Example: gst-launch-1.0 audiotestsrc ! wzpvoiceenc codec=codec2 ! wzpfecenc ! wzpfecdec ! "
      "wzpjitterbuffer ! wzpvoicedec ! autoaudiosink",
      WZP_AUTHOR);
  gst_type_mark_as_plugin_api(GST_TYPE_WZP_VOICE_CODEC, static_cast<GstPluginAPIFlags>(0));
}
