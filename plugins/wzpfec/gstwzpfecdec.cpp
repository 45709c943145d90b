/**
 * SECTION:element-wzpfecdec
 * @title: wzpfecdec
 * @see_also: wzpfecenc, wzpjitterbuffer
 *
 * Receives wzp packets (one per buffer, application/x-wzp) protected by
 * wzpfecenc and outputs the media frames. A source frame goes out the moment
 * it arrives; a lost one goes out as soon as its block has enough repair
 * symbols to rebuild it, so frames may leave out of order. Each output buffer
 * carries a WzpHeaderMeta whose `sequence` is the frame number and whose
 * `timestamp` is the frame's media timestamp; the buffer's PTS is that
 * timestamp as a GstClockTime. A frame of a block given up at its deadline
 * goes out as an empty buffer flagged GST_BUFFER_FLAG_GAP with the same meta
 * (its timestamp estimated), so the jitter buffer can conceal it at once.
 *
 * ## Example pipelines
 * |[
 * gst-launch-1.0 audiotestsrc ! opusenc frame-size=20 ! wzpfecenc !
 *     identity drop-probability=0.3 ! wzpfecdec ! opusdec ! autoaudiosink
 * ]| FEC round trip over a 30 %-loss path.
 * |[
 * gst-launch-1.0 wzpquicsrc ! wzpdecrypt ! wzpfecdec deadline=400000000 !
 *     wzpjitterbuffer ! opusdec ! autoaudiosink
 * ]| The receiving half of a call.
 *
 * Video (media type video) comes one frame per block, split over the
 * block's symbols (docs/fec-blocks.md, "Video: a frame is a block"): a
 * frame goes out whole once its source symbols are in or RaptorQ rebuilt
 * it, flagged GST_BUFFER_FLAG_DELTA_UNIT unless it is a keyframe; one still
 * incomplete `video-deadline` after a newer frame's packet is reported lost
 * (the empty GAP buffer above), never passed on in part.
 * |[
 * gst-launch-1.0 wzpquicsrc ! wzpdecrypt key-file=call.key ! wzpfecdec ! wzpjitterbuffer !
 *     wzpdav1ddec ! videoconvert ! autovideosink
 * ]| The receiving half of a video call.
 *
 * A packet carrying the peer's quality report (see wzpfecenc's
 * `quality-report`) makes wzpfecdec post an element message
 * "wzp-quality-report" with fields loss, rtt-ms, jitter-ms, bandwidth-kbps and
 * stream-id, at most once per 750 ms of each stream's media; the latest
 * report is also in `stats`.
 *
 * A call's audio and video come on one connection: `media` makes the
 * element take one media type only (packets of the other counted in
 * `other-media` and dropped before anything reads them), so a tee after
 * wzpdecrypt feeds an audio and a video wzpfecdec.
 * |[
 * gst-launch-1.0 wzpquicsrc ! wzpdecrypt key-file=call.key ! tee name=t \
 *     t. ! wzpfecdec media=audio ! wzpjitterbuffer ! wzpvoicedec ! autoaudiosink \
 *     t. ! wzpfecdec media=video ! wzpjitterbuffer ! wzpdav1ddec ! videoconvert ! autovideosink
 * ]| The receiving half of a call with audio and video.
 */
#include "gstwzpfecdec.h"

#include <mutex>
#include <optional>
#include <utility>

#include "libwzp/fec/frame_decoder.hpp"
#include "libwzp/quality/packet_counts.hpp"
#include "libwzp/quality/report_cadence.hpp"
#include "media_clock.hpp"
#include "plugins/gstwzp/wzpmeta.h"
#include "plugins/gstwzp/wzpstats.h"
#include "quality_report.hpp"

GST_DEBUG_CATEGORY_STATIC(wzp_fec_dec_debug);
#define GST_CAT_DEFAULT wzp_fec_dec_debug

