// wzp-web: the browser bridge (docs/web.md). Serves a page at
// https://HOST:PORT/room/NAME; each browser that opens it talks WebRTC to
// the bridge, which joins the room through wzp-signald as an ordinary member
// on the browser's behalf.
#include <glib-unix.h>
#include <gst/gst.h>
#include <sodium.h>
#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "client/own_plugins.hpp"
#include "libwzp/base/host_port.hpp"
#include "libwzp/base/version.hpp"
#include "web/bridge.hpp"

namespace {

constexpr const char *kAbout =
    "Serves a page at https://HOST:PORT/room/NAME. A browser that opens it sends its\n"
    "microphone over WebRTC to this bridge, which joins the room NAME through wzp-signald\n"
    "as an ordinary member (an open room; with an invite in the page's address,\n"
    "/room/NAME#wzp-room:NAME#SECRET, the invite's room) and sends the room's mix back.\n"
    "Each browser session gets an identity made for it. The bridge hears every browser's\n"
    "audio in the clear: run it on a machine its users trust (docs/web.md).\n\n"
    "The daemon comes from --signald (or $WZP_SERVER) and its certificate's SHA-256 from\n"
    "--signald-fingerprint (or $WZP_SERVER_FINGERPRINT). Without --cert/--key a\n"
    "self-signed certificate is made at start; its SHA-256 is printed.";

struct Options {
  gchar *signald = nullptr, *signald_fingerprint = nullptr, *address = nullptr;
  gchar *cert = nullptr, *key = nullptr, *stun = nullptr;
  gint port = 8443, per_address = 4, sessions = 64, message_bytes = 64 * 1024, rate = 10;
  gint waiting_per_address = 8, waiting = 32;
  gdouble setup_timeout = 15, handshake_timeout = 5;
  ~Options() {
    for (gchar *s : {signald, signald_fingerprint, address, cert, key, stun}) g_free(s);
  }
};

int fail(const std::string &message) {
  std::fprintf(stderr, "wzp-web: %s\n", message.c_str());
  return 1;
}

std::string option_or_env(const gchar *option, const char *env) {
  if (option != nullptr && *option != '\0') return option;
  const char *value = g_getenv(env);
  return value != nullptr ? value : "";
}

}  // namespace

