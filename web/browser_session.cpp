#include "web/browser_session.hpp"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API  // webrtc's headers ask for it
#include <gst/webrtc/webrtc.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "client/call_media.hpp"
#include "libwzp/base/hex.hpp"
#include "libwzp/crypto/room_access.hpp"
#include "libwzp/quality/room.hpp"

namespace wzp::web {
namespace {

using json = nlohmann::json;
using Weak = std::weak_ptr<BrowserSession>;

// What webrtcbin's threads hand the main loop.
struct Job {
  Weak session;
  std::function<void(BrowserSession &)> fn;
};

gboolean run_job(gpointer data) {
  auto *job = static_cast<Job *>(data);
  if (auto session = job->session.lock()) job->fn(*session);
  return G_SOURCE_REMOVE;
}

void post(const Weak &session, std::function<void(BrowserSession &)> fn) {
  g_main_context_invoke_full(nullptr, G_PRIORITY_DEFAULT, run_job, new Job{session, std::move(fn)},
                             [](gpointer data) { delete static_cast<Job *>(data); });
}

Weak &weak_of(gpointer data) { return *static_cast<Weak *>(data); }

using Handoff = std::shared_ptr<AudioHandoff>;

GstFlowReturn on_sample(GstAppSink *sink, gpointer data) {
  GstSample *sample = gst_app_sink_pull_sample(sink);
  if (sample == nullptr) return GST_FLOW_EOS;
  (*static_cast<Handoff *>(data))->deliver(gst_sample_get_buffer(sample));
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

// The handoff takes what `appsink` (a named element of `bin`) gets.
void attach(const Handoff &handoff, GstElement *bin, const char *appsink) {
  GstElement *sink = gst_bin_get_by_name(GST_BIN(bin), appsink);
  GstAppSinkCallbacks callbacks{};
  callbacks.new_sample = on_sample;
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, new Handoff(handoff),
                             [](gpointer d) { delete static_cast<Handoff *>(d); });
  gst_object_unref(sink);
}
void delete_weak(gpointer data) { delete static_cast<Weak *>(data); }

#define WZP_WEB_RAW "audio/x-raw,format=S16LE,rate=48000,channels=1,layout=interleaved"
// Where a handoff delivers: live, stamped on arrival, at most 200 ms queued
// (the oldest goes first).
#define WZP_WEB_APPSRC                                                                       \
  "appsrc is-live=true format=time do-timestamp=true max-bytes=19200 leaky-type=downstream " \
  "caps=\"" WZP_WEB_RAW "\""
// The browser's audio, decoded, out to the room member's sender.
constexpr const char *kUplink =
    "rtpopusdepay ! opusdec plc=true ! audioconvert ! audioresample ! "
    "capsfilter caps=\"" WZP_WEB_RAW "\" ! appsink name=up sync=false";
constexpr const char *kUpKey = "wzp-web-up";

}  // namespace

AudioHandoff::~AudioHandoff() { set_target(nullptr, nullptr); }

void AudioHandoff::set_target(GstElement *bin, const char *appsrc) {
  GstElement *target = bin != nullptr ? gst_bin_get_by_name(GST_BIN(bin), appsrc) : nullptr;
  std::lock_guard guard(lock_);
  if (target_ != nullptr) gst_object_unref(target_);
  target_ = target;
}

void AudioHandoff::deliver(GstBuffer *buffer) {
  std::lock_guard guard(lock_);
  if (target_ == nullptr) return;  // nobody listens yet, or any more
  // The receiving pipeline stamps it with its own running time.
  GstBuffer *copy = gst_buffer_copy(buffer);
  GST_BUFFER_PTS(copy) = GST_BUFFER_DTS(copy) = GST_CLOCK_TIME_NONE;
  gst_app_src_push_buffer(GST_APP_SRC(target_), copy);
}

BrowserSession::BrowserSession(uint64_t id, const BridgeConfig &config, Output output)
    : id_(id),
      config_(config),
      output_(std::move(output)),
      up_(std::make_shared<AudioHandoff>()),
      down_(std::make_shared<AudioHandoff>()),
      interrupted_(std::make_shared<std::atomic<bool>>(false)) {
  expect("no join, call or answer");
}

BrowserSession::~BrowserSession() {
  settled();
  interrupted_->store(true);  // a call being placed or awaited is given up
  up_->set_target(nullptr, nullptr);
  down_->set_target(nullptr, nullptr);
  if (pipeline_ != nullptr) {
    if (bus_watch_ != 0) g_source_remove(bus_watch_);
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(webrtc_);
    gst_object_unref(pipeline_);
  }
  member_.reset();
  call_.reset();  // hangs up
  // While the sign-in thread still uses it, it closes the session as it ends.
  if (session_ && !signing_in_) session_->close();
}

void BrowserSession::on_main(std::function<void(BrowserSession &)> fn) {
  post(weak_from_this(), std::move(fn));
}

namespace {
std::string seconds(std::chrono::milliseconds t) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", static_cast<double>(t.count()) / 1000.0);
  return text;
}
}  // namespace

