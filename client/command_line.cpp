#include "client/command_line.hpp"

#include <gst/gst.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "libwzp/base/host_port.hpp"
#include "libwzp/netsim/spec.hpp"
#include "libwzp/wire/header.hpp"

namespace wzp::client {

std::string option_or_env(const gchar *option, const char *env) {
  if (option != nullptr && *option != '\0') return option;
  const char *value = std::getenv(env);
  return value != nullptr ? value : "";
}

bool parse_command_line(const CommandHelp &help, const GOptionEntry *entries, bool with_gstreamer,
                        int &argc, char **&argv, std::string &error) {
  GOptionContext *context = g_option_context_new(help.parameters);
  g_option_context_set_summary(context, help.summary);
  g_option_context_set_description(context, help.description.c_str());
  g_option_context_add_main_entries(context, entries, nullptr);
  if (with_gstreamer) g_option_context_add_group(context, gst_init_get_option_group());
  GError *gerror = nullptr;
  bool parsed = g_option_context_parse(context, &argc, &argv, &gerror);
  g_option_context_free(context);
  if (!parsed) {
    error = gerror->message;
    g_error_free(gerror);
  }
  return parsed;
}

const char DaemonOptions::kHelp[] =
    "The daemon is --server HOST:PORT (or $WZP_SERVER), its certificate pinned by\n"
    "--server-fingerprint (or $WZP_SERVER_FINGERPRINT: the cert_sha256 wzp-signald\n"
    "prints). A cluster's nodes (one service, one certificate) may be listed:\n"
    "--server A:PORT,B:PORT; 'wzp room join' signs in to the first and, when its\n"
    "node goes silent for 3 s, to the next that answers, and joins again.\n"
    "The identity comes from --identity, $WZP_IDENTITY or\n"
    "~/.config/wzp/identity, unlocked with $WZP_PASSPHRASE or a prompt.\n"
    "\n"
    "Where the daemon answers no QUIC packet at all (UDP blocked), the client falls\n"
    "back to a WebSocket over TLS and TCP to the same host on --tls-port (or\n"
    "$WZP_SERVER_TLS_PORT; default 443, 0: never), pinned to the same certificate.\n"
    "\n"
    "NETWORK (a profile: clean, lossy, warzone, satellite, congested; or a spec such\n"
    "as 'loss=0.2,delay=100ms') puts a user-space impaired network between this\n"
    "client and the daemon, both ways, for signaling and media alike.";

DaemonOptions::~DaemonOptions() {
  for (gchar *s : {server, server_fingerprint, identity, network}) g_free(s);
}

std::vector<GOptionEntry> DaemonOptions::entries() {
  return {
      {"server", 's', 0, G_OPTION_ARG_STRING, &server,
       "wzp-signald's QUIC address, or a cluster's, comma-separated (default: $WZP_SERVER)",
       "HOST:PORT[,...]"},
      {"server-fingerprint", 0, 0, G_OPTION_ARG_STRING, &server_fingerprint,
       "SHA-256 of the daemon's certificate (default: $WZP_SERVER_FINGERPRINT)", "SHA256"},
      {"identity", 'i', 0, G_OPTION_ARG_FILENAME, &identity,
       "Identity file (default: $WZP_IDENTITY or ~/.config/wzp/identity)", "FILE"},
      {"network", 'n', 0, G_OPTION_ARG_STRING, &network,
       "Impair the path to the daemon (default: none)", "NETWORK"},
      {"tls-port", 0, 0, G_OPTION_ARG_INT, &tls_port,
       "The daemon's TLS fallback port (default: $WZP_SERVER_TLS_PORT or 443; 0: none)", "PORT"}};
}

std::unique_ptr<netsim::UdpProxy> start_impaired_network(const netsim::DirectionConfig &direction,
                                                         const std::string &upstream,
                                                         std::string &error) {
  netsim::ProxyConfig config;
  config.upstream = upstream;
  config.up = direction;
  config.down = direction;
  config.down.seed = direction.seed + 1;
  std::unique_ptr<netsim::UdpProxy> proxy;
  try {
    proxy = std::make_unique<netsim::UdpProxy>(config);
  } catch (const std::runtime_error &e) {
    error = std::string("--network: ") + e.what();
    return nullptr;
  }
  std::fprintf(stderr, "network %s\n", netsim::to_spec(direction).c_str());
  return proxy;
}

void print_network_summary(const netsim::UdpProxy &proxy) {
  std::printf("  network               %s\n", netsim::format_counters(proxy.counters()).c_str());
}

bool route_to_daemon(const DaemonOptions &options, DaemonRoute &route, std::string &error) {
  const std::string servers = option_or_env(options.server, "WZP_SERVER");
  if (servers.empty()) {
    error = "no daemon: pass --server HOST:PORT or set WZP_SERVER";
    return false;
  }
  for (size_t start = 0; start <= servers.size();) {
    size_t comma = std::min(servers.find(',', start), servers.size());
    const std::string server = servers.substr(start, comma - start);
    std::optional<base::HostPort> address = base::parse_host_port(server, &error);
    if (!address) {
      error = "bad server address '" + server + "': " + error;
      return false;
    }
    if (address->host.empty() || address->port == 0) {
      error = "bad server address '" + server + "': needs a host and a port other than 0";
      return false;
    }
    route.servers.push_back(server);
    route.addresses.push_back(*address);
    start = comma + 1;
  }
  route.server = route.servers.front();
  const base::HostPort *address = &route.addresses.front();
  route.session.host = address->host;
  route.session.port = address->port;
  route.session.server_fingerprint =
      option_or_env(options.server_fingerprint, "WZP_SERVER_FINGERPRINT");
  if (route.session.server_fingerprint.empty()) {
    error = "no --server-fingerprint (or WZP_SERVER_FINGERPRINT) to pin the daemon to";
    return false;
  }
  int tls_port = options.tls_port;
  if (tls_port < 0) {
    std::string from_env = option_or_env(nullptr, "WZP_SERVER_TLS_PORT");
    tls_port = from_env.empty() ? 443 : std::atoi(from_env.c_str());
  }
  if (tls_port < 0 || tls_port > 65535) {
    error = "--tls-port must be 0-65535";
    return false;
  }
  route.session.tls_port = static_cast<uint16_t>(tls_port);
  // Only with a cluster's nodes to go to: on one server a 3 s silence is
  // more often a stall under heavy loss (2 s without an acknowledgement at
  // 70 %, docs/quic.md) than a dead daemon, and a redial costs a room its
  // keys.
  if (route.servers.size() > 1) {
    route.session.idle_timeout = kNodeSilence;
    route.session.keep_alive = kKeepAlive;
  }
  if (options.network == nullptr) return true;
  if (route.servers.size() > 1) {
    error = "--network goes in front of one daemon: give one --server";
    return false;
  }
  // The impaired network carries UDP only: the fallback goes to the daemon.
  route.session.tls_host = address->host;
  netsim::DirectionConfig direction;
  std::string spec_error =
      netsim::parse_spec(options.network, netsim::DirectionConfig{}, direction);
  if (!spec_error.empty()) {
    error = "--network: " + spec_error;
    return false;
  }
  route.network = start_impaired_network(direction, route.server, error);
  if (!route.network) return false;
  route.session.host = "127.0.0.1";
  route.session.port = route.network->listen_address().port();
  return true;
}

std::unique_ptr<signal::Session> redial(const DaemonRoute &route, size_t &in_use,
                                        const crypto::Identity &identity, const std::string &why,
                                        const char *command) {
  std::fprintf(stderr, "lost %s (%s): signing in again\n", route.servers[in_use].c_str(),
               why.empty() ? "closed" : why.c_str());
  signal::SessionConfig config = route.session;
  config.login_timeout = kRedialAttempt;
  const auto until = std::chrono::steady_clock::now() + kRedialFor;
  for (size_t tried = 1; std::chrono::steady_clock::now() < until; ++tried) {
    const size_t next = (in_use + tried) % route.servers.size();
    if (!route.network) {
      config.host = route.addresses[next].host;
      config.port = route.addresses[next].port;
      config.tls_host.clear();
    }
    std::string attempt_error;
    const auto attempt = std::chrono::steady_clock::now();
    auto again = signal::Session::connect(config, identity, attempt_error);
    if (!again) {
      std::fprintf(stderr, "wzp %s: %s\n", command, attempt_error.c_str());
      // A refusal comes at once: not more than one attempt a second.
      std::this_thread::sleep_until(attempt + std::chrono::seconds(1));
      continue;
    }
    std::fprintf(stderr, "signed in to %s%s in %.1f s\n", route.servers[next].c_str(),
                 again->over_tls() ? " over tls fallback" : "",
                 again->sign_in_time().count() / 1000.0);
    in_use = next;
    return again;
  }
  return nullptr;
}

bool valid_padding(int bytes, std::string &error) {
  if (bytes >= 0 && static_cast<size_t>(bytes) <= wire::kMaxPacketSize) return true;
  error = "--pad must be between 0 and " + std::to_string(wire::kMaxPacketSize) + " bytes";
  return false;
}

}  // namespace wzp::client