int main(int argc, char **argv) {
  Options o;
  gboolean version = FALSE;
  GOptionEntry entries[] = {
      {"signald", 0, 0, G_OPTION_ARG_STRING, &o.signald, "wzp-signald's QUIC address", "HOST:PORT"},
      {"signald-fingerprint", 0, 0, G_OPTION_ARG_STRING, &o.signald_fingerprint,
       "SHA-256 of wzp-signald's certificate (its cert_sha256)", "HEX"},
      {"address", 0, 0, G_OPTION_ARG_STRING, &o.address,
       "Numeric address to serve on (default 0.0.0.0)", "ADDRESS"},
      {"port", 'p', 0, G_OPTION_ARG_INT, &o.port, "HTTPS port (default 8443; 0: any free one)",
       "PORT"},
      {"cert", 0, 0, G_OPTION_ARG_FILENAME, &o.cert, "TLS certificate chain (PEM)", "FILE"},
      {"key", 0, 0, G_OPTION_ARG_FILENAME, &o.key, "Its private key (PEM)", "FILE"},
      {"stun-server", 0, 0, G_OPTION_ARG_STRING, &o.stun,
       "For browsers behind NAT: stun://HOST:PORT", "URI"},
      {"max-sessions-per-address", 0, 0, G_OPTION_ARG_INT, &o.per_address,
       "Browser sessions open at once from one address (default 4)", "N"},
      {"max-sessions", 0, 0, G_OPTION_ARG_INT, &o.sessions, "Browser sessions in all (default 64)",
       "N"},
      {"max-message-bytes", 0, 0, G_OPTION_ARG_INT, &o.message_bytes,
       "Largest signaling message taken (default 65536)", "BYTES"},
      {"max-messages-per-second", 0, 0, G_OPTION_ARG_INT, &o.rate,
       "Signaling messages a browser may send a second, bursts of four times that (default 10)",
       "N"},
      {"setup-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &o.setup_timeout,
       "Seconds a browser has to join, call or answer once connected, and for its WebRTC "
       "connection once joined; an ended session closes after as long (default 15)",
       "SECONDS"},
      {"handshake-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &o.handshake_timeout,
       "Seconds a connection has for its TLS handshake and its request (the page, or the "
       "WebSocket's upgrade) before it is closed (default 5)",
       "SECONDS"},
      {"max-waiting-per-address", 0, 0, G_OPTION_ARG_INT, &o.waiting_per_address,
       "Connections from one address in their TLS handshake or request at once (default 8)", "N"},
      {"max-waiting", 0, 0, G_OPTION_ARG_INT, &o.waiting,
       "Connections in their TLS handshake or request at once, in all (default 32)", "N"},
      {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the build and exit", nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  GOptionContext *context = g_option_context_new("- the wzp browser bridge");
  g_option_context_set_description(context, kAbout);
  g_option_context_add_main_entries(context, entries, nullptr);
  g_option_context_add_group(context, gst_init_get_option_group());
  wzp::client::use_own_plugins();
  GError *gerror = nullptr;
  bool parsed = g_option_context_parse(context, &argc, &argv, &gerror);
  g_option_context_free(context);
  if (!parsed) {
    std::string why = gerror->message;
    g_clear_error(&gerror);
    return fail(why);
  }
  if (version) {
    std::printf("wzp-web %s\n", wzp::base::version());
    return 0;
  }
  if (argc > 1) return fail(std::string("unexpected argument '") + argv[1] + "'");
  if (sodium_init() < 0) return fail("libsodium could not initialise");

  wzp::web::ServerOptions options;
  std::string signald = option_or_env(o.signald, "WZP_SERVER");
  std::string error;
  auto daemon = wzp::base::parse_host_port(signald, &error);
  if (signald.empty()) return fail("where is wzp-signald? give --signald HOST:PORT");
  if (!daemon || daemon->host.empty() || daemon->port == 0) {
    return fail("--signald '" + signald +
                "': " + (error.empty() ? "needs a host and port" : error));
  }
  options.bridge.daemon.host = daemon->host;
  options.bridge.daemon.port = daemon->port;
  options.bridge.daemon.server_fingerprint =
      option_or_env(o.signald_fingerprint, "WZP_SERVER_FINGERPRINT");
  if (options.bridge.daemon.server_fingerprint.empty()) {
    return fail("give wzp-signald's certificate SHA-256: --signald-fingerprint");
  }
  options.bridge.daemon.device = "wzp-web";
  // A browser waits for its sign-in (on a thread of its own): a daemon that
  // does not answer is given up on soon.
  options.bridge.daemon.login_timeout = std::chrono::milliseconds(5000);
  if (o.stun != nullptr) options.bridge.stun_server = o.stun;
  if (o.address != nullptr) options.address = o.address;
  if (o.port < 0 || o.port > 65535) return fail("--port must be 0-65535");
  options.port = static_cast<uint16_t>(o.port);
  if (o.cert != nullptr) options.certificate_file = o.cert;
  if (o.key != nullptr) options.key_file = o.key;
  if (o.per_address < 1 || o.sessions < 1 || o.message_bytes < 1024 || o.rate < 1 ||
      o.waiting_per_address < 1 || o.waiting < 1) {
    return fail(
        "the limits must be at least 1 session, 1 waiting connection, 1024 bytes and 1 message a "
        "second");
  }
  options.limits.waiting.waiting = static_cast<size_t>(o.waiting);
  options.limits.waiting.waiting_per_source = static_cast<size_t>(o.waiting_per_address);
  if (!(o.handshake_timeout >= 0.1 && o.handshake_timeout <= 600)) {
    return fail("--handshake-timeout must be 0.1-600 seconds");
  }
  options.limits.waiting.timeout =
      std::chrono::milliseconds(std::lround(o.handshake_timeout * 1000));
  options.limits.messages_per_second = o.rate;
  options.limits.message_burst = 4.0 * o.rate;
  options.limits.sessions_per_address = static_cast<uint32_t>(o.per_address);
  options.limits.sessions = static_cast<uint32_t>(o.sessions);
  options.limits.message_bytes = static_cast<size_t>(o.message_bytes);
  if (!(o.setup_timeout >= 0.1 && o.setup_timeout <= 3600)) {
    return fail("--setup-timeout must be 0.1-3600 seconds");
  }
  options.bridge.setup_timeout = std::chrono::milliseconds(std::lround(o.setup_timeout * 1000));

  auto bridge = wzp::web::Bridge::start(options, error);
  if (!bridge) return fail(error);
  std::string host = options.address == "0.0.0.0" ? "127.0.0.1" : options.address;
  std::fprintf(stderr,
               "wzp-web: serving https://%s/room/<name> (certificate sha256 %s), rooms through "
               "wzp-signald at %s\n",
               wzp::base::format_host_port(host, bridge->port()).c_str(),
               bridge->fingerprint().c_str(), signald.c_str());
  double started_s = g_get_monotonic_time() / 1e6;
  GMainLoop *loop = g_main_loop_new(nullptr, FALSE);
  auto quit = +[](gpointer data) -> gboolean {
    g_main_loop_quit(static_cast<GMainLoop *>(data));
    return G_SOURCE_CONTINUE;
  };
  guint interrupt = g_unix_signal_add(SIGINT, quit, loop);
  guint terminate = g_unix_signal_add(SIGTERM, quit, loop);
  g_main_loop_run(loop);
  g_source_remove(interrupt);
  g_source_remove(terminate);
  // What the bridge cost, for sizing one (docs/web.md).
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  double cpu = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
               (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  std::fprintf(stderr, "wzp-web: stopping after %.1f s, %.2f s of CPU; counters:\n%s",
               g_get_monotonic_time() / 1e6 - started_s, cpu, bridge->metrics().c_str());
  bridge.reset();
  g_main_loop_unref(loop);
  return 0;
}