void BrowserSession::expect(const std::string &missing) {
  arm("timeout", missing + " within " + seconds(config_.setup_timeout));
}

void BrowserSession::linger(const std::string &ended) {
  arm("idle", ended + " " + seconds(config_.setup_timeout) + " ago");
}

void BrowserSession::arm(const char *code, const std::string &why) {
  settled();
  close_code_ = code;
  close_why_ = why;
  deadline_ = g_timeout_add(static_cast<guint>(config_.setup_timeout.count()), on_deadline, this);
}

void BrowserSession::settled() {
  if (deadline_ != 0) g_source_remove(deadline_);
  deadline_ = 0;
}

gboolean BrowserSession::on_deadline(gpointer data) {
  auto *self = static_cast<BrowserSession *>(data);
  self->deadline_ = 0;
  // Closing may end the session before this returns.
  auto keep = self->shared_from_this();
  self->output_.close(self->close_code_, self->close_why_);
  return G_SOURCE_REMOVE;
}

void BrowserSession::handle(const BrowserMessage &message) {
  if (auto *j = std::get_if<Join>(&message)) {
    join(*j);
  } else if (auto *o = std::get_if<Offer>(&message)) {
    offer(*o);
  } else if (auto *c = std::get_if<Candidate>(&message)) {
    candidate(*c);
  } else if (auto *placed = std::get_if<Call>(&message)) {
    call(*placed);
  } else if (auto *a = std::get_if<Answer>(&message)) {
    answer(*a);
  } else {
    if (signing_in_) interrupted_->store(true);
    if (call_) hang_up("you hung up");
    if (member_ && !member_->ending()) member_->leave("the browser left");
  }
}

// As the browser asked: its own identity or a fresh one, and its alias
// claimed. Signing in takes the daemon's round trips (up to its login
// timeout), placing or awaiting a call longer: on a thread of its own, so
// the bridge's other sessions go on meanwhile.
void BrowserSession::sign_in(const SignIn &as, AfterSignIn after) {
  if (session_ || signing_in_) {
    return output_.refuse("already_joined", "this session is signed in already");
  }
  const bool fresh = !as.seed;
  identity_ = std::make_shared<const crypto::Identity>(
      fresh ? crypto::Identity::generate() : crypto::Identity::from_seed(*as.seed));
  signing_in_ = true;
  settled();  // signing in has its own timeouts
  signal::SessionConfig with_token = config_.daemon;
  with_token.token = as.token;  // the daemon's --auth-url judges it
  std::thread([weak = weak_from_this(), identity = identity_, daemon = std::move(with_token),
               alias = as.alias, fresh, interrupted = interrupted_, after = std::move(after)] {
    std::string error;
    signal::Error refusal;
    std::shared_ptr<signal::Session> session =
        signal::Session::connect(daemon, *identity, error, &refusal);
    if (session && alias) {
      uint64_t id = session->next_request_id();
      session->send(signal::AliasClaim{*alias}, id);
      auto reply = session->wait_reply(id, std::chrono::seconds(10));
      if (!reply || !std::holds_alternative<signal::Ok>(reply->message)) {
        auto *e = reply ? std::get_if<signal::Error>(&reply->message) : nullptr;
        error = "cannot claim alias '" + *alias +
                "': " + (e ? e->code + " " + e->message : "no answer");
        session->close();
        session.reset();
      }
    }
    post(weak, [session, error, code = refusal.code, alias, fresh](BrowserSession &self) {
      if (!session) {
        self.signing_in_ = false;
        self.expect("no join, call or answer after a refused one");
        // The browser is told apart a missing or refused token, so its page
        // can ask its user for one.
        bool token = code == "token_required" || code == "token_refused";
        return self.output_.refuse(token ? code : "join_failed", "wzp-signald: " + error);
      }
      self.session_ = session;
      json signed_in{{"type", "signed_in"},
                     {"fingerprint", session->welcome().fingerprint},
                     {"alias", alias ? json(*alias) : json(nullptr)}};
      // The page keeps it (docs/web.md, "Trust").
      if (fresh) signed_in["identity"] = base::to_hex(self.identity_->seed());
      self.output_.send(signed_in.dump());
    });
    if (!session) return;
    auto then = after(*session, *identity, *interrupted);
    post(weak, [then](BrowserSession &self) {
      self.signing_in_ = false;
      then(self);
    });
    // Should the browser have gone meanwhile, `session` closes here.
  }).detach();
}

