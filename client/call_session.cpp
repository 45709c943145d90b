#include "client/call_session.hpp"

#include <glib-unix.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "client/adaptive.hpp"
#include "client/call_media.hpp"
#include "client/call_report.hpp"
#include "client/direct_media.hpp"
#include "client/echo_analysis.hpp"
#include "libwzp/quality/room.hpp"
#include "libwzp/signal/call_resume.hpp"

namespace wzp::client {
namespace {

// Time for the last frames to cross the network and leave the peer's
// jitter buffer after our input ends, before we hang up.
constexpr guint kDrainMs = 3000;
// How long the receiver gets to finish its file once the call is over.
constexpr guint kFinishMs = 5000;
// A resumed call's hangup: the daemon no longer knows the call, so it goes
// to the other party as a room signal in the meeting room.
constexpr std::string_view kResumedHangup = "hangup";

// "degraded (codec2 1.2 kbit/s, 40 ms)": the tier and what it sends.
std::string tier_label(quality::Tier tier) {
  const quality::TierProfile &p = quality::profile(tier);
  char label[96];
  std::snprintf(label, sizeof label, "%s (%s %.1f kbit/s, %u ms)", std::string(p.name).c_str(),
                p.codec == quality::Codec::kOpus ? "opus" : "codec2", p.bitrate_bps / 1000.0,
                unsigned{p.frame_ms});
  return label;
}

struct Call {
  signal::Session *session = nullptr;
  EstablishedCall *established = nullptr;
  GstElement *sender = nullptr;
  GstElement *receiver = nullptr;
  GMainLoop *loop = nullptr;
  AdaptiveQuality *adaptive = nullptr;
  std::unique_ptr<DirectMedia> direct;  // null when direct paths are off or the call resumed
  GstElement *video_sender = nullptr;   // null without --video
  VideoWatch *video = nullptr;
  VideoLadderLoop *video_ladder = nullptr;  // null without --video
  std::string tier;
  std::string error;
  std::string ended_by;  // why the call ended, for the summary
  bool ending = false;
  bool live_status = false;
  // Through another node when ours or the peer's dies.
  std::shared_ptr<quic::Link> link;
  std::function<signal::Session *(const std::string &why)> redial;
  signal::CallResume resume{false};
  std::string meeting_room;    // signal::call_resume_room
  std::string peer;            // the peer's fingerprint
  bool met = false;            // we joined the meeting room
  std::string direct_summary;  // of the direct path the call had before it resumed
};

// A resumed call stays on the relay: a direct path rode the old
// connection's socket (ours, or the peer's), so both drop theirs.
void drop_direct(Call *call) {
  if (!call->direct) return;
  call->direct_summary = call->direct->summary();
  call->direct.reset();
}

// Ends our side: the receiver gets EOS (its WAV is finalized) and the loop
// stops when it comes out, or after kFinishMs in any case.
void finish(Call *call, const std::string &why) {
  if (call->ending) return;
  call->ending = true;
  call->ended_by = why;
  gst_element_send_event(call->receiver, gst_event_new_eos());
  g_timeout_add(
      kFinishMs,
      [](gpointer d) -> gboolean {
        g_main_loop_quit(static_cast<Call *>(d)->loop);
        return G_SOURCE_REMOVE;
      },
      call);
}

void hang_up(Call *call, const std::string &why) {
  if (call->ending) return;
  call->session->send(signal::CallHangup{call->established->call_id, "normal"});
  if (call->met) {
    call->session->send(signal::RoomSignal{
        call->meeting_room, "", call->peer, {kResumedHangup.begin(), kResumedHangup.end()}});
  }
  finish(call, why);
}

// Our node, or the peer's, was lost: into the meeting room, where the
// peer comes too.
void meet(Call *call, const std::string &why) {
  drop_direct(call);
  std::fprintf(stderr, "%s: resuming the call through the cluster\n", why.c_str());
  uint64_t id = call->session->next_request_id();
  call->session->send(signal::RoomJoin{call->meeting_room, {}, {}}, id);
  auto reply = call->session->wait_reply(id, std::chrono::seconds(5));
  if (reply && std::holds_alternative<signal::Ok>(reply->message)) {
    call->met = true;
    // A room starts its senders' budget at its first tier and says so only
    // when that changes.
    call->adaptive->impose(quality::room_controller_config().initial);
    return;
  }
  auto *refusal = reply ? std::get_if<signal::Error>(&reply->message) : nullptr;
  call->error = "cannot resume the call: " +
                (refusal ? refusal->code + " " + refusal->message : std::string("no answer"));
  finish(call, "the call could not resume");
}

// The connection to the daemon ended: sign in to another node, or end.
void on_connection_lost(Call *call) {
  const std::string why = call->session->end_reason();
  const auto now = std::chrono::steady_clock::now();
  if (call->resume.on_connection_lost(now) == signal::CallResume::Action::kRedial) {
    drop_direct(call);  // before its session goes
    call->session->set_datagram_handler(nullptr);
    signal::Session *next = call->redial(why);
    if (call->resume.on_redialed(next != nullptr, std::chrono::steady_clock::now()) ==
        signal::CallResume::Action::kMeet) {
      call->session = next;
      next->rebind_media_link(*call->link);
      auto link = call->link;
      next->set_datagram_handler([link](std::span<const uint8_t> d) { link->deliver(d); });
      meet(call, "lost our node");
      return;
    }
  }
  call->link->closed(why);
  call->error = "lost the connection to the daemon: " + why;
  finish(call, "the connection to the daemon was lost");
}

gboolean on_bus(GstBus *, GstMessage *message, gpointer data) {
  auto *call = static_cast<Call *>(data);
  if (call->adaptive->on_bus_message(message)) return G_SOURCE_CONTINUE;
  if (follow_latency(message, {call->sender, call->receiver})) return G_SOURCE_CONTINUE;
  bool from_sender = GST_MESSAGE_SRC(message) == GST_OBJECT(call->sender);
  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ERROR: {
      call->error = describe_error(message, call->sender);
      if (!call->ending)
        call->session->send(signal::CallHangup{call->established->call_id, "error"});
      g_main_loop_quit(call->loop);
      break;
    }
    case GST_MESSAGE_EOS:
      if (from_sender) {
        g_timeout_add(
            kDrainMs,
            [](gpointer d) -> gboolean {
              hang_up(static_cast<Call *>(d), "our input ended");
              return G_SOURCE_REMOVE;
            },
            call);
      } else {
        g_main_loop_quit(call->loop);
      }
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

// Our video's pipeline: its error ends the call; its end (a file's) leaves
// the audio going, the picture stopped.
gboolean on_video_bus(GstBus *, GstMessage *message, gpointer data) {
  auto *call = static_cast<Call *>(data);
  if (follow_latency(message, {call->video_sender})) return G_SOURCE_CONTINUE;
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    call->error = "video " + describe_error(message, call->video_sender);
    if (!call->ending) call->session->send(signal::CallHangup{call->established->call_id, "error"});
    g_main_loop_quit(call->loop);
  }
  return G_SOURCE_CONTINUE;
}

// Signal messages during the call: the peer's hangup ends it.
gboolean on_signal_poll(gpointer data) {
  auto *call = static_cast<Call *>(data);
  while (auto received = call->session->next(std::chrono::milliseconds(0))) {
    const auto now = std::chrono::steady_clock::now();
    auto *hangup = std::get_if<signal::CallHangup>(&received->message);
    if (hangup != nullptr && hangup->call_id == call->established->call_id) {
      if (call->resume.on_hangup(hangup->reason, now) == signal::CallResume::Action::kMeet) {
        meet(call, describe_hangup(hangup->reason));
      } else {
        finish(call, describe_hangup(hangup->reason));
      }
    }
    auto *event = std::get_if<signal::RoomEvent>(&received->message);
    if (event != nullptr && call->met && event->room == call->meeting_room &&
        event->fingerprint == call->peer) {
      if (event->joined && call->resume.waiting()) {
        call->resume.on_peer_joined(now);
        std::fprintf(stderr, "call resumed %.1f s after the loss\n",
                     std::chrono::duration<double>(call->resume.last_resume()).count());
      } else if (!event->joined) {
        call->resume.on_peer_left(now);
      }
    }
    // The meeting room is a room like any: it polices each sender at its
    // tier, from the start again, so the call follows it there.
    auto *directive = std::get_if<signal::QualityDirective>(&received->message);
    if (directive != nullptr && call->met && directive->room == call->meeting_room) {
      call->adaptive->impose(directive->tier);
    }
    auto *room_signal = std::get_if<signal::RoomSignal>(&received->message);
    if (room_signal != nullptr && call->met && room_signal->room == call->meeting_room &&
        room_signal->from == call->peer &&
        std::string_view(reinterpret_cast<const char *>(room_signal->payload.data()),
                         room_signal->payload.size()) == kResumedHangup) {
      finish(call, describe_hangup("normal"));
    }
    auto *path = std::get_if<signal::CallPath>(&received->message);
    if (path != nullptr && call->direct != nullptr) call->direct->on_path(*path);
    auto *late = std::get_if<signal::CallCandidates>(&received->message);
    if (late != nullptr && call->direct != nullptr) call->direct->on_candidates(*late);
  }
  // The gateway's mapping, when it came after the offer or answer.
  if (auto fresh = take_port_mappings(*call->established); !fresh.empty() && call->direct) {
    call->session->send(signal::CallCandidates{call->established->call_id, std::move(fresh)});
  }
  renew_port_mappings(*call->established, std::chrono::steady_clock::now());
  if (call->session->ended() && !call->ending) on_connection_lost(call);
  if (!call->ending &&
      call->resume.tick(std::chrono::steady_clock::now()) == signal::CallResume::Action::kEnd) {
    finish(call, "the other side did not come back");
  }
  return G_SOURCE_CONTINUE;
}

gboolean on_tick(gpointer data) {
  auto *call = static_cast<Call *>(data);
  if (!call->adaptive->tick()) return G_SOURCE_CONTINUE;
  if (call->video_ladder != nullptr) call->video_ladder->tick(AdaptiveQuality::clock_now());
  call->tier = std::string(quality::to_string(call->adaptive->tier()));
  std::string line = status_line(call->sender, call->receiver, tier_label(call->adaptive->tier()),
                                 call->session->over_tls() ? "daemon (tls fallback)" : "daemon",
                                 call->adaptive->peer_report());
  line += " | path " + (call->direct ? call->direct->path() : std::string("relay"));
  line += call->video->status();
  std::fprintf(stderr, call->live_status ? "\r\033[K%s" : "%s\n", line.c_str());
  return G_SOURCE_CONTINUE;
}

gboolean on_interrupt(gpointer data) {
  auto *call = static_cast<Call *>(data);
  if (call->ending) {  // a second Ctrl-C: stop waiting
    g_main_loop_quit(call->loop);
    return G_SOURCE_CONTINUE;
  }
  std::fprintf(stderr, "\nhanging up\n");
  hang_up(call, "we hung up");
  return G_SOURCE_CONTINUE;
}

// When the first buffer passed a pad, on the monotonic clock (µs).
struct FirstBuffer {
  std::atomic<gint64> at{0};
  void attach(GstElement *pipeline, const char *element, const char *pad_name) {
    GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), element);
    if (e == nullptr) return;
    GstPad *pad = gst_element_get_static_pad(e, pad_name);
    gst_pad_add_probe(
        pad, GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad *, GstPadProbeInfo *, gpointer self) {
          gint64 none = 0;
          static_cast<FirstBuffer *>(self)->at.compare_exchange_strong(none,
                                                                       g_get_monotonic_time());
          return GST_PAD_PROBE_REMOVE;
        },
        this, nullptr);
    gst_object_unref(pad);
    gst_object_unref(e);
  }
};

