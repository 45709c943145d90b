#include "client/call_command.hpp"

#include <gst/gst.h>
#include <sodium.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

#include "client/call_session.hpp"
#include "client/call_signaling.hpp"
#include "client/terminal.hpp"
#include "libwzp/netsim/spec.hpp"
#include "libwzp/netsim/udp_proxy.hpp"

namespace wzp::client {
namespace {

constexpr const char *kDescription =
    "The daemon is --server HOST:PORT (or $WZP_SERVER), its certificate pinned by\n"
    "--server-fingerprint (or $WZP_SERVER_FINGERPRINT: the cert_sha256 wzp-signald\n"
    "prints). The identity comes from --identity, $WZP_IDENTITY or\n"
    "~/.config/wzp/identity, unlocked with $WZP_PASSPHRASE or a prompt.\n"
    "\n"
    "NETWORK (a profile: clean, lossy, warzone, satellite, congested; or a spec such\n"
    "as 'loss=0.2,delay=100ms') puts a user-space impaired network between this\n"
    "client and the daemon, both ways, for signaling and media alike.\n"
    "\n"
    "A status line updates every second; Ctrl-C hangs up; a summary follows.";

struct Options {
  gchar *server = nullptr;
  gchar *server_fingerprint = nullptr;
  gchar *alias = nullptr;
  gchar *identity = nullptr;
  gchar *input = nullptr;
  gchar *output = nullptr;
  gchar *network = nullptr;
  gchar *tier = nullptr;
  gboolean auto_answer = FALSE;
  gboolean echo = FALSE;
  gint tone_seconds = 10;
  ~Options() {
    for (gchar *s : {server, server_fingerprint, alias, identity, input, output, network, tier}) {
      g_free(s);
    }
  }
};

enum class Kind { kCall, kSendTone, kEchoTest, kAnswer };

// Set by SIGINT while the call is being set up (the media phase has its own
// handler on the main loop).
std::atomic<bool> interrupted{false};

void on_sigint(int) { interrupted = true; }

const char *name_of(Kind kind) {
  switch (kind) {
    case Kind::kCall:
      return "call";
    case Kind::kSendTone:
      return "send-tone";
    case Kind::kEchoTest:
      return "echo-test";
    default:
      return "answer";
  }
}

const char *summary_of(Kind kind) {
  switch (kind) {
    case Kind::kCall:
      return "Call someone through wzp-signald.";
    case Kind::kSendTone:
      return "Call someone and send them a test tone.";
    case Kind::kEchoTest:
      return "Call someone running 'wzp answer --echo', send INPUT and measure what comes back:\n"
             "the round-trip delay and how much the echo resembles the input.";
    default:
      return "Wait for a call through wzp-signald and answer it.";
  }
}

// A fresh file for the echo when the user gave no --out.
std::string temporary_wav() {
  gchar *path = nullptr;
  gint fd = g_file_open_tmp("wzp-echo-XXXXXX.wav", &path, nullptr);
  if (fd < 0) return "";
  close(fd);
  std::string result = path;
  g_free(path);
  return result;
}

int fail(Kind kind, const std::string &message) {
  std::fprintf(stderr, "wzp %s: %s\n", name_of(kind), message.c_str());
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

bool ask_to_accept(const std::string &caller) {
  std::fprintf(stderr, "accept the call from %s? [y/N] ", caller.c_str());
  std::string line;
  if (!std::getline(std::cin, line)) return false;
  return line == "y" || line == "Y" || line == "yes";
}

int run(Kind kind, Options &options, const std::string &peer) {
  std::string server = option_or_env(options.server, "WZP_SERVER");
  std::string pin = option_or_env(options.server_fingerprint, "WZP_SERVER_FINGERPRINT");
  signal::SessionConfig config;
  if (server.empty()) return fail(kind, "no daemon: pass --server HOST:PORT or set WZP_SERVER");
  if (!split_host_port(server, config.host, config.port)) {
    return fail(kind, "bad server address '" + server + "': expected HOST:PORT");
  }
  if (pin.empty()) {
    return fail(kind, "no --server-fingerprint (or WZP_SERVER_FINGERPRINT) to pin the daemon to");
  }
  config.server_fingerprint = pin;
  auto tier = quality::tier_from_string(options.tier != nullptr ? options.tier : "good");
  if (!tier) return fail(kind, std::string("unknown tier '") + options.tier + "'");
  if (kind == Kind::kAnswer && !options.auto_answer && !isatty(STDIN_FILENO)) {
    return fail(kind, "no terminal to ask whether to accept: pass --auto-answer");
  }

  std::unique_ptr<netsim::UdpProxy> proxy;
  if (options.network != nullptr) {
    netsim::DirectionConfig direction;
    std::string spec_error =
        netsim::parse_spec(options.network, netsim::DirectionConfig{}, direction);
    if (!spec_error.empty()) return fail(kind, "--network: " + spec_error);
    netsim::ProxyConfig proxy_config;
    proxy_config.upstream = server;
    proxy_config.up = direction;
    proxy_config.down = direction;
    proxy_config.down.seed = direction.seed + 1;
    try {
      proxy = std::make_unique<netsim::UdpProxy>(proxy_config);
    } catch (const std::runtime_error &e) {
      return fail(kind, std::string("--network: ") + e.what());
    }
    config.host = "127.0.0.1";
    config.port = proxy->listen_address().port();
    std::fprintf(stderr, "network %s\n", netsim::to_spec(direction).c_str());
  }

  std::string error;
  auto identity = load_identity(options.identity, error);
  if (!identity) return fail(kind, error);
  auto session = signal::Session::connect(config, *identity, error);
  if (!session) return fail(kind, error);
  std::string me = session->welcome().fingerprint;
  if (options.alias != nullptr) {
    uint64_t id = session->next_request_id();
    session->send(signal::AliasClaim{options.alias}, id);
    auto reply = session->wait_reply(id, std::chrono::seconds(10));
    if (!reply || !std::holds_alternative<signal::Ok>(reply->message)) {
      auto *e = reply ? std::get_if<signal::Error>(&reply->message) : nullptr;
      return fail(kind, std::string("cannot claim alias '") + options.alias +
                            "': " + (e ? e->code + " " + e->message : "no answer"));
    }
    me += std::string(" (@") + options.alias + ")";
  }
  std::fprintf(stderr, "signed in to %s as %s\n", server.c_str(), me.c_str());

  std::signal(SIGINT, on_sigint);
  auto accept = [&options](const std::string &caller) {
    return options.auto_answer || ask_to_accept(caller);
  };
  auto call = kind == Kind::kAnswer ? answer_call(*session, *identity, accept, interrupted, error)
                                    : place_call(*session, *identity, peer, interrupted, error);
  if (!call) return fail(kind, error);

  CallMediaOptions media;
  if (options.input != nullptr) media.input_wav = options.input;
  if (options.output != nullptr) media.output_wav = options.output;
  if (kind == Kind::kSendTone) media.tone_seconds = static_cast<uint32_t>(options.tone_seconds);
  media.echo = options.echo;
  media.measure_echo = kind == Kind::kEchoTest;
  if (media.measure_echo && media.output_wav.empty()) media.output_wav = temporary_wav();
  media.tier = *tier;
  media.stream_id = kind == Kind::kAnswer ? 2 : 1;
  int rc = run_call_media(*session, *call, media);
  session->close();
  if (proxy) {
    std::printf("  network               %s\n", netsim::format_counters(proxy->counters()).c_str());
    proxy->stop();
  }
  return rc;
}

int parse_and_run(Kind kind, int argc, char **argv) {
  Options options;
  std::vector<GOptionEntry> entries = {
      {"server", 's', 0, G_OPTION_ARG_STRING, &options.server,
       "wzp-signald's QUIC address (default: $WZP_SERVER)", "HOST:PORT"},
      {"server-fingerprint", 0, 0, G_OPTION_ARG_STRING, &options.server_fingerprint,
       "SHA-256 of the daemon's certificate (default: $WZP_SERVER_FINGERPRINT)", "SHA256"},
      {"alias", 'a', 0, G_OPTION_ARG_STRING, &options.alias, "Claim this alias when signing in",
       "NAME"},
      {"identity", 'i', 0, G_OPTION_ARG_FILENAME, &options.identity,
       "Identity file (default: $WZP_IDENTITY or ~/.config/wzp/identity)", "FILE"},
      {"out", 0, 0, G_OPTION_ARG_FILENAME, &options.output,
       "Write the received audio to this WAV file; default the speakers", "OUTPUT"},
      {"network", 'n', 0, G_OPTION_ARG_STRING, &options.network,
       "Impair the path to the daemon (default: none)", "NETWORK"},
      {"tier", 't', 0, G_OPTION_ARG_STRING, &options.tier, "Starting quality tier (default: good)",
       "TIER"}};
  if (kind == Kind::kSendTone) {
    entries.push_back({"seconds", 0, 0, G_OPTION_ARG_INT, &options.tone_seconds,
                       "How long the 440 Hz tone plays (default: 10)", "SECONDS"});
  } else {
    entries.push_back({"in", 0, 0, G_OPTION_ARG_FILENAME, &options.input,
                       "Audio to send: a WAV (or any file GStreamer decodes); default the "
                       "microphone; the call hangs up when it ends",
                       "INPUT"});
  }
  if (kind == Kind::kAnswer) {
    entries.push_back({"auto-answer", 'y', 0, G_OPTION_ARG_NONE, &options.auto_answer,
                       "Accept the first call without asking", nullptr});
    entries.push_back({"echo", 0, 0, G_OPTION_ARG_NONE, &options.echo,
                       "Send back what we receive instead of our input (for wzp echo-test)",
                       nullptr});
  }
  entries.push_back({nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr});
  GOptionContext *context =
      g_option_context_new(kind == Kind::kAnswer ? "" : "<@alias|fingerprint|prefix>");
  g_option_context_set_summary(context, summary_of(kind));
  g_option_context_set_description(context, kDescription);
  g_option_context_add_main_entries(context, entries.data(), nullptr);
  g_option_context_add_group(context, gst_init_get_option_group());
  GError *error = nullptr;
  bool parsed = g_option_context_parse(context, &argc, &argv, &error);
  g_option_context_free(context);
  if (!parsed) {
    std::string message = error->message;
    g_error_free(error);
    return fail(kind, message);
  }
  std::string peer;
  if (kind != Kind::kAnswer) {
    if (argc < 2) return fail(kind, "whom to call? give @alias, a fingerprint or a prefix");
    peer = argv[1];
  }
  if (argc > (kind == Kind::kAnswer ? 1 : 2)) {
    return fail(kind, std::string("unexpected argument '") + argv[argc - 1] + "'");
  }
  if (kind == Kind::kEchoTest && options.input == nullptr) {
    return fail(kind, "--in is required: speech to send and compare with its echo");
  }
  if (kind == Kind::kSendTone && options.tone_seconds <= 0) {
    return fail(kind, "--seconds must be positive");
  }
  if (sodium_init() < 0) return fail(kind, "libsodium could not initialise");
  return run(kind, options, peer);
}

}  // namespace

int run_call_command(int argc, char **argv) { return parse_and_run(Kind::kCall, argc, argv); }
int run_send_tone_command(int argc, char **argv) {
  return parse_and_run(Kind::kSendTone, argc, argv);
}
int run_echo_test_command(int argc, char **argv) {
  return parse_and_run(Kind::kEchoTest, argc, argv);
}
int run_answer_command(int argc, char **argv) { return parse_and_run(Kind::kAnswer, argc, argv); }

}  // namespace wzp::client