void BrowserSession::join(const Join &join) {
  crypto::RoomAccess access = crypto::open_room_access(join.room);
  bool open = true;
  if (join.invite) {
    std::string error;
    auto invite = crypto::parse_room_invite(*join.invite, &error);
    if (!invite || invite->name != join.room) {
      return output_.refuse("bad_invite", invite ? "the invite is for another room" : error);
    }
    access = crypto::room_access(*invite);
    open = false;
  }
  sign_in(join.as, [join, access, open](signal::Session &, const crypto::Identity &,
                                        const std::atomic<bool> &) {
    return [join, access, open](BrowserSession &self) { self.enter(join, access, open); };
  });
}

void BrowserSession::call(const Call &call) {
  std::string callee = call.callee;
  sign_in(call.as, [callee](signal::Session &session, const crypto::Identity &identity,
                            const std::atomic<bool> &interrupted) {
    std::string error;
    // One copy of the call's keys, wiped once the media has them. The
    // bridge's media keeps to the relay: no port mapping is asked for.
    auto established = std::make_shared<std::optional<client::EstablishedCall>>(
        client::place_call(session, identity, callee, std::nullopt, false, interrupted, error));
    return [established, error](BrowserSession &self) { self.in_call(*established, true, error); };
  });
}

// Answers the first call that comes: the page asked for calls by opening
// /answer/ALIAS.
void BrowserSession::answer(const Answer &answer) {
  sign_in(answer.as, [](signal::Session &session, const crypto::Identity &identity,
                        const std::atomic<bool> &interrupted) {
    std::string error;
    auto established = std::make_shared<std::optional<client::EstablishedCall>>(client::answer_call(
        session, identity, [](const std::string &) { return true; }, std::nullopt, false,
        interrupted, error));
    return [established, error](BrowserSession &self) { self.in_call(*established, false, error); };
  });
}

void BrowserSession::in_call(std::optional<client::EstablishedCall> &established, bool caller,
                             const std::string &error) {
  if (!established) {
    linger("the call failed");
    return output_.refuse("call_failed", error);
  }
  std::string why;
  BrowserCall::Handlers handlers;
  Weak weak = weak_from_this();
  handlers.tick = [this] { send_status(); };
  handlers.ended = [weak](const std::string &reason) {
    if (auto self = weak.lock()) self->hang_up(reason);
  };
  call_ = BrowserCall::start(*session_, *established, caller, WZP_WEB_APPSRC " name=browser",
                             "appsink name=browser sync=false", handlers, why);
  if (!call_) {
    linger("the call failed");
    return output_.refuse("call_failed", why);
  }
  expect("no WebRTC connection");
  up_->set_target(call_->sender(), "browser");
  attach(down_, call_->receiver(), "browser");
  output_.send(json{{"type", "in_call"}, {"peer", call_->peer()}, {"caller", caller}}.dump());
}