// The echo's delay: when the received file starts after the sent one, plus
// how far its envelope runs behind (up to 5 s).
void report_echo(const CallMediaOptions &options, const FirstBuffer &sent,
                 const FirstBuffer &received) {
  std::string error;
  auto a = audio_envelope(options.input_wav, error);
  auto b = a ? audio_envelope(options.output_wav, error) : std::nullopt;
  if (!a || !b || sent.at == 0 || received.at == 0) {
    std::printf("  echo                  nothing came back%s\n",
                error.empty() ? "" : (" (" + error + ")").c_str());
    return;
  }
  constexpr size_t kMaxLag = 5000 / kEnvelopeWindowMs, kMinOverlap = 1000 / kEnvelopeWindowMs;
  EchoMatch match = match_echo(*a, *b, kMaxLag, kMinOverlap);
  double start_ms = static_cast<double>(received.at - sent.at) / 1000.0;
  std::printf("  echo round trip       %.0f ms (our input to its echo playing here)\n",
              start_ms + static_cast<double>(match.lag * kEnvelopeWindowMs));
  std::printf("  echo similarity       %.2f (loudness envelopes, 1 = identical)\n",
              match.similarity);
}

void release(GstElement *pipeline) {
  if (pipeline == nullptr) return;
  gst_element_set_state(pipeline, GST_STATE_NULL);
  GstBus *bus = gst_element_get_bus(pipeline);
  gst_bus_remove_watch(bus);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
}

}  // namespace