namespace {

enum { PROP_0, PROP_CAPS, PROP_DEADLINE, PROP_VIDEO_DEADLINE, PROP_MEDIA, PROP_STATS };

// Which packets the element takes (`media`).
enum Media { kMediaAny, kMediaAudio, kMediaVideo };

GType media_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {{kMediaAny, "Every packet", "any"},
                                      {kMediaAudio, "Audio packets only", "audio"},
                                      {kMediaVideo, "Video packets only", "video"},
                                      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) {
    g_once_init_leave(&type, g_enum_register_static("GstWzpFecDecMedia", values));
  }
  return type;
}

constexpr guint64 kDefaultDeadline = 500 * GST_MSECOND;
constexpr guint64 kDefaultVideoDeadline = 150 * GST_MSECOND;

GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                                                             GST_STATIC_CAPS(WZP_PACKET_CAPS_NAME));
GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

struct Settings {
  GstCaps *caps = nullptr;
  guint64 deadline = kDefaultDeadline;
  guint64 video_deadline = kDefaultVideoDeadline;
  Media media = kMediaAny;
};

struct DecodeTime {
  guint64 total_us = 0;
  guint64 max_us = 0;
};

}  // namespace

struct GstWzpFecDecPrivate {
  std::mutex settings_lock;
  Settings settings;

  std::mutex state_lock;
  wzp::fec::FrameDecoder decoder;
  wzp::gst::TimestampUnwrapper timestamps;
  DecodeTime decode_time;
  bool caps_sent = false;
  uint8_t caps_codec = wzp::wire::codec::kNone;  // the codec id of the caps sent
  GstEvent *held_segment = nullptr;              // sticky order: caps before segment
  wzp::wire::MediaType media_type = wzp::wire::MediaType::kAudio;
  wzp::quality::ReportLimiter report_limiter;
  uint64_t reports_received = 0;  // packets that carried a report
  uint32_t report_stream_id = 0;
  wzp::wire::QualityReport latest_report;
  // Packets of the current stream, and those of the streams before it.
  std::optional<wzp::quality::StreamArrivals> arrivals;
  uint32_t arrivals_stream_id = 0;
  wzp::quality::PacketCounts arrivals_base;
  uint64_t other_media = 0;  // packets dropped by `media`
};

struct _GstWzpFecDec {
  GstElement parent;
  GstPad *sinkpad;
  GstPad *srcpad;
  GstWzpFecDecPrivate *priv;
};

G_DEFINE_TYPE(GstWzpFecDec, gst_wzp_fec_dec, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE(wzpfecdec, "wzpfecdec", GST_RANK_NONE, GST_TYPE_WZP_FEC_DEC);

namespace {

// Turns the decoder's outcomes into buffers, to push after the state lock is released.
struct BufferListSink : wzp::fec::FrameSink {
  GstBufferList *list = gst_buffer_list_new();
  GstWzpFecDecPrivate *priv;
  explicit BufferListSink(GstWzpFecDecPrivate *p) : priv(p) {}

  GstBuffer *finish(GstBuffer *buffer, const wzp::wire::MediaHeader &h) {
    priv->media_type = h.media_type;
    GST_BUFFER_PTS(buffer) =
        priv->timestamps.to_time(h.timestamp, wzp::wire::media_clock_rate(h.media_type));
    wzp_buffer_set_header_meta(buffer, h, nullptr, 0);
    gst_buffer_list_add(list, buffer);
    return buffer;
  }
  void on_frame(const wzp::wire::MediaHeader &h, std::span<const uint8_t> frame,
                bool recovered) override {
    GstBuffer *buffer = finish(gst_buffer_new_memdup(frame.data(), frame.size()), h);
    if (h.media_type == wzp::wire::MediaType::kVideo && !h.keyframe) {
      GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
    }
    GST_LOG("frame %u%s", h.sequence, recovered ? " (recovered)" : "");
  }
  void on_lost(const wzp::wire::MediaHeader &h, bool) override {
    GstBuffer *buffer = finish(gst_buffer_new(), h);
    GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_GAP);
    GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DROPPABLE);
    GST_DEBUG("frame %u lost", h.sequence);
  }
};