// The call is over (`why`): the browser hears it; the media stops.
void BrowserSession::hang_up(const std::string &why) {
  up_->set_target(nullptr, nullptr);
  call_.reset();
  linger("the call ended");
  output_.send(json{{"type", "left"}, {"reason", why}}.dump());
}

// Signed in: into the room.
void BrowserSession::enter(const Join &join, const crypto::RoomAccess &access, bool open) {
  std::string error;
  client::RoomMemberConfig room;
  room.name = join.room;
  room.access = access;
  room.input_source = WZP_WEB_APPSRC " name=browser";
  room.audio_sink = "appsink name=browser sync=false";
  room.tier = quality::room_controller_config().initial;
  client::RoomMember::Handlers handlers;
  Weak weak = weak_from_this();
  handlers.event = [this](const std::string &text) {
    output_.send(json{{"type", "event"}, {"text", text}}.dump());
  };
  handlers.tick = [this] { send_status(); };
  handlers.ended = [weak] {
    // Out of the member's own callback before it goes.
    post(weak, [](BrowserSession &self) {
      std::string why =
          self.member_->error().empty() ? self.member_->left_because() : self.member_->error();
      self.output_.send(json{{"type", "left"}, {"reason", why}}.dump());
      self.member_.reset();
      self.linger("the session left its room");
    });
  };
  member_ = client::RoomMember::join(*session_, *identity_, room, handlers, error);
  if (!member_) {
    session_->close();
    session_.reset();
    expect("no join, call or answer after a refused one");
    return output_.refuse("join_failed", error);
  }
  expect("no WebRTC connection");
  up_->set_target(member_->sender(), "browser");
  attach(down_, member_->receiver(), "browser");
  output_.send(json{{"type", "joined"},
                    {"room", join.room},
                    {"open", open},
                    {"fingerprint", session_->welcome().fingerprint},
                    {"sender_id", member_->sender_id()}}
                   .dump());
}

void BrowserSession::offer(const Offer &offer) {
  if (!member_ && !call_)
    return output_.refuse("not_joined", "join a room or a call before the offer");
  if (pipeline_ != nullptr) return output_.refuse("bad_sdp", "one offer per session");
  std::string error;
  auto pt = opus_payload_type(offer.sdp, error);
  GstSDPMessage *sdp = nullptr;
  if (pt && (gst_sdp_message_new_from_text(offer.sdp.c_str(), &sdp) != GST_SDP_OK ||
             gst_sdp_message_medias_len(sdp) == 0)) {
    error = "GStreamer cannot read the SDP";
    pt.reset();
  }
  if (!pt) {
    if (sdp != nullptr) gst_sdp_message_free(sdp);
    return output_.refuse("bad_sdp", error);
  }
  std::string p = std::to_string(*pt);
  std::string description =
      "webrtcbin name=rtc bundle-policy=max-bundle latency=100 " WZP_WEB_APPSRC
      " name=room ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1"
      " ! opusenc bitrate=32000 ! rtpopuspay pt=" +
      p + " ! application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=" + p +
      " ! rtc.";
  GError *gerror = nullptr;
  pipeline_ =
      gst_parse_launch_full(description.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &gerror);
  if (pipeline_ == nullptr) {
    gst_sdp_message_free(sdp);
    std::string why = gerror != nullptr ? gerror->message : "unknown";
    g_clear_error(&gerror);
    return output_.refuse("webrtc_failed", "cannot build the WebRTC pipeline: " + why);
  }
  webrtc_ = gst_bin_get_by_name(GST_BIN(pipeline_), "rtc");
  down_->set_target(pipeline_, "room");
  g_object_set_data_full(G_OBJECT(webrtc_), kUpKey, new Handoff(up_),
                         [](gpointer d) { delete static_cast<Handoff *>(d); });
  if (!config_.stun_server.empty()) {
    g_object_set(webrtc_, "stun-server", config_.stun_server.c_str(), nullptr);
  }
  g_signal_connect_data(
      webrtc_, "on-ice-candidate", G_CALLBACK(on_ice_candidate), new Weak(weak_from_this()),
      [](gpointer d, GClosure *) { delete_weak(d); }, GConnectFlags(0));
  g_signal_connect_data(
      webrtc_, "pad-added", G_CALLBACK(on_pad_added), new Weak(weak_from_this()),
      [](gpointer d, GClosure *) { delete_weak(d); }, GConnectFlags(0));
  g_signal_connect_data(
      webrtc_, "notify::connection-state", G_CALLBACK(on_connection_state),
      new Weak(weak_from_this()), [](gpointer d, GClosure *) { delete_weak(d); }, GConnectFlags(0));
  GstBus *bus = gst_element_get_bus(pipeline_);
  bus_watch_ = gst_bus_add_watch(bus, on_bus, this);
  gst_object_unref(bus);
  if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    gst_sdp_message_free(sdp);
    return output_.refuse("webrtc_failed", "the WebRTC pipeline did not start");
  }
  GstWebRTCSessionDescription *remote =
      gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_OFFER, sdp);
  GstPromise *promise =
      gst_promise_new_with_change_func(on_remote_set, new Weak(weak_from_this()), delete_weak);
  g_signal_emit_by_name(webrtc_, "set-remote-description", remote, promise);
  gst_webrtc_session_description_free(remote);
}

