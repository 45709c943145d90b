#include "client/room_session.hpp"

#include <glib-unix.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

#include "client/call_media.hpp"
#include "client/room_media.hpp"
#include "client/room_quality.hpp"
#include "libwzp/crypto/room_membership.hpp"
#include "libwzp/signal/printable.hpp"
#include "plugins/gstwzp/wzpstats.h"

namespace wzp::client {

namespace stats = wzp::gst::stats;
namespace {

// How long the receiver gets to finish its file once we leave.
constexpr guint kFinishMs = 5000;

uint64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Room {
  signal::Session *session = nullptr;
  std::string name, room_hash;
  crypto::RoomMembership *membership = nullptr;
  RoomReceiver *receiver = nullptr;
  GstElement *sender = nullptr;
  GMainLoop *loop = nullptr;
  std::unique_ptr<RoomQuality> quality;
  std::string tier;
  std::vector<std::string> tier_history;       // with the daemon's reasons
  double reported_loss = 0;                    // in our last report to the relay
  std::map<uint32_t, std::string> heard;       // sender id -> fingerprint, once readable
  std::map<std::string, std::string> aliases;  // fingerprint -> alias, the daemon's word
  // When each member's join reached us (ours, for those already in the
  // room): `hearing` says how long its key took from there.
  std::map<std::string, std::chrono::steady_clock::time_point> joined_at;
  uint64_t signals_sent = 0, signals_refused = 0;
  uint64_t cards_unproven = 0;  // refused: no proof of the room secret
  uint64_t datagrams_sent = 0;  // our sender's count, kept when it stops
  std::string error, left_because;
  bool ending = false;
  bool live_status = false;
  // One-shot timers: each zeroes its id when it fires, so the cleanup only
  // removes those still pending (removing a fired one is a GLib critical).
  guint limit_source = 0;   // --seconds
  guint finish_source = 0;  // kFinishMs after leaving
};

void set_tier(Room *room, quality::Tier tier, const std::string &why) {
  room->quality->direct(tier);
  room->tier = std::string(quality::to_string(tier));
  room->tier_history.push_back(room->tier + (why.empty() ? "" : " (" + why + ")"));
}

void print_event(Room *room, const std::string &text) {
  std::fprintf(stderr, room->live_status ? "\r\033[K%s\n" : "%s\n", text.c_str());
}

// Leaves: the daemon hears it, our voice stops, the mix ends (its WAV is
// finalized) and the loop stops when it comes out, or after kFinishMs.
void leave(Room *room, const std::string &why) {
  if (room->ending) return;
  room->ending = true;
  room->left_because = why;
  room->session->send(signal::RoomLeave{room->room_hash});
  GstStructure *sent = element_stats(room->sender, "net");
  room->datagrams_sent = stats_u64(sent, stats::quic::kDatagramsSent);
  if (sent) gst_structure_free(sent);
  gst_element_set_state(room->sender, GST_STATE_NULL);
  room->receiver->finish();
  room->finish_source = g_timeout_add(
      kFinishMs,
      [](gpointer d) -> gboolean {
        auto *left = static_cast<Room *>(d);
        left->finish_source = 0;
        g_main_loop_quit(left->loop);
        return G_SOURCE_REMOVE;
      },
      room);
}

// A member as we show it: its fingerprint, and the alias the daemon gave it
// if it gave one (the daemon's word, unlike the fingerprint).
std::string member_text(Room *room, const std::string &fingerprint) {
  auto alias = room->aliases.find(fingerprint);
  if (alias == room->aliases.end()) return fingerprint;
  return fingerprint + " (@" + signal::printable(alias->second) + " says the daemon)";
}

void apply(Room *room, const crypto::MembershipStep &step, const std::string &from) {
  for (const auto &out : step.send) {
    std::string to = out.to ? crypto::format_fingerprint(*out.to) : "";
    if (room->session->send(signal::RoomSignal{room->room_hash, "", to, out.payload})) {
      ++room->signals_sent;
    }
  }
  for (const auto &who : step.admitted) {
    print_event(room, "member " + member_text(room, crypto::format_fingerprint(who)) +
                          " proved the room secret");
  }
  for (uint32_t id : step.readable) {
    room->heard[id] = from;
    std::string waited;
    if (auto joined = room->joined_at.find(from); joined != room->joined_at.end()) {
      char text[64];
      std::snprintf(
          text, sizeof text, ", its key %.1f s after its join",
          std::chrono::duration<double>(std::chrono::steady_clock::now() - joined->second).count());
      waited = text;
    }
    print_event(room, "hearing " + from + waited);
  }
  for (uint32_t id : step.gone) room->receiver->remove_participant(id);
  if (step.refused == crypto::RoomError::kNoRoomProof) {
    ++room->signals_refused;
    ++room->cards_unproven;
    print_event(room, "relay announced " + member_text(room, from) +
                          ", who could not prove the room secret: not sent our key");
  } else if (step.refused != crypto::RoomError::kOk) {
    ++room->signals_refused;
    print_event(room, "refused a room message from " + from + ": " + to_string(step.refused));
  }
}

void on_message(Room *room, const signal::Message &message) {
  if (auto *event = std::get_if<signal::RoomEvent>(&message)) {
    if (event->room != room->room_hash) return;
    auto who = crypto::parse_fingerprint(event->fingerprint);
    if (!who) return;
    if (event->joined)
      room->joined_at.try_emplace(event->fingerprint, std::chrono::steady_clock::now());
    apply(room, room->membership->on_event(*who, event->joined, event->public_key, event->card),
          event->fingerprint);
    print_event(room, std::string(event->joined ? "joined: " : "left: ") + event->fingerprint +
                          " (" + std::to_string(event->participants) + " in the room)");
  } else if (auto *signal_message = std::get_if<signal::RoomSignal>(&message)) {
    auto from = crypto::parse_fingerprint(signal_message->from);
    if (signal_message->room != room->room_hash || !from) return;
    apply(room, room->membership->on_signal(*from, signal_message->payload), signal_message->from);
  } else if (auto *list = std::get_if<signal::PresenceList>(&message)) {
    for (const auto &user : list->users) {
      if (user.alias) room->aliases[user.fingerprint] = *user.alias;
    }
  } else if (auto *update = std::get_if<signal::PresenceUpdate>(&message)) {
    if (update->user.alias) room->aliases[update->user.fingerprint] = *update->user.alias;
  } else if (auto *directive = std::get_if<signal::QualityDirective>(&message)) {
    if (directive->room != room->room_hash || room->ending) return;
    set_tier(room, directive->tier, directive->reason);
    print_event(room, "tier " + room->tier + " (" + directive->reason + ")");
  } else if (auto *error = std::get_if<signal::Error>(&message)) {
    print_event(room, "daemon: " + error->code + " " + error->message);
  }
}

gboolean on_signal_poll(gpointer data) {
  auto *room = static_cast<Room *>(data);
  while (auto received = room->session->next(std::chrono::milliseconds(0))) {
    on_message(room, received->message);
  }
  if (room->session->ended() && !room->ending) {
    room->error = "lost the connection to the daemon: " + room->session->end_reason();
    leave(room, "the connection to the daemon was lost");
  }
  return G_SOURCE_CONTINUE;
}

gboolean on_bus(GstBus *, GstMessage *message, gpointer data) {
  auto *room = static_cast<Room *>(data);
  bool from_sender = GST_MESSAGE_SRC(message) == GST_OBJECT(room->sender);
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    GError *gerror = nullptr;
    gchar *detail = nullptr;
    gst_message_parse_error(message, &gerror, &detail);
    room->error = std::string(from_sender ? "sender: " : "receiver: ") + gerror->message +
                  (detail != nullptr ? std::string(" (") + detail + ")" : "");
    g_error_free(gerror);
    g_free(detail);
    if (!room->ending) room->session->send(signal::RoomLeave{room->room_hash});
    g_main_loop_quit(room->loop);
  } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS && !from_sender) {
    g_main_loop_quit(room->loop);  // the mix ended: we left
  }
  return G_SOURCE_CONTINUE;
}

