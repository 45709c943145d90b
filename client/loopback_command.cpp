#include "client/loopback_command.hpp"

#include <glib-unix.h>
#include <glib.h>
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "client/adaptive.hpp"
#include "client/call_media.hpp"
#include "client/call_report.hpp"
#include "client/call_trace_file.hpp"
#include "client/command_line.hpp"
#include "client/local_call.hpp"
#include "libwzp/netsim/spec.hpp"

namespace wzp::client {
namespace {

constexpr const char *kDescription =
    "Runs a whole call on this machine: two fresh identities run the call\n"
    "handshake, the caller's pipeline sends INPUT (a WAV file, or the microphone)\n"
    "over QUIC through a user-space impaired network to the callee's pipeline,\n"
    "which writes what it plays to OUTPUT (a WAV file, or the speakers).\n"
    "A status line updates every second; a summary follows at the end.\n"
    "\n"
    "NETWORK is a profile (clean, lossy, warzone, satellite, congested) or a\n"
    "spec such as 'loss=0.3,burst=3,delay=150ms,jitter=20ms,rate=200kbps',\n"
    "or a profile followed by overrides: 'warzone,seed=7'. It applies to each\n"
    "direction.";

struct Options {
  gchar *input = nullptr;
  gchar *output = nullptr;
  gchar *network = nullptr;
  gchar *tier = nullptr;
  gchar *trace = nullptr;
  ~Options() {
    g_free(input);
    g_free(output);
    g_free(network);
    g_free(tier);
    g_free(trace);
  }
};

int fail(const std::string &message) {
  std::fprintf(stderr, "wzp loopback: %s\n", message.c_str());
  return 1;
}

struct Call : LocalCallRun {
  std::string tier;
  bool live_status = false;
};

gboolean on_tick(gpointer data) {
  auto *call = static_cast<Call *>(data);
  if (!call->adaptive->tick()) return G_SOURCE_CONTINUE;
  call->tier = std::string(quality::to_string(call->adaptive->tier()));
  std::string line = status_line(call->sender, call->receiver, call->tier, "callee",
                                 call->adaptive->peer_report());
  if (call->live_status) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  return G_SOURCE_CONTINUE;
}

gboolean on_interrupt(gpointer data) {
  auto *call = static_cast<Call *>(data);
  std::fprintf(stderr, "\nhanging up\n");
  gst_element_send_event(call->sender, gst_event_new_eos());
  return G_SOURCE_CONTINUE;
}

int run_call(Options &options) {
  auto tier = options.tier != nullptr ? quality::tier_from_string(options.tier)
                                      : std::optional(quality::kCallStartTier);
  if (!tier) return fail(std::string("unknown tier '") + options.tier + "'");
  netsim::DirectionConfig direction;
  std::string spec_error =
      netsim::parse_spec(options.network != nullptr ? options.network : "warzone",
                         netsim::DirectionConfig{}, direction);
  if (!spec_error.empty()) return fail("--network: " + spec_error);

  std::string error;
  std::unique_ptr<CallTraceFile> trace;
  if (options.trace != nullptr && !(trace = CallTraceFile::create(options.trace, error))) {
    return fail(error);
  }
  crypto::CallKeys caller_keys, callee_keys;
  if (!agree_keys_locally(caller_keys, callee_keys, error)) return fail(error);

  ReceiverConfig rx;
  if (options.output != nullptr) rx.output_wav = options.output;
  GstElement *receiver = build_receiver(rx, crypto::make_call_session(callee_keys), error);
  if (receiver == nullptr) return fail("receiver: " + error);
  if (gst_element_set_state(receiver, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    gst_object_unref(receiver);
    return fail("the receiver did not start (see GST_DEBUG=wzp*:4)");
  }

  auto proxy = start_impaired_network(
      direction, "127.0.0.1:" + std::to_string(receiver_port(receiver)), error);
  if (!proxy) {
    gst_element_set_state(receiver, GST_STATE_NULL);
    gst_object_unref(receiver);
    return fail(error);
  }

  SenderConfig tx;
  if (options.input != nullptr) tx.input_wav = options.input;
  tx.port = proxy->listen_address().port();
  tx.server_fingerprint = receiver_fingerprint(receiver);
  tx.tier = &quality::profile(*tier);
  GstElement *sender = build_sender(tx, crypto::make_call_session(caller_keys), error);
  caller_keys.wipe();
  callee_keys.wipe();
  if (sender == nullptr) {
    gst_element_set_state(receiver, GST_STATE_NULL);
    gst_object_unref(receiver);
    return fail("sender: " + error);
  }

  Call call;
  call.sender = sender;
  call.receiver = receiver;
  call.loop = g_main_loop_new(nullptr, FALSE);
  call.tier = tx.tier->name;
  call.live_status = isatty(STDERR_FILENO);
  MouthToEar delay;
  delay.attach(sender, receiver);
  call.watch_buses();
  // Here the peer's reports ride the forward path (there is no return
  // media); in a two-party call they come back on the peer's packets.
  quality::ControllerConfig adaptive_config;
  adaptive_config.initial = *tier;
  AdaptiveQuality adaptive(sender, receiver, adaptive_config);
  if (trace) {
    trace->watch_arrivals(receiver);
    adaptive.trace_to([file = trace.get()](const std::string &line) { file->write(line); });
  }
  call.adaptive = &adaptive;
  guint tick = g_timeout_add(AdaptiveQuality::kTickIntervalMs, on_tick, &call);
  guint interrupt = g_unix_signal_add(SIGINT, on_interrupt, &call);
  // As in a real call, media starts once the connection is up: through
  // heavy loss the QUIC handshake alone can take seconds.
  gst_element_set_state(sender, GST_STATE_PAUSED);
  auto dialed = std::chrono::steady_clock::now();
  if (wait_connected(sender, std::chrono::seconds(30))) {
    std::fprintf(stderr, "connected in %.1f s\n",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - dialed).count());
    gst_element_set_state(sender, GST_STATE_PLAYING);
    g_main_loop_run(call.loop);
  } else {
    call.error = "no QUIC connection within 30 s";
  }
  g_source_remove(tick);
  g_source_remove(interrupt);
  if (call.live_status) std::fprintf(stderr, "\n");

  std::printf("%s\n", final_report(sender, receiver, delay, call.tier).c_str());
  std::printf("  tier history          %s\n", quality::describe(adaptive.history()).c_str());
  print_network_summary(*proxy);
  if (options.output != nullptr) std::printf("  received audio        %s\n", options.output);
  call.release_pipelines();
  proxy->stop();
  g_main_loop_unref(call.loop);
  if (!call.error.empty()) return fail(call.error);
  return 0;
}

}  // namespace

int run_loopback_command(int argc, char **argv) {
  Options options;
  GOptionEntry entries[] = {
      {"in", 0, 0, G_OPTION_ARG_FILENAME, &options.input,
       "Audio to send: a WAV (or any file GStreamer decodes); default the microphone", "INPUT"},
      {"out", 0, 0, G_OPTION_ARG_FILENAME, &options.output,
       "Write the received audio to this WAV file; default the speakers", "OUTPUT"},
      {"network", 'n', 0, G_OPTION_ARG_STRING, &options.network,
       "Impairment of each direction (default: warzone)", "NETWORK"},
      {"tier", 't', 0, G_OPTION_ARG_STRING, &options.tier,
       "Starting quality tier: catastrophic, degraded, good, studio32k, studio48k, studio64k "
       "(default: degraded, then up as the path allows)",
       "TIER"},
      {"trace", 0, 0, G_OPTION_ARG_FILENAME, &options.trace, kTraceHelp, "FILE"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  CommandHelp help{"", "A call to yourself through a simulated hostile network.", kDescription};
  std::string error;
  if (!parse_command_line(help, entries, true, argc, argv, error)) return fail(error);
  if (argc > 1) return fail(std::string("unexpected argument '") + argv[1] + "'");
  if (sodium_init() < 0) return fail("libsodium could not initialise");
  return run_call(options);
}

}  // namespace wzp::client