// Sends the caps for frames of `codec` unless they are out already: derived
// caps follow the codec id (a codec switch mid-call), set caps go out once.
bool ensure_caps(GstWzpFecDec *self, uint8_t codec) {
  auto *priv = self->priv;
  GstCaps *caps = nullptr;
  {
    std::lock_guard guard(priv->settings_lock);
    if (priv->settings.caps) caps = gst_caps_ref(priv->settings.caps);
  }
  {
    std::lock_guard guard(priv->state_lock);
    if (priv->caps_sent && (caps != nullptr || priv->caps_codec == codec)) {
      if (caps != nullptr) gst_caps_unref(caps);
      return true;
    }
  }
  if (caps == nullptr) caps = wzp::gst::caps_for_codec(codec);
  if (caps == nullptr) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Unknown codec id %u", codec),
                      ("set the caps property to name the frames' format"));
    return false;
  }
  gboolean ok = gst_pad_push_event(self->srcpad, gst_event_new_caps(caps));
  gst_caps_unref(caps);
  GstEvent *segment;
  {
    std::lock_guard guard(priv->state_lock);
    priv->caps_sent = ok;
    priv->caps_codec = codec;
    segment = std::exchange(priv->held_segment, nullptr);
  }
  if (segment) gst_pad_push_event(self->srcpad, segment);
  return ok;
}

uint8_t codec_of(GstBuffer *frame) {
  return wzp_buffer_get_header_meta(frame)->header.codec;  // every frame gets one in finish()
}

// Pushes frames [begin, end) of `list`, after the caps of their codec.
GstFlowReturn push_run(GstWzpFecDec *self, GstBufferList *list, guint begin, guint end) {
  if (!ensure_caps(self, codec_of(gst_buffer_list_get(list, begin)))) {
    return GST_FLOW_NOT_NEGOTIATED;
  }
  GstBufferList *run = gst_buffer_list_new_sized(end - begin);
  for (guint i = begin; i < end; ++i)
    gst_buffer_list_add(run, gst_buffer_ref(gst_buffer_list_get(list, i)));
  return gst_pad_push_list(self->srcpad, run);
}

// Pushes the frames in order; where the codec id changes, new caps go
// between them.
GstFlowReturn push_frames(GstWzpFecDec *self, BufferListSink &sink) {
  GstBufferList *list = sink.list;
  guint length = gst_buffer_list_length(list);
  guint split = 1;
  while (split < length &&
         codec_of(gst_buffer_list_get(list, split)) == codec_of(gst_buffer_list_get(list, 0))) {
    ++split;
  }
  if (length == 0 || split == length) {  // one codec (nearly always): the list as it is
    if (length == 0 || !ensure_caps(self, codec_of(gst_buffer_list_get(list, 0)))) {
      gst_buffer_list_unref(list);
      return length == 0 ? GST_FLOW_OK : GST_FLOW_NOT_NEGOTIATED;
    }
    return gst_pad_push_list(self->srcpad, list);
  }
  GstFlowReturn ret = GST_FLOW_OK;
  for (guint begin = 0; begin < length && ret == GST_FLOW_OK;) {
    guint end = begin + 1;
    uint8_t codec = codec_of(gst_buffer_list_get(list, begin));
    while (end < length && codec_of(gst_buffer_list_get(list, end)) == codec) ++end;
    ret = push_run(self, list, begin, end);
    begin = end;
  }
  gst_buffer_list_unref(list);
  return ret;
}

// Notes the packet's quality report, if any; returns the message to post
// (after the state lock is released), or null. Called with the state lock held.
// Counts the packet by its sequence number (a gap is packets lost on the
// path, whole blocks included, which the decoder never learns of) and
// returns the message for the peer's report it carries, if one is due.
GstMessage *read_header(GstWzpFecDec *self, std::span<const uint8_t> packet) {
  auto *priv = self->priv;
  wzp::wire::PacketView view;
  if (wzp::wire::parse_full(packet, view) != wzp::wire::WireError::kOk) return nullptr;
  const auto &h = view.header;
  if (!priv->arrivals || h.stream_id != priv->arrivals_stream_id) {
    // A new stream (or a sender's restart) numbers its packets afresh.
    priv->arrivals_base += priv->arrivals ? priv->arrivals->totals() : wzp::quality::PacketCounts{};
    priv->arrivals.emplace();
    priv->arrivals_stream_id = h.stream_id;
  }
  priv->arrivals->on_packet(h.sequence, true);
  if (!view.report) return nullptr;
  ++priv->reports_received;
  priv->report_stream_id = h.stream_id;
  priv->latest_report = *view.report;
  if (!priv->report_limiter.should_take(h.stream_id, h.timestamp,
                                        wzp::wire::media_clock_rate(h.media_type))) {
    return nullptr;
  }
  GstStructure *s = wzp::gst::report_to_structure(wzp::gst::kReportMessageName, *view.report);
  gst_structure_set(s, "stream-id", G_TYPE_UINT, guint{h.stream_id}, nullptr);
  return gst_message_new_element(GST_OBJECT(self), s);
}

