#include "web/browser_call.hpp"

#include "client/call_media.hpp"
#include "client/call_report.hpp"
#include "libwzp/crypto/handshake.hpp"
#include "plugins/gstwzp/wzpstats.h"

namespace wzp::web {
namespace {

namespace stats = wzp::gst::stats;

void release(GstElement *pipeline, guint watch) {
  if (pipeline == nullptr) return;
  if (watch != 0) g_source_remove(watch);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
}

}  // namespace

BrowserCall::BrowserCall(signal::Session &session, const client::EstablishedCall &call)
    : session_(session), call_id_(call.call_id), peer_(call.peer) {}

std::unique_ptr<BrowserCall> BrowserCall::start(signal::Session &session,
                                                client::EstablishedCall &call, bool caller,
                                                const std::string &source, const std::string &sink,
                                                Handlers handlers, std::string &error) {
  std::unique_ptr<BrowserCall> self(new BrowserCall(session, call));
  // Media rides the signaling connection, as in `wzp call`.
  auto link = session.media_link();
  session.set_datagram_handler([link](std::span<const uint8_t> d) { link->deliver(d); });
  session.set_close_handler([link](const std::string &why) { link->closed(why); });
  if (session.ended()) link->closed(session.end_reason());
  client::ReceiverConfig rx;
  rx.sink = sink;
  rx.link = link;
  self->receiver_ = client::build_receiver(rx, crypto::make_call_session(call.keys), error);
  client::SenderConfig tx;
  tx.source = source;
  tx.link = link;
  tx.tier = &quality::profile(quality::kCallStartTier);
  tx.stream_id = caller ? 1 : 2;  // as `wzp call` and `wzp answer` number theirs
  if (self->receiver_ != nullptr) {
    self->sender_ = client::build_sender(tx, crypto::make_call_session(call.keys), error);
  }
  call.keys.wipe();
  if (self->sender_ == nullptr) {
    self->end("the media did not start", true);
    return nullptr;
  }
  quality::ControllerConfig adaptive;
  adaptive.initial = quality::kCallStartTier;
  self->adaptive_ =
      std::make_unique<client::AdaptiveQuality>(self->sender_, self->receiver_, adaptive);
  for (auto [pipeline, watch] : {std::pair{self->sender_, &self->sender_watch_},
                                 {self->receiver_, &self->receiver_watch_}}) {
    GstBus *bus = gst_element_get_bus(pipeline);
    *watch = gst_bus_add_watch(bus, on_bus, self.get());
    gst_object_unref(bus);
  }
  self->tick_source_ = g_timeout_add_seconds(1, on_tick, self.get());
  self->poll_source_ = g_timeout_add(100, on_signal_poll, self.get());
  if (gst_element_set_state(self->receiver_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE ||
      gst_element_set_state(self->sender_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    error = "the media pipelines did not start";
    self->end(error, true);
    return nullptr;
  }
  // Told nothing before it started: a failed start is the error above.
  self->handlers_ = std::move(handlers);
  return self;
}

BrowserCall::~BrowserCall() {
  if (!over_) session_.send(signal::CallHangup{call_id_, "normal"});
  for (guint source : {tick_source_, poll_source_}) {
    if (source != 0) g_source_remove(source);
  }
  release(sender_, sender_watch_);
  release(receiver_, receiver_watch_);
  session_.set_datagram_handler(nullptr);
  session_.set_close_handler(nullptr);
}

// Once: the session hears why, on the loop's next turn (not inside a
// callback of ours, since it may destroy us).
void BrowserCall::end(const std::string &why, bool hang_up) {
  if (over_) return;
  over_ = true;
  if (hang_up) session_.send(signal::CallHangup{call_id_, "error"});
  if (handlers_.ended) {
    auto *told = new std::pair(std::move(handlers_.ended), why);
    g_idle_add_full(
        G_PRIORITY_DEFAULT,
        [](gpointer data) -> gboolean {
          auto *t =
              static_cast<std::pair<std::function<void(const std::string &)>, std::string> *>(data);
          t->first(t->second);
          return G_SOURCE_REMOVE;
        },
        told,
        [](gpointer data) {
          delete static_cast<std::pair<std::function<void(const std::string &)>, std::string> *>(
              data);
        });
  }
}

gboolean BrowserCall::on_bus(GstBus *, GstMessage *message, gpointer data) {
  auto *self = static_cast<BrowserCall *>(data);
  if (self->adaptive_->on_bus_message(message)) return G_SOURCE_CONTINUE;
  if (client::follow_latency(message, {self->sender_, self->receiver_})) return G_SOURCE_CONTINUE;
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    self->end(client::describe_error(message, self->sender_), true);
  }
  return G_SOURCE_CONTINUE;
}

gboolean BrowserCall::on_tick(gpointer data) {
  auto *self = static_cast<BrowserCall *>(data);
  self->adaptive_->tick();
  if (self->handlers_.tick && !self->over_) self->handlers_.tick();
  return G_SOURCE_CONTINUE;
}

// The peer's hangup, or the daemon's connection gone, ends the call.
gboolean BrowserCall::on_signal_poll(gpointer data) {
  auto *self = static_cast<BrowserCall *>(data);
  while (auto received = self->session_.next(std::chrono::milliseconds(0))) {
    auto *hangup = std::get_if<signal::CallHangup>(&received->message);
    if (hangup != nullptr && hangup->call_id == self->call_id_) {
      self->end(client::describe_hangup(hangup->reason), false);
    }
  }
  if (self->session_.ended()) {
    self->end("lost the connection to the daemon: " + self->session_.end_reason(), false);
  }
  return G_SOURCE_CONTINUE;
}

BrowserCall::Status BrowserCall::status() const {
  Status s;
  s.tier = std::string(quality::profile(adaptive_->tier()).name);
  s.line = client::status_line(sender_, receiver_, s.tier,
                               session_.over_tls() ? "daemon (tls fallback)" : "daemon",
                               adaptive_->peer_report());
  GstStructure *net = client::element_stats(sender_, "net");
  GstStructure *jitter = client::element_stats(receiver_, "jitter");
  GstStructure *fec = client::element_stats(receiver_, "fec");
  s.sent = client::stats_u64(net, stats::quic::kDatagramsSent);
  s.played = client::stats_u64(jitter, stats::jitter::kPlayed);
  s.concealed = client::stats_u64(jitter, stats::jitter::kConcealed);
  s.recovered = client::stats_u64(fec, stats::fec_dec::kRecovered);
  s.delay_ms = client::stats_u64(jitter, stats::jitter::kCurrentDelay) / 1000000;
  for (GstStructure *st : {net, jitter, fec}) {
    if (st != nullptr) gst_structure_free(st);
  }
  return s;
}

}  // namespace wzp::web
