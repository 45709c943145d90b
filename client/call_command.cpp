#include "client/call_command.hpp"

#include <gst/gst.h>
#include <sodium.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "client/call_session.hpp"
#include "client/call_signaling.hpp"
#include "client/call_trace_file.hpp"
#include "client/command_line.hpp"
#include "client/terminal.hpp"

namespace wzp::client {
namespace {

constexpr const char *kEnding =
    "A status line updates every second; Ctrl-C hangs up; a summary follows.";

struct Options {
  DaemonOptions daemon;
  gchar *alias = nullptr;
  gchar *input = nullptr;
  gchar *output = nullptr;
  gchar *tier = nullptr;
  gchar *trace = nullptr;
  gchar *stun = nullptr;
  gchar *video_in = nullptr;
  gchar *video_out = nullptr;
  gboolean video = FALSE;
  gboolean auto_answer = FALSE;
  gboolean echo = FALSE;
  gint tone_seconds = 10;
  gint pad = 0;
  ~Options() {
    for (gchar *s : {alias, input, output, tier, trace, stun, video_in, video_out}) g_free(s);
  }
};

enum class Kind { kCall, kSendTone, kEchoTest, kAnswer };

// Set by SIGINT or SIGTERM while the call is being set up (the media phase
// has its own handler on the main loop). A stopped `wzp answer` signs out, so
// the daemon does not ring it until its connection times out.
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

bool ask_to_accept(const std::string &caller) {
  std::fprintf(stderr, "accept the call from %s? [y/N] ", caller.c_str());
  std::string line;
  if (!std::getline(std::cin, line)) return false;
  return line == "y" || line == "Y" || line == "yes";
}

int run(Kind kind, Options &options, const std::string &peer) {
  auto tier = options.tier != nullptr ? quality::tier_from_string(options.tier)
                                      : std::optional(quality::kCallStartTier);
  if (!tier) return fail(kind, std::string("unknown tier '") + options.tier + "'");
  if (kind == Kind::kAnswer && !options.auto_answer && !isatty(STDIN_FILENO)) {
    return fail(kind, "no terminal to ask whether to accept: pass --auto-answer");
  }
  std::string error;
  std::unique_ptr<CallTraceFile> trace;
  if (options.trace != nullptr && !(trace = CallTraceFile::create(options.trace, error))) {
    return fail(kind, error);
  }
  DaemonRoute route;
  if (!route_to_daemon(options.daemon, route, error)) {
    return fail(kind, error);
  }

  StunServer stun;
  if (options.stun != nullptr && !(stun = nat::TransportAddress::parse(options.stun, &error))) {
    return fail(kind, std::string("--stun '") + options.stun + "': " + error);
  }

  auto identity = load_identity(options.daemon.identity, error);
  if (!identity) return fail(kind, error);
  route.session.accept_direct = !route.network && kind == Kind::kAnswer;
  // A direct path may be IPv6 while the daemon is reached over IPv4: one
  // dual-stack socket serves both, where the host has IPv6 at all.
  if (!route.network) route.session.bind_address = "::";
  auto session = signal::Session::connect(route.session, *identity, error);
  if (!session && error.starts_with("cannot ") && !route.network) {
    route.session.bind_address = "0.0.0.0";
    session = signal::Session::connect(route.session, *identity, error);
  }
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
  std::fprintf(stderr, "signed in to %s%s as %s in %.1f s\n", route.server.c_str(),
               session->over_tls() ? " over tls fallback" : "", me.c_str(),
               session->sign_in_time().count() / 1000.0);

  std::signal(SIGINT, on_sigint);
  std::signal(SIGTERM, on_sigint);
  auto accept = [&options](const std::string &caller) {
    return options.auto_answer || ask_to_accept(caller);
  };
  // --network keeps media on the relay: no use asking how the NAT maps.
  if (route.network) stun.reset();
  auto call =
      kind == Kind::kAnswer
          ? answer_call(*session, *identity, accept, stun, !route.network, interrupted, error)
          : place_call(*session, *identity, peer, stun, !route.network, interrupted, error);
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
  media.padding = static_cast<uint32_t>(options.pad);
  media.trace = trace.get();
  // --network impairs the path to the daemon only: a direct path would
  // leave it.
  media.direct = !route.network;
  media.caller = kind != Kind::kAnswer;
  size_t in_use = 0;
  if (route.servers.size() > 1) {
    media.redial = [&](const std::string &why) -> signal::Session * {
      auto again = redial(route, in_use, *identity, why, name_of(kind));
      if (!again) return nullptr;
      session = std::move(again);
      return session.get();
    };
  }
  media.video.enabled = options.video;
  if (options.video_in != nullptr) media.video.input = options.video_in;
  if (options.video_out != nullptr) media.video.output = options.video_out;
  int rc = run_call_media(*session, *call, media);
  session->close();
  if (route.network) {
    print_network_summary(*route.network);
    route.network->stop();
  }
  return rc;
}

int parse_and_run(Kind kind, int argc, char **argv) {
  Options options;
  std::vector<GOptionEntry> entries = options.daemon.entries();
  entries.insert(entries.end(),
                 {{"alias", 'a', 0, G_OPTION_ARG_STRING, &options.alias,
                   "Claim this alias when signing in", "NAME"},
                  {"out", 0, 0, G_OPTION_ARG_FILENAME, &options.output,
                   "Write the received audio to this WAV file; default the speakers", "OUTPUT"},
                  {"tier", 't', 0, G_OPTION_ARG_STRING, &options.tier,
                   "Starting quality tier (default: degraded, then up as the path allows)", "TIER"},
                  {"trace", 0, 0, G_OPTION_ARG_FILENAME, &options.trace, kTraceHelp, "FILE"},
                  {"pad", 0, 0, G_OPTION_ARG_INT, &options.pad, kPadHelp, "BYTES"},
                  {"stun", 0, 0, G_OPTION_ARG_STRING, &options.stun,
                   "A STUN server (wzp-signald --stun-listen) that shows how our NAT maps the "
                   "call's socket; a sequential NAT's next ports are offered (default: none)",
                   "IP:PORT"}});
  if (kind == Kind::kSendTone) {
    entries.push_back({"seconds", 0, 0, G_OPTION_ARG_INT, &options.tone_seconds,
                       "How long the 440 Hz tone plays (default: 10)", "SECONDS"});
  } else {
    entries.push_back({"in", 0, 0, G_OPTION_ARG_FILENAME, &options.input,
                       "Audio to send: a WAV (or any file GStreamer decodes); default the "
                       "microphone; the call hangs up when it ends",
                       "INPUT"});
  }
  if (kind == Kind::kCall || kind == Kind::kAnswer) {
    entries.push_back({"video", 0, 0, G_OPTION_ARG_NONE, &options.video,
                       "Send and receive video too: AV1 at 640x360, 15 frames/s, 400 kbit/s "
                       "(docs/video.md)",
                       nullptr});
    entries.push_back({"video-in", 0, 0, G_OPTION_ARG_FILENAME, &options.video_in,
                       "With --video: 'camera' (default, v4l2src), 'pattern' (a moving test "
                       "pattern) or a video file, played at its own pace",
                       "INPUT"});
    entries.push_back({"video-out", 0, 0, G_OPTION_ARG_FILENAME, &options.video_out,
                       "With --video: write the pictures shown to this Matroska file "
                       "(uncompressed I420) instead of a window",
                       "FILE"});
  }
  if (kind == Kind::kAnswer) {
    entries.push_back({"auto-answer", 'y', 0, G_OPTION_ARG_NONE, &options.auto_answer,
                       "Accept the first call without asking", nullptr});
    entries.push_back({"echo", 0, 0, G_OPTION_ARG_NONE, &options.echo,
                       "Send back what we receive instead of our input (for wzp echo-test)",
                       nullptr});
  }
  entries.push_back({nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr});
  CommandHelp help{kind == Kind::kAnswer ? "" : "<@alias|fingerprint|prefix>", summary_of(kind),
                   std::string(DaemonOptions::kHelp) + "\n\n" + kEnding};
  std::string error;
  if (!parse_command_line(help, entries.data(), true, argc, argv, error)) return fail(kind, error);
  if (!valid_padding(options.pad, error)) return fail(kind, error);
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
  if (!options.video && (options.video_in != nullptr || options.video_out != nullptr)) {
    return fail(kind, "--video-in and --video-out go with --video");
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