int run_call_media(signal::Session &session, EstablishedCall &established,
                   const CallMediaOptions &options) {
  // Media rides the signaling connection: its datagrams are the call's.
  auto link = session.media_link();
  session.set_datagram_handler([link](std::span<const uint8_t> d) { link->deliver(d); });
  // With a redial to come, the end of the connection is not the media's.
  if (!options.redial) {
    session.set_close_handler([link](const std::string &why) { link->closed(why); });
    if (session.ended()) link->closed(session.end_reason());
  }

  const quality::TierProfile &tier = quality::profile(options.tier);
  std::string error;
  ReceiverConfig rx;
  rx.output_wav = options.output_wav;
  rx.link = link;
  if (options.echo) rx.echo_channel = "wzpecho" + established.call_id;
  rx.video = options.video;
  GstElement *receiver = build_receiver(rx, crypto::make_call_session(established.keys), error);
  SenderConfig tx;
  tx.input_wav = options.input_wav;
  tx.tone_seconds = options.tone_seconds;
  tx.echo_channel = rx.echo_channel;
  tx.link = link;
  tx.tier = &tier;
  tx.stream_id = options.stream_id;
  tx.padding = options.padding;
  GstElement *sender = receiver == nullptr
                           ? nullptr
                           : build_sender(tx, crypto::make_call_session(established.keys), error);
  const std::string meeting_room = signal::call_resume_room(established.keys);
  const std::string peer = crypto::format_fingerprint(established.keys.peer);
  GstElement *video_sender =
      sender == nullptr || !options.video.enabled
          ? nullptr
          : build_video_sender(options.video, link, crypto::make_call_session(established.keys),
                               options.stream_id + kVideoStreamOffset, options.padding, error);
  established.keys.wipe();
  if (sender == nullptr || (options.video.enabled && video_sender == nullptr)) {
    release(sender);
    release(receiver);
    session.send(signal::CallHangup{established.call_id, "error"});
    std::fprintf(stderr, "wzp: media: %s\n", error.c_str());
    return 1;
  }

  Call call{&session, &established, sender, receiver, g_main_loop_new(nullptr, FALSE)};
  call.link = link;
  call.redial = options.redial;
  call.resume = signal::CallResume(static_cast<bool>(options.redial));
  call.meeting_room = meeting_room;
  call.peer = peer;
  call.tier = std::string(tier.name);
  call.video_sender = video_sender;
  VideoWatch video;
  video.attach(receiver);
  call.video = &video;
  if (video_sender != nullptr) {
    GstBus *bus = gst_element_get_bus(video_sender);
    gst_bus_add_watch(bus, on_video_bus, &call);
    gst_object_unref(bus);
  }
  call.live_status = isatty(STDERR_FILENO);
  FirstBuffer first_sent, first_received;
  if (options.measure_echo) {
    first_sent.attach(sender, "paced", "src");
    first_received.attach(receiver, "wav", "sink");
  }
  for (GstElement *p : {sender, receiver}) {
    GstBus *bus = gst_element_get_bus(p);
    gst_bus_add_watch(bus, on_bus, &call);
    gst_object_unref(bus);
  }
  quality::ControllerConfig adaptive_config;
  adaptive_config.initial = options.tier;
  // The peer's reports come back on the peer's packets, through our receiver.
  AdaptiveQuality adaptive(sender, receiver, adaptive_config);
  if (options.trace != nullptr) {
    options.trace->watch_arrivals(receiver);
    adaptive.trace_to([trace = options.trace](const std::string &line) { trace->write(line); });
  }
  call.adaptive = &adaptive;
  std::optional<VideoLadderLoop> video_ladder;
  if (video_sender != nullptr) {
    video_ladder.emplace(video_sender, adaptive, AdaptiveQuality::clock_now());
    call.video_ladder = &*video_ladder;
  }
  guint direct_tick = 0;
  // Over the TLS fallback UDP is blocked: no direct path to try.
  if (options.direct && !session.over_tls()) {
    call.direct = std::make_unique<DirectMedia>(session, established, options.caller, link);
    // The direct path's checks, consent and route: 50 ms keeps a switch
    // and a fallback well inside their budgets (docs/nat.md).
    direct_tick = g_timeout_add(
        50,
        [](gpointer d) -> gboolean {
          auto *c = static_cast<Call *>(d);
          if (!c->ending) on_signal_poll(d);
          if (!c->ending && c->direct) c->direct->tick();
          return G_SOURCE_CONTINUE;
        },
        &call);
  }
  guint tick = g_timeout_add(AdaptiveQuality::kTickIntervalMs, on_tick, &call);
  guint sync_tick = g_timeout_add(
      100,
      [](gpointer v) -> gboolean {
        static_cast<VideoWatch *>(v)->sync();
        return G_SOURCE_CONTINUE;
      },
      &video);
  guint poll = g_timeout_add(100, on_signal_poll, &call);
  guint interrupt = g_unix_signal_add(SIGINT, on_interrupt, &call);
  guint terminate = g_unix_signal_add(SIGTERM, on_interrupt, &call);
  std::fprintf(stderr, "in call with %s (Ctrl-C hangs up)\n", established.peer.c_str());
  if (video_sender != nullptr) share_time_origin(sender, video_sender);
  if (gst_element_set_state(receiver, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE ||
      gst_element_set_state(sender, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE ||
      (video_sender != nullptr &&
       gst_element_set_state(video_sender, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)) {
    call.error = "the media pipelines did not start (see GST_DEBUG=wzp*:4)";
    session.send(signal::CallHangup{established.call_id, "error"});
  } else {
    g_main_loop_run(call.loop);
  }
  g_source_remove(tick);
  g_source_remove(sync_tick);
  g_source_remove(poll);
  if (direct_tick != 0) g_source_remove(direct_tick);
  g_source_remove(interrupt);
  g_source_remove(terminate);
  if (call.live_status) std::fprintf(stderr, "\n");
  if (!call.ended_by.empty()) std::fprintf(stderr, "call ended: %s\n", call.ended_by.c_str());

  // After a redial, `session` is gone: call.session is the one in use.
  signal::Session &last = *call.session;
  std::printf(
      "%s\n",
      call_summary(sender, receiver, call.tier, adaptive.peer_report(), last.over_tls()).c_str());
  std::printf("  tier history          %s\n", quality::describe(adaptive.history()).c_str());
  std::printf("%s", describe_candidates(established).c_str());
  std::printf("  daemon transport      %s\n", last.transport());
  if (call.direct) call.direct_summary = call.direct->summary();
  std::printf("%s", !call.direct_summary.empty() ? call.direct_summary.c_str()
                    : last.over_tls() ? "  media path            relay (no UDP: no direct path)\n"
                                      : "  media path            relay (direct paths off)\n");
  if (call.resume.resumes() != 0) {
    std::printf(
        "  resumed               %u times through another node, the last %.1f s after "
        "the loss; on the relay since\n",
        call.resume.resumes(), std::chrono::duration<double>(call.resume.last_resume()).count());
  }
  if (!options.output_wav.empty()) {
    std::printf("  received audio        %s\n", options.output_wav.c_str());
  }
  std::printf("%s", video.summary(video_sender).c_str());
  if (video_ladder) std::printf("  video ladder          %s\n", video_ladder->history().c_str());
  release(video_sender);
  release(sender);
  release(receiver);
  call.direct.reset();
  if (options.measure_echo) report_echo(options, first_sent, first_received);
  std::fflush(stdout);
  last.set_datagram_handler(nullptr);
  last.set_close_handler(nullptr);
  g_main_loop_unref(call.loop);
  if (!call.error.empty()) {
    std::fprintf(stderr, "wzp: %s\n", call.error.c_str());
    return 1;
  }
  return 0;
}

}  // namespace wzp::client
