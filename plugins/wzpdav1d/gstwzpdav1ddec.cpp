/**
 * SECTION:element-wzpdav1ddec
 *
 * Decodes AV1 (`video/x-av1, stream-format=obu-stream, alignment=tu`: one
 * temporal unit per buffer, as `av1parse` and `av1enc` make it; Annex B is
 * refused at negotiation with an error) with dav1d in its
 * low-latency mode: `max_frame_delay=1`, so each buffer's picture comes out
 * before the next buffer goes in and the element adds no latency; the
 * `threads` worker threads share the tiles and loop filters of that one
 * frame. Output is 8-bit I420 or NV12 in system memory; 10- and 12-bit
 * streams and 4:2:2/4:4:4 are refused with an error.
 *
 * A buffer dav1d cannot decode (corrupt, truncated, or referring to a frame
 * that was lost) is dropped: the element counts a decode error with
 * GST_VIDEO_DECODER_ERROR (fatal once the base class's `max-errors` is
 * passed; its default, -1, tolerates all) and posts a warning message, the
 * base class posts a QoS message for the dropped frame, and the element asks
 * upstream for a keyframe with a force-key-unit event. Until a picture
 * decodes again, further failures are dropped the same way without another
 * report, buffers flagged as delta units are dropped without decoding
 * (nothing but a keyframe can repair the picture), and the request is
 * repeated once a second of the frames' running time, in case the keyframe
 * was lost too (the base class's `min-force-key-unit-interval` can space
 * requests further). A GAP event flagged GST_GAP_FLAG_MISSING_DATA (as
 * wzpjitterbuffer sends for a frame FEC could not rebuild) starts the same
 * repair: the frames after a lost one refer to it, so they are dropped
 * rather than shown wrong, and a keyframe is asked for.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 videotestsrc ! video/x-raw,width=640,height=360 ! wzpsvtav1enc ! \
 *     wzpdav1ddec ! videoconvert ! autovideosink
 * ]| Encodes a test pattern and shows it decoded.
 * |[
 * gst-launch-1.0 filesrc location=test.mkv ! matroskademux ! av1parse ! wzpdav1ddec ! \
 *     videoconvert ! autovideosink
 * ]| Plays an AV1 Matroska file (e.g. one wzpsvtav1enc or av1enc wrote).
 */
#include "plugins/wzpdav1d/gstwzpdav1ddec.h"

#include <dav1d/dav1d.h>
#include <gst/video/video.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>

GST_DEBUG_CATEGORY_STATIC(wzp_dav1d_dec_debug);
#define GST_CAT_DEFAULT wzp_dav1d_dec_debug

namespace {

// More threads than this only wait on each other inside one frame.
constexpr int kMaxAutoThreads = 4;
// While frames keep failing, the keyframe request is repeated this often (in
// the frames' running time), in case the keyframe it asked for was lost too.
constexpr GstClockTime kRequestAgainAfter = GST_SECOND;

enum { PROP_0, PROP_THREADS, PROP_STATS };

struct Private {
  std::mutex settings_mutex;
  int threads = 0;

  // Streaming-thread state (GstVideoDecoder serialises the vfuncs below).
  Dav1dContext *dav1d = nullptr;
  GstVideoCodecState *input_state = nullptr;
  bool repairing = false;  // a decode failed; no picture since
  // Upstream said a frame is gone (a GAP event flagged MISSING_DATA): the
  // next delta frame refers to it, so nothing but a keyframe decodes.
  bool reference_lost = false;
  // Running time of this run's last keyframe request (NONE: not known).
  GstClockTime last_request = GST_CLOCK_TIME_NONE;

  std::mutex stats_mutex;
  guint64 frames_decoded = 0;
  guint64 frames_dropped = 0;
  guint64 decode_errors = 0;
  guint64 keyframe_requests = 0;
};

}  // namespace

struct _GstWzpDav1dDec {
  GstVideoDecoder parent;
  Private *priv;
};

G_DEFINE_TYPE(GstWzpDav1dDec, gst_wzp_dav1d_dec, GST_TYPE_VIDEO_DECODER)

