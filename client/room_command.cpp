#include "client/room_command.hpp"

#include <gst/gst.h>
#include <sodium.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "client/command_line.hpp"
#include "client/room_session.hpp"
#include "client/terminal.hpp"
#include "libwzp/crypto/room_access.hpp"
#include "libwzp/quality/room.hpp"

namespace wzp::client {
namespace {

constexpr const char *kRoomUsage =
    "Usage:\n"
    "  wzp room invite <name>            make a room: prints its invite (keep it secret)\n"
    "  wzp room join <invite> [options]  join a room by its invite (wzp room join --help)\n"
    "  wzp room join --open <name>       join an open room by name: the relay can add members\n";
constexpr const char *kAbout =
    "Everyone who joins with the same INVITE talks with everyone else; the daemon only\n"
    "forwards. An invite (wzp-room:NAME#SECRET, from 'wzp room invite') carries the room's\n"
    "secret: neither the name nor the secret leaves this machine, the daemon sees a room id\n"
    "derived from both, and a member who cannot prove the secret gets no key, whoever the\n"
    "daemon says is in the room. Every member's voice is sealed with its own sender key,\n"
    "handed to each proven member end to end. The invite may also come from\n"
    "$WZP_ROOM_INVITE (other local users can read a command line).\n\n"
    "With --open, the argument is a plain room name and the room has no secret: anyone\n"
    "who knows or guesses the name, the daemon included, can join it, add members and\n"
    "receive your voice's key.";
constexpr const char *kEnding =
    "A status line updates every second; Ctrl-C leaves; a summary follows.";
constexpr const char *kInviteEnv = "WZP_ROOM_INVITE";

struct Options {
  DaemonOptions daemon;
  gchar *input = nullptr;
  gchar *output = nullptr;
  gchar *tier = nullptr;
  gint seconds = 0;
  gint pad = 0;
  gboolean open = FALSE;
  ~Options() {
    for (gchar *s : {input, output, tier}) g_free(s);
  }
};

int fail(const std::string &message) {
  std::fprintf(stderr, "wzp room: %s\n", message.c_str());
  return 1;
}

int run(Options &options, const std::string &name, const crypto::RoomAccess &access) {
  auto tier = options.tier != nullptr ? quality::tier_from_string(options.tier)
                                      : std::optional(quality::room_controller_config().initial);
  if (!tier) return fail(std::string("unknown tier '") + options.tier + "'");
  DaemonRoute route;
  std::string error;
  if (!route_to_daemon(options.daemon, route, error)) {
    return fail(error);
  }

  auto identity = load_identity(options.daemon.identity, error);
  if (!identity) return fail(error);
  auto session = signal::Session::connect(route.session, *identity, error);
  if (!session) return fail(error);
  std::fprintf(stderr, "signed in to %s%s as %s in %.1f s\n", route.server.c_str(),
               session->over_tls() ? " over tls fallback" : "",
               session->welcome().fingerprint.c_str(), session->sign_in_time().count() / 1000.0);

  RoomOptions room;
  room.name = name;
  room.access = access;
  if (options.input != nullptr) room.input_wav = options.input;
  if (options.output != nullptr) room.output_wav = options.output;
  room.tier = *tier;
  room.seconds = static_cast<uint32_t>(options.seconds);
  room.padding = static_cast<uint32_t>(options.pad);
  size_t in_use = 0;
  room.redial = [&](const std::string &why) -> signal::Session * {
    auto again = redial(route, in_use, *identity, why, "room");
    if (!again) return nullptr;
    session = std::move(again);
    return session.get();
  };
  int rc = run_room(*session, *identity, room);
  session->close();
  if (route.network) {
    print_network_summary(*route.network);
    route.network->stop();
  }
  return rc;
}

// `wzp room invite <name>`: a fresh secret for the name, printed as an
// invite on stdout (alone on its line, for scripts).
int run_invite(int argc, char **argv) {
  if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::fputs(kRoomUsage, stdout);
    return 0;
  }
  if (argc != 2) return fail("usage: wzp room invite <name>");
  std::string error;
  if (!crypto::valid_room_name(argv[1], &error)) return fail(error);
  if (sodium_init() < 0) return fail("libsodium could not initialise");
  crypto::RoomInvite invite = crypto::new_room_invite(argv[1]);
  std::printf("%s\n", crypto::format_room_invite(invite).c_str());
  std::fflush(stdout);
  sodium_memzero(invite.secret.data(), invite.secret.size());
  std::fprintf(stderr,
               "Give this invite to the members over a channel the daemon does not see; whoever "
               "holds it can join. Join with: wzp room join '<invite>'\n");
  return 0;
}

int run_join(int argc, char **argv) {
  Options options;
  std::vector<GOptionEntry> entries = options.daemon.entries();
  entries.insert(
      entries.end(),
      {{"open", 0, 0, G_OPTION_ARG_NONE, &options.open,
        "Join an open room by its plain name; the relay can then add members", nullptr},
       {"in", 0, 0, G_OPTION_ARG_FILENAME, &options.input,
        "Audio to send: a WAV (or any file GStreamer decodes); default the microphone", "INPUT"},
       {"out", 0, 0, G_OPTION_ARG_FILENAME, &options.output,
        "Write the room's mix to this WAV file; default the speakers", "OUTPUT"},
       {"tier", 't', 0, G_OPTION_ARG_STRING, &options.tier,
        "Quality tier until the daemon directs one (default: degraded, the room's start)", "TIER"},
       {"seconds", 0, 0, G_OPTION_ARG_INT, &options.seconds,
        "Leave after this many seconds (default: stay until Ctrl-C)", "SECONDS"},
       {"pad", 0, 0, G_OPTION_ARG_INT, &options.pad, kPadHelp, "BYTES"},
       {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}});
  CommandHelp help{"<invite> | --open <name>", "Join a room call through wzp-signald.",
                   std::string(kAbout) + "\n\n" + DaemonOptions::kHelp + "\n\n" + kEnding};
  std::string error;
  if (!parse_command_line(help, entries.data(), true, argc, argv, error)) return fail(error);
  if (argc > 2) return fail(std::string("unexpected argument '") + argv[argc - 1] + "'");
  if (options.seconds < 0) return fail("--seconds must not be negative");
  if (!valid_padding(options.pad, error)) return fail(error);
  if (sodium_init() < 0) return fail("libsodium could not initialise");
  if (options.open) {
    if (argc < 2) return fail("which room? give its name");
    if (!crypto::valid_room_name(argv[1], &error)) return fail(error);
    std::fprintf(stderr,
                 "wzp room: '%s' is an open room: anyone who knows the name, the relay "
                 "included, can add members and receive our key\n",
                 argv[1]);
    return run(options, argv[1], crypto::open_room_access(argv[1]));
  }
  std::string text = argc == 2 ? argv[1] : option_or_env(nullptr, kInviteEnv);
  if (text.empty()) {
    return fail(std::string("which room? give its invite (or set ") + kInviteEnv +
                "); 'wzp room invite <name>' makes one");
  }
  auto invite = crypto::parse_room_invite(text, &error);
  if (!invite) {
    return fail("not a room invite: " + error +
                " ('wzp room invite <name>' makes one; --open joins a room by name alone, "
                "and then the relay can add members)");
  }
  crypto::RoomAccess access = crypto::room_access(*invite);
  sodium_memzero(invite->secret.data(), invite->secret.size());
  return run(options, invite->name, access);
}

}  // namespace

int run_room_command(int argc, char **argv) {
  std::string sub = argc >= 2 ? argv[1] : "";
  if (sub == "invite") return run_invite(argc - 1, argv + 1);
  if (sub == "join") {
    static char program[] = "room join";  // what --help shows
    argv[1] = program;
    return run_join(argc - 1, argv + 1);
  }
  if (sub == "--help" || sub == "-h") {
    std::fputs(kRoomUsage, stdout);
    return 0;
  }
  std::fputs(kRoomUsage, stderr);
  return fail(sub.empty() ? "expected a subcommand: invite or join"
                          : "unknown subcommand '" + sub + "' (expected invite or join)");
}

}  // namespace wzp::client
