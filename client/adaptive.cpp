#include "client/adaptive.hpp"

#include <cstring>

#include "client/tier_settings.hpp"

namespace wzp::client {
namespace {

// The first element made by `factory` in `element` (a bin searched
// recursively, or the element itself); a new reference, or null.
GstElement *find_by_factory(GstElement *element, const char *factory) {
  if (element == nullptr) return nullptr;
  auto matches = [factory](GstElement *e) {
    GstElementFactory *f = gst_element_get_factory(e);
    return f != nullptr && std::strcmp(GST_OBJECT_NAME(f), factory) == 0;
  };
  if (matches(element)) return GST_ELEMENT(gst_object_ref(element));
  if (!GST_IS_BIN(element)) return nullptr;
  GstIterator *it = gst_bin_iterate_recurse(GST_BIN(element));
  GValue item = G_VALUE_INIT;
  GstElement *found = nullptr;
  while (found == nullptr && gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    auto *e = GST_ELEMENT(g_value_get_object(&item));
    if (matches(e)) found = GST_ELEMENT(gst_object_ref(e));
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  return found;
}

// The decoder of the peer's audio, whose packets carry its reports: a
// call's receiver names it "fec" beside the video's (client/call_video.hpp);
// other receivers have one.
GstElement *audio_fec_decoder(GstElement *receiver) {
  GstElement *named =
      GST_IS_BIN(receiver) ? gst_bin_get_by_name(GST_BIN(receiver), "fec") : nullptr;
  return named != nullptr ? named : find_by_factory(receiver, "wzpfecdec");
}

double field_double(const GstStructure *s, const char *field) {
  gdouble value = 0;
  gst_structure_get_double(s, field, &value);
  return value;
}

uint32_t field_uint(const GstStructure *s, const char *field) {
  guint value = 0;
  gst_structure_get_uint(s, field, &value);
  return value;
}

}  // namespace

quality::Micros AdaptiveQuality::clock_now() { return quality::Micros{g_get_monotonic_time()}; }

AdaptiveQuality::AdaptiveQuality(GstElement *sender, GstElement *receiver,
                                 const quality::ControllerConfig &config, quality::Micros now)
    : voice_encoder_(find_by_factory(sender, "wzpvoiceenc")),
      // wzpvoiceenc holds an opusenc of its own: it is driven through the bin.
      opus_encoder_(voice_encoder_ == nullptr ? find_by_factory(sender, "opusenc") : nullptr),
      fec_encoder_(find_by_factory(sender, "wzpfecenc")),
      quic_sink_(find_by_factory(sender, "wzpquicsink")),
      fec_decoder_(audio_fec_decoder(receiver)),
      quic_src_(find_by_factory(receiver, "wzpquicsrc")),
      config_(config),
      controller_(config, now),
      reporter_(receiver, fec_encoder_),
      started_at_(now) {
  apply(now, quality::Decision{controller_.tier(), quality::Change::kNone});
}

AdaptiveQuality::~AdaptiveQuality() {
  for (GstElement *e :
       {voice_encoder_, opus_encoder_, fec_encoder_, quic_sink_, fec_decoder_, quic_src_}) {
    if (e != nullptr) gst_object_unref(e);
  }
}

bool AdaptiveQuality::on_bus_message(GstMessage *message, quality::Micros now) {
  if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ELEMENT || fec_decoder_ == nullptr ||
      GST_MESSAGE_SRC(message) != GST_OBJECT(fec_decoder_)) {
    return false;
  }
  const GstStructure *s = gst_message_get_structure(message);
  if (!gst_structure_has_name(s, "wzp-quality-report")) return false;
  quality::PathObservation report{field_double(s, "loss"), field_uint(s, "rtt-ms"),
                                  field_uint(s, "jitter-ms"), field_uint(s, "bandwidth-kbps")};
  peer_report_ = report;
  if (before_report_) before_report_(now, report);
  emit({trace::ControllerInput::Kind::kReport, now, report});
  apply(now, controller_.on_report(now, report));
  return true;
}

bool AdaptiveQuality::tick(quality::Micros now) {
  // A timer's tick may come a little early.
  constexpr quality::Micros kFullTick{1'000'000 - 100'000};
  const bool full = !last_full_tick_ || now - *last_full_tick_ >= kFullTick;
  if (!full) {
    if (controller_.stats().reports == 0) feed_early_sending_path(now);
    return false;
  }
  last_full_tick_ = now;
  feed_sending_path(now);
  // RTT and jitter from the QUIC endpoint that receives (else the one that
  // sends: same peer).
  auto receiving_path = quic_path_stats(quic_src_);
  if (!receiving_path) receiving_path = quic_path_stats(quic_sink_);
  auto report = reporter_.tick(receiving_path ? receiving_path->rtt_ms : 0,
                               receiving_path ? receiving_path->jitter_ms : 0);
  if (report) {
    last_report_ = report;
    emit({trace::ControllerInput::Kind::kPeerMedia, now, *report});
    apply(now, controller_.on_peer_media(now, *report));
  }
  emit({trace::ControllerInput::Kind::kTick, now});
  apply(now, controller_.tick(now));
  return true;
}

void AdaptiveQuality::feed_sending_path(quality::Micros now) {
  auto sending_path = quic_path_stats(quic_sink_);
  if (sending_path) {
    if (auto loss =
            sending_loss_.update(sending_path->datagrams_acked, sending_path->datagrams_lost)) {
      recent_sending_loss_ = loss;
    }
    if (recent_sending_loss_) {
      quality::PathObservation seen{*recent_sending_loss_, sending_path->rtt_ms,
                                    sending_path->jitter_ms, 0};
      emit({trace::ControllerInput::Kind::kPathStats, now, seen});
      apply(now, controller_.on_path_stats(now, seen));
    }
  }
}

// A quarter second's figure says less than a second's: the controller steps
// down on it only for a collapse (QualityController::on_early_path_stats).
// Fed as a full figure each quarter second, a first second that read 31 %
// at 20 % loss (a dozen datagrams each) stepped a call to Codec2 at once.
void AdaptiveQuality::feed_early_sending_path(quality::Micros now) {
  auto sending_path = quic_path_stats(quic_sink_);
  if (!sending_path) return;
  auto loss =
      early_sending_loss_.update(sending_path->datagrams_acked, sending_path->datagrams_lost);
  if (!loss) return;
  const quality::Micros since = early_figure_at_.value_or(started_at_);
  early_figure_at_ = now;
  const double share = std::chrono::duration<double>(now - since).count();
  if (!(share > 0 && share < 1)) return;
  trace::ControllerInput early{trace::ControllerInput::Kind::kEarlyPathStats,
                               now,
                               {*loss, sending_path->rtt_ms, sending_path->jitter_ms, 0}};
  early.share = share;
  emit(early);
  apply(now, controller_.on_early_path_stats(now, early.observation, share));
}

void AdaptiveQuality::impose(quality::Tier tier, quality::Micros now) {
  quality::ControllerConfig config = config_;
  config.initial = tier;
  controller_ = quality::QualityController(config, now);
  emit({trace::ControllerInput::Kind::kImpose, now, {}, tier});
  apply(now, quality::Decision{tier, quality::Change::kNone}, true);
}

void AdaptiveQuality::trace_to(std::function<void(const std::string &)> write) {
  trace_ = std::move(write);
  emit({trace::ControllerInput::Kind::kStart, started_at_, {}, config_.initial});
  for (const auto &change : history_) trace_(trace::format(change));
}

void AdaptiveQuality::emit(const trace::ControllerInput &input) const {
  if (trace_) trace_(trace::format(input));
}

void AdaptiveQuality::apply(quality::Micros now, const quality::Decision &decision, bool imposed) {
  if (!quality::record(history_, now, decision, imposed)) return;
  if (trace_) trace_(trace::format(history_.back()));
  apply_tier(quality::profile(decision.tier), {voice_encoder_, opus_encoder_, fec_encoder_});
}

}  // namespace wzp::client