// Whether `media` lets the packet in. Streams that share a connection
// carry full headers (a mini header's stream is known only from its
// context); any other packet goes on to the decoder, which judges it.
bool takes(Media media, std::span<const uint8_t> packet) {
  wzp::wire::PacketView view;
  if (media == kMediaAny || wzp::wire::parse_full(packet, view) != wzp::wire::WireError::kOk) {
    return true;
  }
  return (view.header.media_type == wzp::wire::MediaType::kVideo) == (media == kMediaVideo);
}

GstFlowReturn gst_wzp_fec_dec_chain(GstPad *, GstObject *parent, GstBuffer *buffer) {
  auto *self = GST_WZP_FEC_DEC(parent);
  auto *priv = self->priv;
  guint64 deadline, video_deadline;
  Media media;
  {
    std::lock_guard guard(priv->settings_lock);
    deadline = priv->settings.deadline;
    video_deadline = priv->settings.video_deadline;
    media = priv->settings.media;
  }
  BufferListSink sink(priv);
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    gst_buffer_unref(buffer);
    gst_buffer_list_unref(sink.list);
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not map the input buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  GstMessage *report = nullptr;
  if (!takes(media, {map.data, map.size})) {
    {
      std::lock_guard guard(priv->state_lock);
      ++priv->other_media;
    }
    gst_buffer_unmap(buffer, &map);
    gst_buffer_unref(buffer);
    gst_buffer_list_unref(sink.list);
    return GST_FLOW_OK;
  }
  {
    std::lock_guard guard(priv->state_lock);
    report = read_header(self, {map.data, map.size});
    // The deadline is in media ticks of the stream's clock, known once a frame has come out.
    uint32_t rate = wzp::wire::media_clock_rate(priv->media_type);
    priv->decoder.set_deadline(wzp::gst::to_media_ticks(deadline, rate));
    priv->decoder.set_video_deadline(wzp::gst::to_media_ticks(
        video_deadline, wzp::wire::media_clock_rate(wzp::wire::MediaType::kVideo)));
    gint64 start = g_get_monotonic_time();
    priv->decoder.push(std::span<const uint8_t>(map.data, map.size), sink);
    guint64 spent = static_cast<guint64>(g_get_monotonic_time() - start);
    priv->decode_time.total_us += spent;
    priv->decode_time.max_us = std::max(priv->decode_time.max_us, spent);
  }
  gst_buffer_unmap(buffer, &map);
  gst_buffer_unref(buffer);
  if (report) gst_element_post_message(GST_ELEMENT(self), report);
  return push_frames(self, sink);
}