// dav1d reads the low-overhead OBU format (AV1 spec section 5), not Annex B;
// obu-stream is listed first so av1parse converts to it, and caps without a
// stream-format (av1enc's) are taken as obu-stream, which is what they carry.
static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("video/x-av1, stream-format = (string) obu-stream, alignment = (string) tu; "
                    "video/x-av1, alignment = (string) tu"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE("{ I420, NV12 }")));

static void close_dav1d(Private &p) {
  if (p.dav1d != nullptr) dav1d_close(&p.dav1d);
}

static bool open_dav1d(GstWzpDav1dDec *self) {
  Private &p = *self->priv;
  int threads;
  {
    std::lock_guard lock(p.settings_mutex);
    threads = p.threads;
  }
  if (threads == 0) {
    threads = std::clamp(static_cast<int>(std::thread::hardware_concurrency()), 1, kMaxAutoThreads);
  }
  Dav1dSettings settings;
  dav1d_default_settings(&settings);
  settings.n_threads = threads;
  settings.max_frame_delay = 1;
  settings.all_layers = 0;  // the highest spatial layer only
  const int err = dav1d_open(&p.dav1d, &settings);
  if (err < 0) {
    GST_ELEMENT_ERROR(self, LIBRARY, INIT, ("Could not start dav1d"), ("dav1d_open: %d", err));
    return false;
  }
  GST_DEBUG_OBJECT(self, "dav1d %s, %d threads", dav1d_version(), threads);
  return true;
}

static gboolean gst_wzp_dav1d_dec_start(GstVideoDecoder *decoder) {
  auto *self = GST_WZP_DAV1D_DEC(decoder);
  self->priv->repairing = false;
  self->priv->reference_lost = false;
  // No reordering and one frame in flight: no latency to report.
  gst_video_decoder_set_latency(decoder, 0, 0);
  return open_dav1d(self);
}

static gboolean gst_wzp_dav1d_dec_stop(GstVideoDecoder *decoder) {
  auto *self = GST_WZP_DAV1D_DEC(decoder);
  close_dav1d(*self->priv);
  if (self->priv->input_state != nullptr) {
    gst_video_codec_state_unref(self->priv->input_state);
    self->priv->input_state = nullptr;
  }
  return TRUE;
}

static gboolean gst_wzp_dav1d_dec_flush(GstVideoDecoder *decoder) {
  auto *self = GST_WZP_DAV1D_DEC(decoder);
  if (self->priv->dav1d != nullptr) dav1d_flush(self->priv->dav1d);
  self->priv->repairing = false;
  self->priv->reference_lost = false;
  return TRUE;
}

// A GAP event flagged MISSING_DATA (wzpjitterbuffer: a frame FEC could not
// rebuild) means a reference is gone: decoding the frames after it would
// show a wrong picture until the next keyframe, so they are dropped and a
// keyframe is asked for, as for a frame that failed to decode.
static gboolean gst_wzp_dav1d_dec_sink_event(GstVideoDecoder *decoder, GstEvent *event) {
  if (GST_EVENT_TYPE(event) == GST_EVENT_GAP) {
    GstGapFlags flags = static_cast<GstGapFlags>(0);
    gst_event_parse_gap_flags(event, &flags);
    if (flags & GST_GAP_FLAG_MISSING_DATA) {
      GST_DEBUG_OBJECT(decoder, "a frame was lost upstream: waiting for a keyframe");
      GST_WZP_DAV1D_DEC(decoder)->priv->reference_lost = true;
    }
  }
  return GST_VIDEO_DECODER_CLASS(gst_wzp_dav1d_dec_parent_class)->sink_event(decoder, event);
}

static gboolean gst_wzp_dav1d_dec_set_format(GstVideoDecoder *decoder, GstVideoCodecState *state) {
  auto *self = GST_WZP_DAV1D_DEC(decoder);
  const gchar *format =
      gst_structure_get_string(gst_caps_get_structure(state->caps, 0), "stream-format");
  if (format != nullptr && !g_str_equal(format, "obu-stream")) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("dav1d reads AV1 as obu-stream only"),
                      ("stream-format is %s; av1parse can convert it", format));
    return FALSE;
  }
  if (self->priv->input_state != nullptr) gst_video_codec_state_unref(self->priv->input_state);
  self->priv->input_state = gst_video_codec_state_ref(state);
  return TRUE;
}

