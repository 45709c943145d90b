#include "client/room_session.hpp"

#include <glib-unix.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "client/room_member.hpp"
#include "libwzp/signal/printable.hpp"

namespace wzp::client {

namespace {

struct Room {
  RoomMember *member = nullptr;
  GMainLoop *loop = nullptr;
  bool live_status = false;
  guint limit_source = 0;  // --seconds; zeroed when it fires
};

void print_event(const Room &room, const std::string &text) {
  std::fprintf(stderr, room.live_status ? "\r\033[K%s\n" : "%s\n", text.c_str());
}

gboolean on_interrupt(gpointer data) {
  auto *room = static_cast<Room *>(data);
  if (room->member->ending()) {  // asked twice: stop waiting
    g_main_loop_quit(room->loop);
    return G_SOURCE_CONTINUE;
  }
  print_event(*room, "leaving");
  room->member->leave("we left");
  return G_SOURCE_CONTINUE;
}

void print_summary(const signal::Session &session, const RoomMember &member,
                   const RoomOptions &options) {
  std::printf("%s\n", member.status_line().c_str());
  std::printf("  left                  %s\n", member.left_because().c_str());
  std::printf("  members heard         %zu\n", member.heard().size());
  auto playout = member.playout();
  for (const auto &[id, fingerprint] : member.heard()) {
    std::printf("    %s (sender id %u)\n", fingerprint.c_str(), id);
    RoomReceiver::MemberPlayout p;
    p.sender_id = id;
    for (const auto &candidate : playout) {
      if (candidate.sender_id == id) p = candidate;
    }
    std::printf("      %s\n", RoomMember::playout_text(p, false).c_str());
  }
  std::printf(
      "  room signals          %lu sent, %lu refused (%lu cards without proof of the room "
      "secret)\n",
      static_cast<unsigned long>(member.signals_sent()),
      static_cast<unsigned long>(member.signals_refused()),
      static_cast<unsigned long>(member.cards_unproven()));
  std::printf("  key datagrams         %lu sent; received: %lu taken, %lu repeated, %lu refused\n",
              static_cast<unsigned long>(member.key_datagrams_sent()),
              static_cast<unsigned long>(member.key_datagrams_taken()),
              static_cast<unsigned long>(member.key_datagrams_repeated()),
              static_cast<unsigned long>(member.key_datagrams_refused()));
  std::printf("  daemon transport      %s\n", session.transport());
  if (member.rejoins() != 0) {
    std::printf("  joined again          %lu times, on a new connection\n",
                static_cast<unsigned long>(member.rejoins()));
  }
  {
    // What the link did with our media, and how often the relay's window
    // starved its media to us (it asks us to restart it: docs/quic.md).
    const quic::ConnectionStats c = session.connection_stats();
    std::printf(
        "  transport             %lu datagrams sent, %lu dropped unsent, %lu congestion "
        "restarts, %lu asked by the relay\n",
        static_cast<unsigned long>(c.datagrams_sent),
        static_cast<unsigned long>(c.datagrams_dropped_stale + c.datagrams_dropped_full),
        static_cast<unsigned long>(c.congestion_restarts),
        static_cast<unsigned long>(c.restart_requests_received));
  }
  std::printf("  tier history         ");
  for (const auto &tier : member.tier_history()) std::printf(" %s;", tier.c_str());
  std::printf("\n");
  if (!options.output_wav.empty()) {
    std::printf("  received audio        %s\n", options.output_wav.c_str());
  }
  std::fflush(stdout);
}

}  // namespace

int run_room(signal::Session &session, const crypto::Identity &identity,
             const RoomOptions &options) {
  Room room;
  room.loop = g_main_loop_new(nullptr, FALSE);
  room.live_status = isatty(STDERR_FILENO);
  RoomMemberConfig config;
  config.name = options.name;
  config.access = options.access;
  config.input_wav = options.input_wav;
  config.output_wav = options.output_wav;
  config.tier = options.tier;
  config.padding = options.padding;
  RoomMember::Handlers handlers;
  handlers.event = [&room](const std::string &text) { print_event(room, text); };
  handlers.tick = [&room] {
    std::string line = room.member->status_line();
    std::fprintf(stderr, room.live_status ? "\r\033[K%s" : "%s\n", line.c_str());
  };
  handlers.ended = [&room] { g_main_loop_quit(room.loop); };
  handlers.redial = options.redial;
  std::string error;
  auto member = RoomMember::join(session, identity, config, handlers, error);
  int rc = 0;
  if (!member) {
    std::fprintf(stderr, "wzp room: %s\n", error.c_str());
    rc = 1;
  } else {
    room.member = member.get();
    std::fprintf(stderr, "in room %s as sender %u (Ctrl-C leaves)%s\n",
                 signal::printable(options.name).c_str(), member->sender_id(),
                 options.access.open ? "; an open room: the relay can add members" : "");
    guint interrupt = g_unix_signal_add(SIGINT, on_interrupt, &room);
    guint terminate = g_unix_signal_add(SIGTERM, on_interrupt, &room);
    if (options.seconds != 0) {
      room.limit_source = g_timeout_add_seconds(
          options.seconds,
          [](gpointer d) -> gboolean {
            auto *timed = static_cast<Room *>(d);
            timed->limit_source = 0;
            timed->member->leave("--seconds ended");
            return G_SOURCE_REMOVE;
          },
          &room);
    }
    g_main_loop_run(room.loop);
    for (guint source : {interrupt, terminate, room.limit_source}) {
      if (source != 0) g_source_remove(source);
    }
    if (room.live_status) std::fprintf(stderr, "\n");
    print_summary(member->session(), *member, options);
    if (!member->error().empty()) {
      std::fprintf(stderr, "wzp room: %s\n", member->error().c_str());
      rc = 1;
    }
  }
  member.reset();
  g_main_loop_unref(room.loop);
  return rc;
}

}  // namespace wzp::client
