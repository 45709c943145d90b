#include "client/room_command.hpp"

#include <gst/gst.h>
#include <sodium.h>

#include <cstdio>
#include <string>

#include "client/command_line.hpp"
#include "client/room_session.hpp"
#include "client/terminal.hpp"
#include "libwzp/quality/room.hpp"

namespace wzp::client {
namespace {

constexpr const char *kAbout =
    "Everyone who joins the same NAME talks with everyone else; the daemon only\n"
    "forwards. The name is hashed before it leaves this machine, and every member's\n"
    "voice is sealed with its own sender key, handed to each member end to end.";
constexpr const char *kEnding =
    "A status line updates every second; Ctrl-C leaves; a summary follows.";

struct Options {
  DaemonOptions daemon;
  gchar *input = nullptr;
  gchar *output = nullptr;
  gchar *tier = nullptr;
  gint seconds = 0;
  ~Options() {
    for (gchar *s : {input, output, tier}) g_free(s);
  }
};

int fail(const std::string &message) {
  std::fprintf(stderr, "wzp room: %s\n", message.c_str());
  return 1;
}

int run(Options &options, const std::string &name) {
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
  std::fprintf(stderr, "signed in to %s as %s in %.1f s\n", route.server.c_str(),
               session->welcome().fingerprint.c_str(), session->sign_in_time().count() / 1000.0);

  RoomOptions room;
  room.name = name;
  if (options.input != nullptr) room.input_wav = options.input;
  if (options.output != nullptr) room.output_wav = options.output;
  room.tier = *tier;
  room.seconds = static_cast<uint32_t>(options.seconds);
  int rc = run_room(*session, *identity, room);
  session->close();
  if (route.network) {
    print_network_summary(*route.network);
    route.network->stop();
  }
  return rc;
}

}  // namespace

int run_room_command(int argc, char **argv) {
  Options options;
  std::vector<GOptionEntry> entries = options.daemon.entries();
  entries.insert(
      entries.end(),
      {{"in", 0, 0, G_OPTION_ARG_FILENAME, &options.input,
        "Audio to send: a WAV (or any file GStreamer decodes); default the microphone", "INPUT"},
       {"out", 0, 0, G_OPTION_ARG_FILENAME, &options.output,
        "Write the room's mix to this WAV file; default the speakers", "OUTPUT"},
       {"tier", 't', 0, G_OPTION_ARG_STRING, &options.tier,
        "Quality tier until the daemon directs one (default: degraded, the room's start)", "TIER"},
       {"seconds", 0, 0, G_OPTION_ARG_INT, &options.seconds,
        "Leave after this many seconds (default: stay until Ctrl-C)", "SECONDS"},
       {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}});
  CommandHelp help{"<name>", "Join a room call through wzp-signald.",
                   std::string(kAbout) + "\n\n" + DaemonOptions::kHelp + "\n\n" + kEnding};
  std::string error;
  if (!parse_command_line(help, entries.data(), true, argc, argv, error)) return fail(error);
  if (argc < 2) return fail("which room? give its name");
  if (argc > 2) return fail(std::string("unexpected argument '") + argv[argc - 1] + "'");
  if (options.seconds < 0) return fail("--seconds must not be negative");
  if (sodium_init() < 0) return fail("libsodium could not initialise");
  return run(options, argv[1]);
}

}  // namespace wzp::client