GstStructure *make_stats(GstWzpFecDec *self) {
  std::lock_guard guard(self->priv->state_lock);
  const auto &s = self->priv->decoder.stats();
  const auto &t = self->priv->decode_time;
  wzp::quality::PacketCounts packets = self->priv->arrivals_base;
  if (self->priv->arrivals) packets += self->priv->arrivals->totals();
  return gst_structure_new(
      "application/x-wzp-fec-dec-stats", "packets", G_TYPE_UINT64, s.packets,
      wzp::gst::stats::fec_dec::kReceived, G_TYPE_UINT64, s.received,
      wzp::gst::stats::fec_dec::kRecovered, G_TYPE_UINT64, s.recovered,
      wzp::gst::stats::fec_dec::kUnrecoverable, G_TYPE_UINT64, s.unrecoverable,
      wzp::gst::stats::fec_dec::kUnprotected, G_TYPE_UINT64, s.unprotected, "duplicates",
      G_TYPE_UINT64, s.duplicates, "late", G_TYPE_UINT64, s.late, "malformed", G_TYPE_UINT64,
      s.malformed, "out-of-range", G_TYPE_UINT64, s.out_of_range, "inconsistent", G_TYPE_UINT64,
      s.inconsistent, "foreign-stream", G_TYPE_UINT64, s.foreign_stream, "unneeded-repair",
      G_TYPE_UINT64, s.unneeded_repair, "blocks-complete", G_TYPE_UINT64, s.blocks_complete,
      "blocks-recovered", G_TYPE_UINT64, s.blocks_recovered,
      wzp::gst::stats::fec_dec::kBlocksGivenUp, G_TYPE_UINT64, s.blocks_given_up,
      "decode-time-total-us", G_TYPE_UINT64, t.total_us, "decode-time-max-us", G_TYPE_UINT64,
      t.max_us, "reports-received", G_TYPE_UINT64, self->priv->reports_received, "report-stream-id",
      G_TYPE_UINT, guint{self->priv->report_stream_id}, "report-loss", G_TYPE_DOUBLE,
      self->priv->latest_report.loss_fraction(), "report-rtt-ms", G_TYPE_UINT,
      guint{self->priv->latest_report.rtt_ms}, "report-jitter-ms", G_TYPE_UINT,
      guint{self->priv->latest_report.jitter_ms}, "report-bandwidth-kbps", G_TYPE_UINT,
      guint{self->priv->latest_report.bandwidth_kbps}, wzp::gst::stats::fec_dec::kPacketsExpected,
      G_TYPE_UINT64, packets.sent, wzp::gst::stats::fec_dec::kPacketsArrived, G_TYPE_UINT64,
      packets.arrived, "other-media", G_TYPE_UINT64, self->priv->other_media, nullptr);
}

gboolean gst_wzp_fec_dec_sink_event(GstPad *pad, GstObject *parent, GstEvent *event) {
  auto *self = GST_WZP_FEC_DEC(parent);
  auto *priv = self->priv;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS:
      gst_event_unref(event);  // frame caps go out with the first frame
      return TRUE;
    case GST_EVENT_SEGMENT: {
      std::lock_guard guard(priv->state_lock);
      if (!priv->caps_sent) {
        gst_event_replace(&priv->held_segment, event);
        gst_event_unref(event);
        return TRUE;
      }
      break;
    }
    case GST_EVENT_EOS: {
      BufferListSink sink(priv);
      {
        std::lock_guard guard(priv->state_lock);
        priv->decoder.flush(sink);
      }
      push_frames(self, sink);
      GstStructure *stats = make_stats(self);
      GST_INFO_OBJECT(self, "end of stream: %" GST_PTR_FORMAT, stats);
      gst_structure_free(stats);
      return gst_pad_event_default(pad, parent, event);
    }
    case GST_EVENT_FLUSH_STOP: {
      std::lock_guard guard(priv->state_lock);
      priv->decoder.reset();
      priv->timestamps.reset();
      break;
    }
    default:
      break;
  }
  return gst_pad_event_default(pad, parent, event);
}