void BrowserSession::candidate(const Candidate &candidate) {
  if (webrtc_ == nullptr) return output_.refuse("not_ready", "ICE candidate before the offer");
  if (candidate.candidate.empty()) return;  // the browser has gathered all
  g_signal_emit_by_name(webrtc_, "add-ice-candidate", candidate.mline, candidate.candidate.c_str());
}

void BrowserSession::on_remote_set(GstPromise *promise, gpointer data) {
  const GstStructure *reply = gst_promise_get_reply(promise);
  GError *gerror = nullptr;
  if (reply != nullptr && gst_structure_get(reply, "error", G_TYPE_ERROR, &gerror, nullptr)) {
    std::string why = gerror->message;
    g_clear_error(&gerror);
    gst_promise_unref(promise);
    post(weak_of(data), [why](BrowserSession &self) { self.output_.refuse("bad_sdp", why); });
    return;
  }
  gst_promise_unref(promise);
  post(weak_of(data), [](BrowserSession &self) {
    GstPromise *answer = gst_promise_new_with_change_func(
        on_answer_created, new Weak(self.weak_from_this()), delete_weak);
    g_signal_emit_by_name(self.webrtc_, "create-answer", nullptr, answer);
  });
}

void BrowserSession::on_answer_created(GstPromise *promise, gpointer data) {
  const GstStructure *reply = gst_promise_get_reply(promise);
  GstWebRTCSessionDescription *answer = nullptr;
  if (reply != nullptr) {
    gst_structure_get(reply, "answer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, nullptr);
  }
  gst_promise_unref(promise);
  if (answer == nullptr) {
    post(weak_of(data), [](BrowserSession &self) {
      self.output_.refuse("bad_sdp", "webrtcbin made no answer to the offer (no Opus audio?)");
    });
    return;
  }
  gchar *text = gst_sdp_message_as_text(answer->sdp);
  std::string sdp = text;
  g_free(text);
  post(weak_of(data), [answer, sdp](BrowserSession &self) {
    g_signal_emit_by_name(self.webrtc_, "set-local-description", answer, nullptr);
    gst_webrtc_session_description_free(answer);
    self.output_.send(json{{"type", "answer"}, {"sdp", sdp}}.dump());
  });
}

// On webrtcbin's thread: ICE and DTLS are up (the deadline stops), or the
// connection went (the browser has the deadline to come back).
void BrowserSession::on_connection_state(GstElement *webrtc, GParamSpec *, gpointer data) {
  GstWebRTCPeerConnectionState state{};
  g_object_get(webrtc, "connection-state", &state, nullptr);
  post(weak_of(data), [state](BrowserSession &self) {
    if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) {
      self.settled();
    } else if (state != GST_WEBRTC_PEER_CONNECTION_STATE_NEW &&
               state != GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTING &&
               (self.member_ || self.call_)) {
      self.expect("no WebRTC connection again");
    }
  });
}

