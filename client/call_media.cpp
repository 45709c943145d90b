#include "client/call_media.hpp"

#include <cstring>

#include "client/tier_settings.hpp"
#include "plugins/gstwzp/wzpcryptcontext.h"
#include "plugins/gstwzp/wzpquiclink.h"

namespace wzp::client {

GstElement *parse_pipeline(const std::string &description, std::string &error) {
  GError *gerror = nullptr;
  GstElement *pipeline =
      gst_parse_launch_full(description.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &gerror);
  if (pipeline == nullptr) {
    error = gerror != nullptr ? gerror->message : "could not build the pipeline";
    g_clear_error(&gerror);
  }
  return pipeline;
}

void set_call_contexts(GstElement *pipeline, const std::shared_ptr<crypto::MediaSession> &session,
                       const std::shared_ptr<quic::Link> &link) {
  GstContext *context = wzp_crypto_context_new(session);
  gst_element_set_context(pipeline, context);
  gst_context_unref(context);
  if (!link) return;
  context = wzp_quic_link_context_new(link);
  gst_element_set_context(pipeline, context);
  gst_context_unref(context);
}

namespace {

// A file plays at the pace a microphone would.
std::string source_for(const SenderConfig &config) {
  if (!config.source.empty()) return config.source;
  if (!config.input_wav.empty()) {
    return "filesrc name=input ! decodebin ! identity name=paced sync=true";
  }
  // inter* pass raw audio between two pipelines of this process; the source
  // plays silence while the receiver has nothing.
  if (!config.echo_channel.empty()) return "interaudiosrc channel=" + config.echo_channel;
  if (config.tone_seconds == 0) return "autoaudiosrc";
  return "audiotestsrc is-live=true wave=sine freq=440 volume=0.5 samplesperbuffer=960 "
         "num-buffers=" +
         std::to_string(config.tone_seconds * 50) + " ! audio/x-raw,rate=48000,channels=1";
}

}  // namespace

GstElement *build_sender(const SenderConfig &config,
                         const std::shared_ptr<crypto::MediaSession> &session, std::string &error) {
  const auto &tier = *config.tier;
  std::string source = source_for(config);
  // The tier's settings go on after parsing (apply_tier); AdaptiveQuality
  // changes them mid-call, codec included (wzpvoiceenc resamples its input
  // and switches without a gap).
  std::string description = source + " ! audioconvert ! wzpvoiceenc name=voice" +
                            " ! wzpfecenc name=fec stream-id=" + std::to_string(config.stream_id) +
                            // BBR reads delivery rate, not loss: random loss must not starve media.
                            " ! wzpencrypt name=crypt ! wzpquicsink name=net role=client"
                            // Late media is useless, but a rate-capped path queues a moment.
                            " max-queue-time=400";
  GstElement *pipeline = parse_pipeline(description, error);
  if (pipeline == nullptr) return nullptr;
  GstElement *voice = gst_bin_get_by_name(GST_BIN(pipeline), "voice");
  GstElement *fec = gst_bin_get_by_name(GST_BIN(pipeline), "fec");
  apply_tier(tier, {.voice_encoder = voice, .fec_encoder = fec});
  gst_object_unref(voice);
  gst_object_unref(fec);
  GstElement *crypt = gst_bin_get_by_name(GST_BIN(pipeline), "crypt");
  g_object_set(crypt, "padding", guint{config.padding}, nullptr);
  gst_object_unref(crypt);
  if (!config.input_wav.empty()) {
    GstElement *input = gst_bin_get_by_name(GST_BIN(pipeline), "input");
    g_object_set(input, "location", config.input_wav.c_str(), nullptr);
    gst_object_unref(input);
  }
  if (!config.link) {
    GstElement *net = gst_bin_get_by_name(GST_BIN(pipeline), "net");
    g_object_set(net, "address", config.address.c_str(), "port", guint{config.port},
                 "server-fingerprint", config.server_fingerprint.c_str(), nullptr);
    gst_object_unref(net);
  }
  set_call_contexts(pipeline, session, config.link);
  return pipeline;
}

GstElement *build_receiver(const ReceiverConfig &config,
                           const std::shared_ptr<crypto::MediaSession> &session,
                           std::string &error) {
  // wzpvoicedec decodes Opus or Codec2 as the caps wzpfecdec derives from
  // the packets' codec id say, so the receiver follows the sender's tier
  // changes in one continuous stream.
  std::string sink = !config.echo_channel.empty() ? "interaudiosink channel=" + config.echo_channel
                     : !config.output_wav.empty() ? "wavenc name=wav ! filesink name=output"
                     : !config.sink.empty()       ? config.sink
                                                  : "autoaudiosink";
  // The jitter buffer waits for 99 % of recent frames, not 95 %: frames FEC
  // recovers come late, and at 10 % loss they are the slowest 10 %, half of
  // which missed a 95 % target (bench/live: 96.7 -> 98.5 % played at 10 %
  // random loss for 298 -> 326 ms mouth to ear).
  std::string description =
      std::string("wzpquicsrc name=net role=server ! wzpdecrypt name=crypt ! ") +
      (config.video.enabled ? "tee name=packets packets. ! " : "") +
      "wzpfecdec name=fec media=audio"
      " ! wzpjitterbuffer name=jitter target-quantile=0.99 ! wzpvoicedec name=voice"
      " ! audioconvert ! audioresample"
      " ! audio/x-raw,format=S16LE,rate=48000,channels=1 ! " +
      sink + (config.video.enabled ? video_receiver_branch(config.video) : "");
  GstElement *pipeline = parse_pipeline(description, error);
  if (pipeline == nullptr) return nullptr;
  if (config.echo_channel.empty() && !config.output_wav.empty()) {
    GstElement *output = gst_bin_get_by_name(GST_BIN(pipeline), "output");
    g_object_set(output, "location", config.output_wav.c_str(), nullptr);
    gst_object_unref(output);
  }
  if (!config.link) {
    GstElement *net = gst_bin_get_by_name(GST_BIN(pipeline), "net");
    g_object_set(net, "bind-address", config.bind_address.c_str(), "bind-port", guint{config.port},
                 nullptr);
    gst_object_unref(net);
  }
  set_call_contexts(pipeline, session, config.link);
  return pipeline;
}

bool follow_latency(GstMessage *message, std::initializer_list<GstElement *> pipelines) {
  if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_LATENCY) return false;
  for (GstElement *pipeline : pipelines) {
    if (GST_MESSAGE_SRC(message) == GST_OBJECT(pipeline) ||
        gst_object_has_as_ancestor(GST_MESSAGE_SRC(message), GST_OBJECT(pipeline))) {
      gst_bin_recalculate_latency(GST_BIN(pipeline));
    }
  }
  return true;
}