// One member's playout: frames played (of those rebuilt by FEC),
// concealed, and the playout delay; short for the status line.
std::string playout_text(const RoomReceiver::MemberPlayout &p, bool brief) {
  char text[160];
  auto played = static_cast<unsigned long>(p.played);
  auto recovered = static_cast<unsigned long>(p.recovered);
  auto concealed = static_cast<unsigned long>(p.concealed);
  auto delay = static_cast<unsigned long>(p.delay_ms);
  if (brief) {
    std::snprintf(text, sizeof text, "%08x played %lu fec %lu concealed %lu delay %lu ms",
                  p.sender_id, played, recovered, concealed, delay);
  } else {
    std::snprintf(text, sizeof text,
                  "sender id %u: played %lu (FEC %lu), concealed %lu, delay %lu ms", p.sender_id,
                  played, recovered, concealed, delay);
  }
  return text;
}

std::string status_line(Room *room) {
  GstStructure *sent = room->ending ? nullptr : element_stats(room->sender, "net");
  uint64_t datagrams_sent =
      room->ending ? room->datagrams_sent : stats_u64(sent, stats::quic::kDatagramsSent);
  GstStructure *opened = element_stats(room->receiver->pipeline(), "crypt");
  // "Others" are members who proved the room secret; whom else the relay
  // announced is its word only.
  size_t admitted = room->membership->admitted_count();
  size_t unproven = room->membership->member_count() - admitted;
  std::string announced =
      unproven == 0 ? "" : ", " + std::to_string(unproven) + " announced without a valid card";
  char line[400];
  std::snprintf(line, sizeof line,
                "room %s: %zu others%s, hearing %zu, %zu playing | sent %lu | opened %lu (held "
                "for a key %lu), no key %lu, loss %.0f %% | tier %s",
                room->name.c_str(), admitted, announced.c_str(), room->heard.size(),
                static_cast<size_t>(room->receiver->active_branches()),
                static_cast<unsigned long>(datagrams_sent),
                static_cast<unsigned long>(stats_u64(opened, stats::decrypt::kOpened)),
                static_cast<unsigned long>(stats_u64(opened, stats::decrypt::kHeldOpened)),
                static_cast<unsigned long>(stats_u64(opened, stats::decrypt::kUnknownSender) +
                                           stats_u64(opened, stats::decrypt::kHeldExpired) +
                                           stats_u64(opened, stats::decrypt::kHeldEvicted)),
                100 * room->reported_loss, room->tier.c_str());
  if (sent) gst_structure_free(sent);
  if (opened) gst_structure_free(opened);
  std::string out = line;
  for (const auto &p : room->receiver->playout()) out += " | " + playout_text(p, true);
  return out;
}