// Sets the output caps for `picture`'s size when they differ from the
// current ones; the format is what downstream prefers of I420 and NV12.
static bool negotiate_for(GstWzpDav1dDec *self, const Dav1dPicture &picture) {
  auto *decoder = GST_VIDEO_DECODER(self);
  GstVideoCodecState *current = gst_video_decoder_get_output_state(decoder);
  if (current != nullptr) {
    const bool same = GST_VIDEO_INFO_WIDTH(&current->info) == picture.p.w &&
                      GST_VIDEO_INFO_HEIGHT(&current->info) == picture.p.h;
    gst_video_codec_state_unref(current);
    if (same) return true;
  }
  GstVideoFormat format = GST_VIDEO_FORMAT_I420;
  GstCaps *allowed = gst_pad_get_allowed_caps(GST_VIDEO_DECODER_SRC_PAD(decoder));
  if (allowed != nullptr) {
    allowed = gst_caps_fixate(allowed);
    const gchar *name = gst_structure_get_string(gst_caps_get_structure(allowed, 0), "format");
    if (name != nullptr && g_str_equal(name, "NV12")) format = GST_VIDEO_FORMAT_NV12;
    gst_caps_unref(allowed);
  }
  GstVideoCodecState *output =
      gst_video_decoder_set_output_state(decoder, format, static_cast<guint>(picture.p.w),
                                         static_cast<guint>(picture.p.h), self->priv->input_state);
  // The sequence header's colour description, where it has one.
  if (picture.seq_hdr != nullptr) {
    output->info.colorimetry.range =
        picture.seq_hdr->color_range ? GST_VIDEO_COLOR_RANGE_0_255 : GST_VIDEO_COLOR_RANGE_16_235;
  }
  gst_video_codec_state_unref(output);
  return gst_video_decoder_negotiate(decoder);
}

static void copy_plane(uint8_t *dst, gint dst_stride, const uint8_t *src, ptrdiff_t src_stride,
                       int width, int height) {
  for (int y = 0; y < height; ++y) {
    std::memcpy(dst + static_cast<ptrdiff_t>(y) * dst_stride, src + y * src_stride,
                static_cast<size_t>(width));
  }
}

// Copies `picture` into the frame's output buffer, as I420 or NV12.
static bool copy_picture(GstWzpDav1dDec *self, const Dav1dPicture &picture,
                         GstVideoCodecFrame *frame) {
  auto *decoder = GST_VIDEO_DECODER(self);
  if (gst_video_decoder_allocate_output_frame(decoder, frame) != GST_FLOW_OK) return false;
  GstVideoCodecState *state = gst_video_decoder_get_output_state(decoder);
  GstVideoFrame out;
  const bool mapped = gst_video_frame_map(&out, &state->info, frame->output_buffer, GST_MAP_WRITE);
  const GstVideoFormat format = GST_VIDEO_INFO_FORMAT(&state->info);
  gst_video_codec_state_unref(state);
  if (!mapped) return false;
  const int w = picture.p.w, h = picture.p.h;
  const int cw = (w + 1) / 2, ch = (h + 1) / 2;
  const auto *y = static_cast<const uint8_t *>(picture.data[0]);
  const auto *u = static_cast<const uint8_t *>(picture.data[1]);
  const auto *v = static_cast<const uint8_t *>(picture.data[2]);
  copy_plane(static_cast<uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&out, 0)),
             GST_VIDEO_FRAME_PLANE_STRIDE(&out, 0), y, picture.stride[0], w, h);
  if (format == GST_VIDEO_FORMAT_NV12) {
    auto *uv = static_cast<uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&out, 1));
    const gint stride = GST_VIDEO_FRAME_PLANE_STRIDE(&out, 1);
    for (int row = 0; row < ch; ++row) {
      const uint8_t *ur = u + row * picture.stride[1];
      const uint8_t *vr = v + row * picture.stride[1];
      uint8_t *dst = uv + static_cast<ptrdiff_t>(row) * stride;
      for (int x = 0; x < cw; ++x) {
        dst[2 * x] = ur[x];
        dst[2 * x + 1] = vr[x];
      }
    }
  } else {
    copy_plane(static_cast<uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&out, 1)),
               GST_VIDEO_FRAME_PLANE_STRIDE(&out, 1), u, picture.stride[1], cw, ch);
    copy_plane(static_cast<uint8_t *>(GST_VIDEO_FRAME_PLANE_DATA(&out, 2)),
               GST_VIDEO_FRAME_PLANE_STRIDE(&out, 2), v, picture.stride[1], cw, ch);
  }
  gst_video_frame_unmap(&out);
  return true;
}

