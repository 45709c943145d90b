// A browser's direct call in wzp-web: the call's media as `wzp call` runs
// it (client::build_sender/build_receiver on the signaling connection, the
// call's keys, AdaptiveQuality from the peer's reports), but without a main
// loop of its own, its audio coming from and going to the browser's
// handoffs (browser_session.hpp), and the end told to the session:
//
//   appsrc name=browser ! wzpvoiceenc ! wzpfecenc ! wzpencrypt ! wzpquicsink
//   wzpquicsrc ! wzpdecrypt ! wzpfecdec ! wzpjitterbuffer ! wzpvoicedec ! appsink name=browser
//
// Its timers and bus watches run on the thread-default main context.
#pragma once

#include <gst/gst.h>

#include <functional>
#include <memory>
#include <string>

#include "client/adaptive.hpp"
#include "client/call_signaling.hpp"
#include "libwzp/signal/session.hpp"

namespace wzp::web {

class BrowserCall {
 public:
  struct Status {
    std::string tier, line;
    uint64_t sent = 0, played = 0, concealed = 0, recovered = 0, delay_ms = 0;
  };
  struct Handlers {
    std::function<void()> tick;  // once a second, after the quality tick
    // Once, from the main loop, with why the call ended (the peer hung up,
    // the connection or a pipeline failed); the call may be destroyed in it.
    std::function<void(const std::string &why)> ended;
  };
  // `source` ends in raw audio, `sink` takes it. Null with `error` set when
  // the media cannot start (the call is hung up). `session` must outlive
  // the call.
  static std::unique_ptr<BrowserCall> start(signal::Session &session, client::EstablishedCall &call,
                                            bool caller, const std::string &source,
                                            const std::string &sink, Handlers handlers,
                                            std::string &error);
  // Hangs up if the call is still on, and stops the media.
  ~BrowserCall();
  BrowserCall(const BrowserCall &) = delete;
  BrowserCall &operator=(const BrowserCall &) = delete;

  GstElement *sender() const { return sender_; }
  GstElement *receiver() const { return receiver_; }
  const std::string &peer() const { return peer_; }
  Status status() const;

 private:
  BrowserCall(signal::Session &session, const client::EstablishedCall &call);
  void end(const std::string &why, bool hang_up);
  static gboolean on_bus(GstBus *, GstMessage *message, gpointer data);
  static gboolean on_tick(gpointer data);
  static gboolean on_signal_poll(gpointer data);

  signal::Session &session_;
  std::string call_id_, peer_;
  GstElement *sender_ = nullptr, *receiver_ = nullptr;
  std::unique_ptr<client::AdaptiveQuality> adaptive_;
  Handlers handlers_;
  bool over_ = false;
  guint tick_source_ = 0, poll_source_ = 0, sender_watch_ = 0, receiver_watch_ = 0;
};

}  // namespace wzp::web