void gst_wzp_fec_dec_set_property(GObject *object, guint id, const GValue *value,
                                  GParamSpec *pspec) {
  auto *self = GST_WZP_FEC_DEC(object);
  std::lock_guard guard(self->priv->settings_lock);
  Settings &s = self->priv->settings;
  switch (id) {
    case PROP_CAPS:
      gst_caps_replace(&s.caps, static_cast<GstCaps *>(g_value_get_boxed(value)));
      break;
    case PROP_DEADLINE:
      s.deadline = g_value_get_uint64(value);
      break;
    case PROP_VIDEO_DEADLINE:
      s.video_deadline = g_value_get_uint64(value);
      break;
    case PROP_MEDIA:
      s.media = static_cast<Media>(g_value_get_enum(value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

void gst_wzp_fec_dec_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec) {
  auto *self = GST_WZP_FEC_DEC(object);
  if (id == PROP_STATS) {
    g_value_take_boxed(value, make_stats(self));
    return;
  }
  std::lock_guard guard(self->priv->settings_lock);
  switch (id) {
    case PROP_CAPS:
      g_value_set_boxed(value, self->priv->settings.caps);
      break;
    case PROP_DEADLINE:
      g_value_set_uint64(value, self->priv->settings.deadline);
      break;
    case PROP_VIDEO_DEADLINE:
      g_value_set_uint64(value, self->priv->settings.video_deadline);
      break;
    case PROP_MEDIA:
      g_value_set_enum(value, self->priv->settings.media);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

void gst_wzp_fec_dec_finalize(GObject *object) {
  auto *self = GST_WZP_FEC_DEC(object);
  gst_caps_replace(&self->priv->settings.caps, nullptr);
  gst_event_replace(&self->priv->held_segment, nullptr);
  delete self->priv;
  G_OBJECT_CLASS(gst_wzp_fec_dec_parent_class)->finalize(object);
}

}  // namespace

static void gst_wzp_fec_dec_init(GstWzpFecDec *self) {
  self->priv = new GstWzpFecDecPrivate;
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, gst_wzp_fec_dec_chain);
  gst_pad_set_event_function(self->sinkpad, gst_wzp_fec_dec_sink_event);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_wzp_fec_dec_class_init(GstWzpFecDecClass *klass) {
  auto *gobject_class = G_OBJECT_CLASS(klass);
  auto *element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = gst_wzp_fec_dec_set_property;
  gobject_class->get_property = gst_wzp_fec_dec_get_property;
  gobject_class->finalize = gst_wzp_fec_dec_finalize;

  g_object_class_install_property(
      gobject_class, PROP_CAPS,
      g_param_spec_boxed("caps", "Caps",
                         "Caps of the output frames; unset derives them from the packets' codec "
                         "id (Opus, Codec2 modes, AV1)",
                         GST_TYPE_CAPS,
                         static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                  GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      gobject_class, PROP_DEADLINE,
      g_param_spec_uint64("deadline", "Deadline",
                          "Media time (ns) a block may wait for more symbols after its newest "
                          "packet before its missing frames are declared lost",
                          1, 60 * GST_SECOND, kDefaultDeadline,
                          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                   GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      gobject_class, PROP_VIDEO_DEADLINE,
      g_param_spec_uint64("video-deadline", "Video deadline",
                          "Media time (ns) a video frame may wait for more of its symbols after "
                          "a newer frame's packet arrived before it is declared lost (its "
                          "packets leave together, so a short wait suffices)",
                          1, 60 * GST_SECOND, kDefaultVideoDeadline,
                          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                   GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      gobject_class, PROP_MEDIA,
      g_param_spec_enum("media", "Media",
                        "The media type taken; packets of the other are dropped and counted "
                        "(other-media): an audio and a video decoder side by side after a tee",
                        media_get_type(), kMediaAny,
                        static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                 GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed(
          "stats", "Statistics",
          "Counters: packets, packets-expected (by sequence number), "
          "packets-arrived, received, recovered, unrecoverable, unprotected, "
          "duplicates, late, malformed, out-of-range, inconsistent, "
          "foreign-stream, unneeded-repair, blocks-complete, blocks-recovered, "
          "blocks-given-up, decode-time-total-us, decode-time-max-us, other-media; the peer's "
          "latest quality report: reports-received (packets carrying one), "
          "report-stream-id, report-loss, report-rtt-ms, report-jitter-ms, "
          "report-bandwidth-kbps",
          GST_TYPE_STRUCTURE, static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_type_mark_as_plugin_api(media_get_type(), static_cast<GstPluginAPIFlags>(0));
  gst_element_class_set_static_metadata(
      element_class, "wzp FEC decoder", "Codec/Decoder/Network",
      "Recovers lost frames of a wzp stream from its RaptorQ repair packets. Example: "
      "gst-launch-1.0 audiotestsrc ! opusenc frame-size=20 ! wzpfecenc ! wzpfecdec ! opusdec ! "
      "autoaudiosink",
      WZP_AUTHOR);
  GST_DEBUG_CATEGORY_INIT(wzp_fec_dec_debug, "wzpfecdec", 0, "wzp RaptorQ FEC decoder");
}