// Asks upstream for a keyframe at the first broken frame of a run, and
// again once kRequestAgainAfter of the run's frames has passed since.
static void ask_for_keyframe(GstWzpDav1dDec *self, GstVideoCodecFrame *frame, bool first) {
  Private &p = *self->priv;
  const GstClockTime now = frame->deadline;  // the frame's running time
  const bool due =
      first || (GST_CLOCK_TIME_IS_VALID(now) && GST_CLOCK_TIME_IS_VALID(p.last_request) &&
                now >= p.last_request + kRequestAgainAfter);
  if (!due) return;
  p.last_request = now;
  {
    std::lock_guard lock(p.stats_mutex);
    ++p.keyframe_requests;
  }
  gst_video_decoder_request_sync_point(GST_VIDEO_DECODER(self), frame,
                                       static_cast<GstVideoDecoderRequestSyncPointFlags>(0));
}

// Drops `frame`, which did not decode or cannot until a keyframe: the first
// failure after a good picture is reported (a warning, or the base class's
// error past its max-errors); each asks for a keyframe as ask_for_keyframe
// allows.
static GstFlowReturn drop_broken(GstWzpDav1dDec *self, GstVideoCodecFrame *frame, int err,
                                 const char *cause = "dav1d") {
  auto *decoder = GST_VIDEO_DECODER(self);
  Private &p = *self->priv;
  GstFlowReturn ret = GST_FLOW_OK;
  const bool first = !p.repairing;
  if (first) {
    p.repairing = true;
    {
      std::lock_guard lock(p.stats_mutex);
      ++p.decode_errors;
    }
    GST_VIDEO_DECODER_ERROR(self, 1, STREAM, DECODE, ("AV1 frame did not decode"),
                            ("%s: %s (%d); asking for a keyframe", cause, g_strerror(-err), err),
                            ret);
    // The base class posts only the error that ends the stream; a tolerated
    // one is still news to the application.
    if (ret == GST_FLOW_OK) {
      GST_ELEMENT_WARNING(self, STREAM, DECODE, ("AV1 frame did not decode"),
                          ("%s: %s (%d); asking for a keyframe", cause, g_strerror(-err), err));
    }
  }
  ask_for_keyframe(self, frame, first);
  {
    std::lock_guard lock(p.stats_mutex);
    ++p.frames_dropped;
  }
  const GstFlowReturn dropped = gst_video_decoder_drop_frame(decoder, frame);
  return ret != GST_FLOW_OK ? ret : dropped;
}