void BrowserSession::on_ice_candidate(GstElement *, guint mline, gchar *candidate, gpointer data) {
  std::string text = candidate;
  post(weak_of(data), [mline, text](BrowserSession &self) {
    self.output_.send(json{{"type", "ice"}, {"candidate", text}, {"sdpMLineIndex", mline}}.dump());
  });
}

// On a streaming thread: the browser's audio arrives; decode it and hand
// it to the room member's sender. Linked here, before the first buffer; the
// handoff rides on the element, so the session is not touched.
void BrowserSession::on_pad_added(GstElement *webrtc, GstPad *pad, gpointer data) {
  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC) return;
  auto *handoff = static_cast<Handoff *>(g_object_get_data(G_OBJECT(webrtc), kUpKey));
  GError *gerror = nullptr;
  GstElement *uplink = gst_parse_bin_from_description(kUplink, TRUE, &gerror);
  std::string error;
  if (uplink == nullptr) {
    error = gerror != nullptr ? gerror->message : "cannot build the uplink";
    g_clear_error(&gerror);
  } else {
    attach(*handoff, uplink, "up");
    GstObject *pipeline = gst_element_get_parent(webrtc);
    gst_bin_add(GST_BIN(pipeline), uplink);
    gst_object_unref(pipeline);
    gst_element_sync_state_with_parent(uplink);
    GstPad *sink = gst_element_get_static_pad(uplink, "sink");
    if (gst_pad_link(pad, sink) != GST_PAD_LINK_OK) error = "cannot link the browser's audio";
    gst_object_unref(sink);
  }
  if (!error.empty()) {
    post(weak_of(data),
         [error](BrowserSession &self) { self.output_.refuse("webrtc_failed", error); });
  }
}

gboolean BrowserSession::on_bus(GstBus *, GstMessage *message, gpointer data) {
  auto *self = static_cast<BrowserSession *>(data);
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    GError *gerror = nullptr;
    gst_message_parse_error(message, &gerror, nullptr);
    self->output_.refuse("webrtc_failed", gerror != nullptr ? gerror->message : "unknown");
    g_clear_error(&gerror);
  } else {
    client::follow_latency(message, {self->pipeline_});  // webrtcbin's jitter buffer moved
  }
  return G_SOURCE_CONTINUE;
}

void BrowserSession::send_status() {
  if (call_) {
    BrowserCall::Status s = call_->status();
    json peer{{"fingerprint", call_->peer()}, {"alias", ""},           {"proven", true},
              {"heard", s.played > 0},        {"played", s.played},    {"concealed", s.concealed},
              {"fec", s.recovered},           {"delay_ms", s.delay_ms}};
    output_.send(json{
        {"type", "status"},
        {"call", true},
        {"tier", s.tier},
        {"sent", s.sent},
        {"members", json::array({peer})},
        {"line",
         s.line}}.dump());
    return;
  }
  if (!member_) return;
  auto status = member_->status();
  json members = json::array();
  auto playout = member_->playout();
  for (const auto &m : member_->members()) {
    json entry{{"fingerprint", m.fingerprint},
               {"alias", m.alias},
               {"proven", m.proven},
               {"heard", m.heard}};
    for (const auto &p : playout) {
      if (m.heard && p.sender_id == m.sender_id) {
        entry["played"] = p.played;
        entry["concealed"] = p.concealed;
        entry["fec"] = p.recovered;
        entry["delay_ms"] = p.delay_ms;
      }
    }
    members.push_back(entry);
  }
  output_.send(json{{"type", "status"},
                    {"tier", status.tier},
                    {"loss", status.reported_loss},
                    {"sent", status.datagrams_sent},
                    {"opened", status.opened},
                    {"no_key", status.no_key},
                    {"members", members},
                    {"line", member_->status_line()}}
                   .dump());
}

}  // namespace wzp::web