gboolean on_tick(gpointer data) {
  auto *room = static_cast<Room *>(data);
  if (!room->ending) {
    if (auto report = room->quality->tick()) room->reported_loss = report->loss;
  }
  std::string line = status_line(room);
  std::fprintf(stderr, room->live_status ? "\r\033[K%s" : "%s\n", line.c_str());
  return G_SOURCE_CONTINUE;
}

gboolean on_interrupt(gpointer data) {
  auto *room = static_cast<Room *>(data);
  if (room->ending) {  // asked twice: stop waiting
    g_main_loop_quit(room->loop);
    return G_SOURCE_CONTINUE;
  }
  print_event(room, "leaving");
  leave(room, "we left");
  return G_SOURCE_CONTINUE;
}

void print_summary(Room *room, const RoomOptions &options) {
  std::printf("%s\n", status_line(room).c_str());
  std::printf("  left                  %s\n", room->left_because.c_str());
  std::printf("  members heard         %zu\n", room->heard.size());
  auto playout = room->receiver->playout();
  for (const auto &[id, fingerprint] : room->heard) {
    std::printf("    %s (sender id %u)\n", fingerprint.c_str(), id);
    RoomReceiver::MemberPlayout p;
    p.sender_id = id;
    for (const auto &candidate : playout) {
      if (candidate.sender_id == id) p = candidate;
    }
    std::printf("      %s\n", playout_text(p, false).c_str());
  }
  std::printf(
      "  room signals          %lu sent, %lu refused (%lu cards without proof of the room "
      "secret)\n",
      static_cast<unsigned long>(room->signals_sent),
      static_cast<unsigned long>(room->signals_refused),
      static_cast<unsigned long>(room->cards_unproven));
  if (const auto &connection = room->session->connection()) {
    // What the link did with our media, and how often the relay's window
    // starved its media to us (it asks us to restart it: docs/quic.md).
    const quic::ConnectionStats c = connection->stats();
    std::printf(
        "  transport             %lu datagrams sent, %lu dropped unsent, %lu congestion "
        "restarts, %lu asked by the relay\n",
        static_cast<unsigned long>(c.datagrams_sent),
        static_cast<unsigned long>(c.datagrams_dropped_stale + c.datagrams_dropped_full),
        static_cast<unsigned long>(c.congestion_restarts),
        static_cast<unsigned long>(c.restart_requests_received));
  }
  std::printf("  tier history         ");
  for (const auto &tier : room->tier_history) std::printf(" %s;", tier.c_str());
  std::printf("\n");
  if (!options.output_wav.empty()) {
    std::printf("  received audio        %s\n", options.output_wav.c_str());
  }
  std::fflush(stdout);
}

void watch_bus(GstElement *pipeline, Room *room) {
  GstBus *bus = gst_element_get_bus(pipeline);
  gst_bus_add_watch(bus, on_bus, room);
  gst_object_unref(bus);
}