std::string describe_error(GstMessage *error, GstElement *sender) {
  GError *gerror = nullptr;
  gchar *detail = nullptr;
  gst_message_parse_error(error, &gerror, &detail);
  // The message comes from an element inside one of the two pipelines.
  const bool from_sender = GST_MESSAGE_SRC(error) == GST_OBJECT(sender) ||
                           gst_object_has_as_ancestor(GST_MESSAGE_SRC(error), GST_OBJECT(sender));
  // GStreamer's debug text starts with the source location; the reason follows the last newline.
  const char *reason = detail != nullptr ? std::strrchr(detail, '\n') : nullptr;
  reason = reason != nullptr ? reason + 1 : detail;
  std::string text = std::string(from_sender ? "sender: " : "receiver: ") +
                     (gerror != nullptr ? gerror->message : "unknown error") +
                     (reason != nullptr && *reason != '\0' ? std::string(" (") + reason + ")" : "");
  g_clear_error(&gerror);
  g_free(detail);
  return text;
}

GstStructure *element_stats(GstElement *pipeline, const char *name) {
  GstElement *element = gst_bin_get_by_name(GST_BIN(pipeline), name);
  if (element == nullptr) return nullptr;
  GstStructure *stats = nullptr;
  g_object_get(element, "stats", &stats, nullptr);
  gst_object_unref(element);
  return stats;
}

// A field the element does not carry (renamed, or of another type) is a
// broken contract (plugins/gstwzp/wzpstats.h), not a zero: say so loudly.
uint64_t stats_u64(const GstStructure *stats, const char *field) {
  guint64 value = 0;
  if (stats != nullptr && !gst_structure_get_uint64(stats, field, &value)) {
    g_critical("%s has no guint64 field '%s'", gst_structure_get_name(stats), field);
  }
  return value;
}

double stats_double(const GstStructure *stats, const char *field) {
  gdouble value = 0;
  if (stats != nullptr && !gst_structure_get_double(stats, field, &value)) {
    g_critical("%s has no gdouble field '%s'", gst_structure_get_name(stats), field);
  }
  return value;
}

}  // namespace wzp::client