static GstFlowReturn gst_wzp_dav1d_dec_handle_frame(GstVideoDecoder *decoder,
                                                    GstVideoCodecFrame *frame) {
  auto *self = GST_WZP_DAV1D_DEC(decoder);
  Private &p = *self->priv;
  if (p.dav1d == nullptr) {
    gst_video_decoder_drop_frame(decoder, frame);
    return GST_FLOW_NOT_NEGOTIATED;
  }
  // While repairing, only a keyframe can decode: skip what upstream marks
  // as a delta unit without spending dav1d on it.
  if (p.repairing && !GST_VIDEO_CODEC_FRAME_IS_SYNC_POINT(frame)) {
    return drop_broken(self, frame, DAV1D_ERR(EAGAIN));
  }
  if (p.reference_lost && !GST_VIDEO_CODEC_FRAME_IS_SYNC_POINT(frame)) {
    return drop_broken(self, frame, DAV1D_ERR(ENOENT), "a frame it refers to was lost upstream");
  }

  GstMapInfo in;
  if (!gst_buffer_map(frame->input_buffer, &in, GST_MAP_READ)) {
    gst_video_decoder_drop_frame(decoder, frame);
    GST_ELEMENT_ERROR(self, STREAM, DECODE, ("Could not map an input buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  if (in.size == 0) {
    gst_buffer_unmap(frame->input_buffer, &in);
    return drop_broken(self, frame, DAV1D_ERR(EINVAL));
  }
  Dav1dData data{};
  uint8_t *bytes = dav1d_data_create(&data, in.size);
  if (bytes == nullptr) {
    gst_buffer_unmap(frame->input_buffer, &in);
    gst_video_decoder_drop_frame(decoder, frame);
    GST_ELEMENT_ERROR(self, RESOURCE, FAILED, ("Out of memory"), (nullptr));
    return GST_FLOW_ERROR;
  }
  std::memcpy(bytes, in.data, in.size);
  gst_buffer_unmap(frame->input_buffer, &in);

  // With max_frame_delay 1, a temporal unit's shown picture is ready once
  // all its data is in: feed and collect until the data is used up.
  Dav1dPicture picture{};
  bool have_picture = false;
  int err = 0;
  while (data.sz > 0 && err == 0) {
    const int sent = dav1d_send_data(p.dav1d, &data);
    if (sent < 0 && sent != DAV1D_ERR(EAGAIN)) {
      err = sent;
      break;
    }
    Dav1dPicture next{};
    const int got = dav1d_get_picture(p.dav1d, &next);
    if (got == 0) {
      if (have_picture) dav1d_picture_unref(&picture);
      picture = next;
      have_picture = true;
    } else if (got != DAV1D_ERR(EAGAIN)) {
      err = got;
    } else if (sent == DAV1D_ERR(EAGAIN)) {
      err = DAV1D_ERR(EAGAIN);  // neither side moves: never spin
    }
  }
  if (!have_picture && err == 0) {
    Dav1dPicture next{};
    const int got = dav1d_get_picture(p.dav1d, &next);
    if (got == 0) {
      picture = next;
      have_picture = true;
    } else if (got != DAV1D_ERR(EAGAIN)) {
      err = got;
    }
  }
  dav1d_data_unref(&data);

  if (err < 0) {
    if (have_picture) dav1d_picture_unref(&picture);
    // dav1d keeps nothing half-decoded from this frame.
    return drop_broken(self, frame, err);
  }
  if (!have_picture) {
    // A unit with no shown frame, or one dav1d skipped (an inter frame
    // before any keyframe): nothing to show, and a keyframe is needed if no
    // picture came out yet.
    GstVideoCodecState *output = gst_video_decoder_get_output_state(decoder);
    if (output == nullptr) return drop_broken(self, frame, DAV1D_ERR(ENOENT));
    gst_video_codec_state_unref(output);
    std::lock_guard lock(p.stats_mutex);
    ++p.frames_dropped;
    return gst_video_decoder_drop_frame(decoder, frame);
  }

  GstFlowReturn ret = GST_FLOW_OK;
  if (picture.p.bpc != 8 || (picture.p.layout != DAV1D_PIXEL_LAYOUT_I420)) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Only 8-bit 4:2:0 AV1 is supported"),
                      ("stream has %d bits per component, layout %d", picture.p.bpc,
                       static_cast<int>(picture.p.layout)));
    ret = GST_FLOW_NOT_NEGOTIATED;
  } else if (!negotiate_for(self, picture)) {
    ret = GST_FLOW_NOT_NEGOTIATED;
  } else if (!copy_picture(self, picture, frame)) {
    ret = GST_FLOW_ERROR;
  }
  dav1d_picture_unref(&picture);
  if (ret != GST_FLOW_OK) {
    gst_video_decoder_drop_frame(decoder, frame);
    return ret;
  }
  p.repairing = false;
  p.reference_lost = false;
  {
    std::lock_guard lock(p.stats_mutex);
    ++p.frames_decoded;
  }
  return gst_video_decoder_finish_frame(decoder, frame);
}

