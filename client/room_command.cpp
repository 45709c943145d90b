#include "client/room_command.hpp"

#include <gst/gst.h>
#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include "client/room_session.hpp"
#include "client/terminal.hpp"
#include "libwzp/netsim/spec.hpp"
#include "libwzp/netsim/udp_proxy.hpp"

namespace wzp::client {
namespace {

constexpr const char *kDescription =
    "Everyone who joins the same NAME talks with everyone else; the daemon only\n"
    "forwards. The name is hashed before it leaves this machine, and every member's\n"
    "voice is sealed with its own sender key, handed to each member end to end.\n"
    "\n"
    "The daemon is --server HOST:PORT (or $WZP_SERVER), its certificate pinned by\n"
    "--server-fingerprint (or $WZP_SERVER_FINGERPRINT: the cert_sha256 wzp-signald\n"
    "prints). The identity comes from --identity, $WZP_IDENTITY or\n"
    "~/.config/wzp/identity, unlocked with $WZP_PASSPHRASE or a prompt.\n"
    "\n"
    "NETWORK (a profile: clean, lossy, warzone, satellite, congested; or a spec such\n"
    "as 'loss=0.2,delay=100ms') puts a user-space impaired network between this\n"
    "client and the daemon, both ways, for signaling and media alike.\n"
    "\n"
    "A status line updates every second; Ctrl-C leaves; a summary follows.";

struct Options {
  gchar *server = nullptr;
  gchar *server_fingerprint = nullptr;
  gchar *identity = nullptr;
  gchar *input = nullptr;
  gchar *output = nullptr;
  gchar *network = nullptr;
  gchar *tier = nullptr;
  gint seconds = 0;
  ~Options() {
    for (gchar *s : {server, server_fingerprint, identity, input, output, network, tier}) {
      g_free(s);
    }
  }
};

int fail(const std::string &message) {
  std::fprintf(stderr, "wzp room: %s\n", message.c_str());
  return 1;
}

std::string option_or_env(const gchar *option, const char *env) {
  if (option != nullptr && *option != '\0') return option;
  const char *value = std::getenv(env);
  return value != nullptr ? value : "";
}

// "host:port" or "[v6]:port".
bool split_host_port(const std::string &text, std::string &host, uint16_t &port) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  host = text.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  char *end = nullptr;
  unsigned long value = std::strtoul(text.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || value == 0 || value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return !host.empty();
}

int run(Options &options, const std::string &name) {
  std::string server = option_or_env(options.server, "WZP_SERVER");
  std::string pin = option_or_env(options.server_fingerprint, "WZP_SERVER_FINGERPRINT");
  signal::SessionConfig config;
  if (server.empty()) return fail("no daemon: pass --server HOST:PORT or set WZP_SERVER");
  if (!split_host_port(server, config.host, config.port)) {
    return fail("bad server address '" + server + "': expected HOST:PORT");
  }
  if (pin.empty()) return fail("no --server-fingerprint (or WZP_SERVER_FINGERPRINT) to pin");
  config.server_fingerprint = pin;
  auto tier = quality::tier_from_string(options.tier != nullptr ? options.tier : "good");
  if (!tier) return fail(std::string("unknown tier '") + options.tier + "'");

  std::unique_ptr<netsim::UdpProxy> proxy;
  if (options.network != nullptr) {
    netsim::DirectionConfig direction;
    std::string spec_error =
        netsim::parse_spec(options.network, netsim::DirectionConfig{}, direction);
    if (!spec_error.empty()) return fail("--network: " + spec_error);
    netsim::ProxyConfig proxy_config;
    proxy_config.upstream = server;
    proxy_config.up = direction;
    proxy_config.down = direction;
    proxy_config.down.seed = direction.seed + 1;
    try {
      proxy = std::make_unique<netsim::UdpProxy>(proxy_config);
    } catch (const std::runtime_error &e) {
      return fail(std::string("--network: ") + e.what());
    }
    config.host = "127.0.0.1";
    config.port = proxy->listen_address().port();
    std::fprintf(stderr, "network %s\n", netsim::to_spec(direction).c_str());
  }

  std::string error;
  auto identity = load_identity(options.identity, error);
  if (!identity) return fail(error);
  auto session = signal::Session::connect(config, *identity, error);
  if (!session) return fail(error);
  std::fprintf(stderr, "signed in to %s as %s\n", server.c_str(),
               session->welcome().fingerprint.c_str());

  RoomOptions room;
  room.name = name;
  if (options.input != nullptr) room.input_wav = options.input;
  if (options.output != nullptr) room.output_wav = options.output;
  room.tier = *tier;
  room.seconds = static_cast<uint32_t>(options.seconds);
  int rc = run_room(*session, *identity, room);
  session->close();
  if (proxy) {
    std::printf("  network               %s\n", netsim::format_counters(proxy->counters()).c_str());
    proxy->stop();
  }
  return rc;
}

}  // namespace

int run_room_command(int argc, char **argv) {
  Options options;
  GOptionEntry entries[] = {
      {"server", 's', 0, G_OPTION_ARG_STRING, &options.server,
       "wzp-signald's QUIC address (default: $WZP_SERVER)", "HOST:PORT"},
      {"server-fingerprint", 0, 0, G_OPTION_ARG_STRING, &options.server_fingerprint,
       "SHA-256 of the daemon's certificate (default: $WZP_SERVER_FINGERPRINT)", "SHA256"},
      {"identity", 'i', 0, G_OPTION_ARG_FILENAME, &options.identity,
       "Identity file (default: $WZP_IDENTITY or ~/.config/wzp/identity)", "FILE"},
      {"in", 0, 0, G_OPTION_ARG_FILENAME, &options.input,
       "Audio to send: a WAV (or any file GStreamer decodes); default the microphone", "INPUT"},
      {"out", 0, 0, G_OPTION_ARG_FILENAME, &options.output,
       "Write the room's mix to this WAV file; default the speakers", "OUTPUT"},
      {"network", 'n', 0, G_OPTION_ARG_STRING, &options.network,
       "Impair the path to the daemon (default: none)", "NETWORK"},
      {"tier", 't', 0, G_OPTION_ARG_STRING, &options.tier,
       "Quality tier until the daemon directs one (default: good)", "TIER"},
      {"seconds", 0, 0, G_OPTION_ARG_INT, &options.seconds,
       "Leave after this many seconds (default: stay until Ctrl-C)", "SECONDS"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  GOptionContext *context = g_option_context_new("<name>");
  g_option_context_set_summary(context, "Join a room call through wzp-signald.");
  g_option_context_set_description(context, kDescription);
  g_option_context_add_main_entries(context, entries, nullptr);
  g_option_context_add_group(context, gst_init_get_option_group());
  GError *error = nullptr;
  bool parsed = g_option_context_parse(context, &argc, &argv, &error);
  g_option_context_free(context);
  if (!parsed) {
    std::string message = error->message;
    g_error_free(error);
    return fail(message);
  }
  if (argc < 2) return fail("which room? give its name");
  if (argc > 2) return fail(std::string("unexpected argument '") + argv[argc - 1] + "'");
  if (options.seconds < 0) return fail("--seconds must not be negative");
  if (sodium_init() < 0) return fail("libsodium could not initialise");
  return run(options, argv[1]);
}

}  // namespace wzp::client