void unwatch_bus(GstElement *pipeline) {
  GstBus *bus = gst_element_get_bus(pipeline);
  gst_bus_remove_watch(bus);
  gst_object_unref(bus);
}

}  // namespace

int run_room(signal::Session &session, const crypto::Identity &identity,
             const RoomOptions &options) {
  // The daemon knows the room by an id derived from the secret: never the
  // name, never the secret.
  std::string room_hash = options.access.hex_id();
  crypto::RoomMembership membership(identity, options.access, unix_ms());
  // Media rides the signaling connection: its datagrams are the room's.
  auto link = quic::Link::over(session.connection());
  session.set_datagram_handler([link](std::span<const uint8_t> d) { link->deliver(d); });
  session.set_close_handler([link](const std::string &why) { link->closed(why); });
  if (session.ended()) link->closed(session.end_reason());

  std::string error;
  RoomReceiverConfig rx;
  rx.output_wav = options.output_wav;
  rx.link = link;
  auto receiver = RoomReceiver::build(rx, membership.session(), error);
  SenderConfig tx;
  tx.input_wav = options.input_wav;
  tx.link = link;
  tx.tier = &quality::profile(options.tier);
  tx.stream_id = membership.my_sender_id();
  tx.padding = options.padding;
  GstElement *sender =
      receiver == nullptr ? nullptr : build_sender(tx, membership.session(), error);
  if (sender == nullptr) {
    std::fprintf(stderr, "wzp room: media: %s\n", error.c_str());
    return 1;
  }

  Room room{&session,
            signal::printable(options.name),  // an invite is text from someone else
            room_hash,
            &membership,
            receiver.get(),
            sender,
            g_main_loop_new(nullptr, FALSE)};
  room.live_status = isatty(STDERR_FILENO);
  room.quality = std::make_unique<RoomQuality>(sender, receiver->pipeline(), options.tier);
  set_tier(&room, options.tier, "start");
  watch_bus(sender, &room);
  watch_bus(receiver->pipeline(), &room);
  int rc = 0;
  uint64_t join_id = session.next_request_id();
  session.send(signal::RoomJoin{room_hash, {}, membership.card()}, join_id);
  auto reply = session.wait_reply(join_id, std::chrono::seconds(10));
  auto *refusal = reply ? std::get_if<signal::Error>(&reply->message) : nullptr;
  if (!reply || refusal != nullptr) {
    std::fprintf(stderr, "wzp room: cannot join '%s': %s\n", room.name.c_str(),
                 refusal ? (refusal->code + " " + refusal->message).c_str() : "no answer");
    rc = 1;
  } else if (gst_element_set_state(receiver->pipeline(), GST_STATE_PLAYING) ==
                 GST_STATE_CHANGE_FAILURE ||
             gst_element_set_state(sender, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    room.error = "the media pipelines did not start (see GST_DEBUG=wzp*:4)";
    session.send(signal::RoomLeave{room_hash});
  } else {
    std::fprintf(stderr, "in room %s as sender %u (Ctrl-C leaves)%s\n", room.name.c_str(),
                 membership.my_sender_id(),
                 options.access.open ? "; an open room: the relay can add members" : "");
    guint tick = g_timeout_add_seconds(1, on_tick, &room);
    guint poll = g_timeout_add(50, on_signal_poll, &room);
    guint interrupt = g_unix_signal_add(SIGINT, on_interrupt, &room);
    guint terminate = g_unix_signal_add(SIGTERM, on_interrupt, &room);
    if (options.seconds != 0) {
      room.limit_source = g_timeout_add_seconds(
          options.seconds,
          [](gpointer d) -> gboolean {
            auto *timed = static_cast<Room *>(d);
            timed->limit_source = 0;
            leave(timed, "--seconds ended");
            return G_SOURCE_REMOVE;
          },
          &room);
    }
    g_main_loop_run(room.loop);
    for (guint source : {tick, poll, interrupt, terminate, room.limit_source, room.finish_source}) {
      if (source != 0) g_source_remove(source);
    }
    if (room.live_status) std::fprintf(stderr, "\n");
    print_summary(&room, options);
  }
  if (!room.error.empty()) {
    std::fprintf(stderr, "wzp room: %s\n", room.error.c_str());
    rc = 1;
  }
  room.quality.reset();
  unwatch_bus(sender);
  unwatch_bus(receiver->pipeline());
  gst_element_set_state(sender, GST_STATE_NULL);
  gst_object_unref(sender);
  receiver.reset();
  session.set_datagram_handler(nullptr);
  session.set_close_handler(nullptr);
  g_main_loop_unref(room.loop);
  return rc;
}

}  // namespace wzp::client