static GstStructure *make_stats(GstWzpDav1dDec *self) {
  std::lock_guard lock(self->priv->stats_mutex);
  return gst_structure_new("application/x-wzp-dav1ddec-stats", "frames-decoded", G_TYPE_UINT64,
                           self->priv->frames_decoded, "frames-dropped", G_TYPE_UINT64,
                           self->priv->frames_dropped, "decode-errors", G_TYPE_UINT64,
                           self->priv->decode_errors, "keyframe-requests", G_TYPE_UINT64,
                           self->priv->keyframe_requests, nullptr);
}

static void gst_wzp_dav1d_dec_set_property(GObject *object, guint id, const GValue *value,
                                           GParamSpec *pspec) {
  auto *self = GST_WZP_DAV1D_DEC(object);
  switch (id) {
    case PROP_THREADS: {
      std::lock_guard lock(self->priv->settings_mutex);
      self->priv->threads = static_cast<int>(g_value_get_uint(value));
      break;
    }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void gst_wzp_dav1d_dec_get_property(GObject *object, guint id, GValue *value,
                                           GParamSpec *pspec) {
  auto *self = GST_WZP_DAV1D_DEC(object);
  switch (id) {
    case PROP_THREADS: {
      std::lock_guard lock(self->priv->settings_mutex);
      g_value_set_uint(value, static_cast<guint>(self->priv->threads));
      break;
    }
    case PROP_STATS:
      g_value_take_boxed(value, make_stats(self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void gst_wzp_dav1d_dec_finalize(GObject *object) {
  delete GST_WZP_DAV1D_DEC(object)->priv;
  G_OBJECT_CLASS(gst_wzp_dav1d_dec_parent_class)->finalize(object);
}

static void gst_wzp_dav1d_dec_init(GstWzpDav1dDec *self) {
  self->priv = new Private();
  // Packets arrive whole from the network or a parser: no parsing here.
  gst_video_decoder_set_packetized(GST_VIDEO_DECODER(self), TRUE);
}

static void gst_wzp_dav1d_dec_class_init(GstWzpDav1dDecClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  auto *decoder_class = GST_VIDEO_DECODER_CLASS(klass);
  GST_DEBUG_CATEGORY_INIT(wzp_dav1d_dec_debug, "wzpdav1ddec", 0, "wzp dav1d decoder");

  gobject_class->set_property = gst_wzp_dav1d_dec_set_property;
  gobject_class->get_property = gst_wzp_dav1d_dec_get_property;
  gobject_class->finalize = gst_wzp_dav1d_dec_finalize;

  g_object_class_install_property(
      gobject_class, PROP_THREADS,
      g_param_spec_uint("threads", "Threads",
                        "dav1d worker threads sharing one frame's tiles and filters (0 to 64); "
                        "0: one per core, at most 4. Read when the element starts",
                        0, 64, 0,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "frames-decoded, frames-dropped (did not decode, or skipped while "
                         "waiting for a keyframe), decode-errors (failures reported, one per run "
                         "of broken frames), keyframe-requests (force-key-unit events sent "
                         "upstream)",
                         GST_TYPE_STRUCTURE,
                         static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "dav1d low-latency AV1 decoder", "Codec/Decoder/Video",
      "Decodes AV1 with no added latency. Example: gst-launch-1.0 videotestsrc ! "
      "wzpsvtav1enc ! wzpdav1ddec ! videoconvert ! autovideosink; from a file: "
      "gst-launch-1.0 filesrc location=test.mkv ! matroskademux ! av1parse ! wzpdav1ddec ! "
      "videoconvert ! autovideosink",
      WZP_AUTHOR);

  decoder_class->start = gst_wzp_dav1d_dec_start;
  decoder_class->stop = gst_wzp_dav1d_dec_stop;
  decoder_class->flush = gst_wzp_dav1d_dec_flush;
  decoder_class->set_format = gst_wzp_dav1d_dec_set_format;
  decoder_class->handle_frame = gst_wzp_dav1d_dec_handle_frame;
  decoder_class->sink_event = gst_wzp_dav1d_dec_sink_event;
}
