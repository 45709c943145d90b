// One browser in wzp-web: its WebRTC side (webrtcbin, answering the
// browser's offer: DTLS-SRTP, ICE, Opus) and its wzp side (a RoomMember, or
// a direct call's BrowserCall, signed in to wzp-signald with the identity
// the browser keeps or one made for it), joined by raw audio handed from an
// appsink in one pipeline to an appsrc in the other:
//
//   webrtcbin ! rtpopusdepay ! opusdec ! ... ! appsink name=up
//     -> RoomMember's sender: appsrc name=browser ! wzpvoiceenc ! wzpfecenc ! ...
//   RoomMember's receiver: ... ! audiomixer ! appsink name=browser
//   (or BrowserCall's sender and receiver)
//     -> appsrc name=room ! opusenc ! rtpopuspay ! webrtcbin
//
// The browser's Opus is decoded and encoded again: the room's tier, not the
// browser, picks the wzp codec and rate (Opus down to Codec2 1200).
// Lives on the main loop's thread; webrtcbin's callbacks and the sign-in,
// which runs on a thread of its own, hop onto it.
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "client/room_member.hpp"
#include "libwzp/crypto/identity.hpp"
#include "libwzp/crypto/room_access.hpp"
#include "libwzp/signal/session.hpp"
#include "web/browser_call.hpp"
#include "web/browser_message.hpp"

namespace wzp::web {

struct BridgeConfig {
  signal::SessionConfig daemon;  // where and how each session signs in
  std::string stun_server;       // webrtcbin's stun-server; "" for none
  // The browser's next step must come within this: its join, call or
  // answer once the WebSocket is open (and again after a refusal), its
  // WebRTC connection up once joined or in the call (and back after it
  // dropped). A session that has ended also closes after it. Signing in,
  // placing or awaiting a call have timeouts of their own.
  std::chrono::milliseconds setup_timeout{15000};
};

// Raw audio from an appsink's streaming thread into an appsrc of another
// pipeline, which stamps it on arrival; dropped while there is no target.
class AudioHandoff {
 public:
  AudioHandoff() = default;
  ~AudioHandoff();
  AudioHandoff(const AudioHandoff &) = delete;
  AudioHandoff &operator=(const AudioHandoff &) = delete;
  // The appsrc named `appsrc` in `bin`; null stops the delivery.
  void set_target(GstElement *bin, const char *appsrc);
  void deliver(GstBuffer *buffer);

 private:
  std::mutex lock_;
  GstElement *target_ = nullptr;
};

class BrowserSession : public std::enable_shared_from_this<BrowserSession> {
 public:
  // `send` takes a JSON text for the browser; `refuse` an error (its code
  // and text) that the bridge counts and sends; `close` does the same and
  // closes the WebSocket with that text as its reason.
  struct Output {
    std::function<void(const std::string &json)> send;
    std::function<void(const std::string &code, const std::string &message)> refuse;
    std::function<void(const std::string &code, const std::string &message)> close;
  };
  BrowserSession(uint64_t id, const BridgeConfig &config, Output output);
  ~BrowserSession();
  BrowserSession(const BrowserSession &) = delete;
  BrowserSession &operator=(const BrowserSession &) = delete;

  void handle(const BrowserMessage &message);

 private:
  // What runs on the sign-in thread once signed in (a call placed or
  // awaited), and what then runs on the main loop.
  using AfterSignIn = std::function<std::function<void(BrowserSession &)>(
      signal::Session &, const crypto::Identity &, const std::atomic<bool> &interrupted)>;
  void sign_in(const SignIn &as, AfterSignIn after);
  void join(const Join &join);
  void enter(const Join &join, const crypto::RoomAccess &access, bool open);
  void call(const Call &call);
  void answer(const Answer &answer);
  void in_call(std::optional<client::EstablishedCall> &established, bool caller,
               const std::string &error);
  void hang_up(const std::string &why);
  void offer(const Offer &offer);
  void candidate(const Candidate &candidate);
  void send_status();
  // The browser has config_.setup_timeout for its next step; `missing`
  // says what it is when the time runs out (closed as "timeout"). A session
  // that has ended lingers as long (closed as "idle"). settled() stops the
  // clock.
  void expect(const std::string &missing);
  void linger(const std::string &ended);
  void arm(const char *code, const std::string &why);
  void settled();
  static gboolean on_deadline(gpointer data);
  static void on_connection_state(GstElement *webrtc, GParamSpec *, gpointer data);
  // Runs `fn` on the main loop if this session still exists then.
  void on_main(std::function<void(BrowserSession &)> fn);
  static void on_ice_candidate(GstElement *, guint mline, gchar *candidate, gpointer data);
  static void on_pad_added(GstElement *, GstPad *pad, gpointer data);
  static void on_remote_set(GstPromise *promise, gpointer data);
  static void on_answer_created(GstPromise *promise, gpointer data);
  static gboolean on_bus(GstBus *, GstMessage *message, gpointer data);

  uint64_t id_;
  BridgeConfig config_;
  Output output_;
  std::shared_ptr<AudioHandoff> up_, down_;  // browser -> room, room -> browser
  // Shared with the thread that signs in, which may outlive the session.
  std::shared_ptr<const crypto::Identity> identity_;
  std::shared_ptr<signal::Session> session_;
  bool signing_in_ = false;  // or placing or awaiting a call
  // Set when the session goes or the browser leaves: a call being placed
  // or awaited on the sign-in thread is given up.
  std::shared_ptr<std::atomic<bool>> interrupted_;
  std::unique_ptr<client::RoomMember> member_;
  std::unique_ptr<BrowserCall> call_;
  GstElement *pipeline_ = nullptr;  // the WebRTC side, made by the offer
  GstElement *webrtc_ = nullptr;
  guint bus_watch_ = 0;
  guint deadline_ = 0;  // the GLib timeout of arm(), 0 when settled
  std::string close_code_, close_why_;
  // Weak handle handed to webrtcbin's threads.
  std::shared_ptr<std::weak_ptr<BrowserSession>> self_;
};

}  // namespace wzp::web
