// What the commands share: their option parsing, the environment's
// defaults, and the way to the daemon (optionally through an impaired
// network).
#pragma once

#include <glib.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "libwzp/base/host_port.hpp"
#include "libwzp/netsim/udp_proxy.hpp"
#include "libwzp/signal/session.hpp"

namespace wzp::client {

// `option` when given and not empty, else the environment variable `env`
// (empty when unset).
std::string option_or_env(const gchar *option, const char *env);

// What `wzp <command> --help` says besides the options.
struct CommandHelp {
  const char *parameters;  // after the options, e.g. "<name>"
  const char *summary;
  std::string description;
};
// Parses `entries` (ended by a null entry), and GStreamer's own options when
// `with_gstreamer`; false with `error` set on a bad command line.
bool parse_command_line(const CommandHelp &help, const GOptionEntry *entries, bool with_gstreamer,
                        int &argc, char **&argv, std::string &error);

// The options every command that talks to wzp-signald takes, and what its
// --help says of them.
struct DaemonOptions {
  gchar *server = nullptr;
  gchar *server_fingerprint = nullptr;
  gchar *identity = nullptr;
  gchar *network = nullptr;
  gint tls_port = -1;  // -1: $WZP_SERVER_TLS_PORT, else 443
  DaemonOptions() = default;
  DaemonOptions(const DaemonOptions &) = delete;
  DaemonOptions &operator=(const DaemonOptions &) = delete;
  ~DaemonOptions();
  // The entries, pointing into this object, without the closing null entry.
  std::vector<GOptionEntry> entries();
  static const char kHelp[];
};

// A user-space impaired network in front of `upstream` (HOST:PORT), the same
// both ways, the way back seeded apart; says so on stderr. Null with `error`
// set when the proxy cannot start.
std::unique_ptr<netsim::UdpProxy> start_impaired_network(const netsim::DirectionConfig &direction,
                                                         const std::string &upstream,
                                                         std::string &error);
// The proxy's counters as a line of a command's summary.
void print_network_summary(const netsim::UdpProxy &proxy);

// --pad, taken by the commands that send media: wzpencrypt's padding.
inline constexpr const char kPadHelp[] =
    "Pad every media packet, inside its encryption, to a multiple of BYTES (1-1500; e.g. 64) "
    "so its size does not follow the speech; costs bit rate (docs/crypto.md, 'Packet sizes')";
// False with `error` set when --pad is out of its range (0 is no padding).
bool valid_padding(int bytes, std::string &error);

// Where a command reaches wzp-signald: --server (or $WZP_SERVER), its
// certificate pinned by --server-fingerprint (or $WZP_SERVER_FINGERPRINT),
// through an impaired network when --network is given.
struct DaemonRoute {
  std::string server;  // the first of `servers`
  // --server's addresses as the user gave them, and parsed: one daemon, or
  // the nodes of a cluster (one service, one certificate).
  std::vector<std::string> servers;
  std::vector<base::HostPort> addresses;
  signal::SessionConfig session;  // host and port to dial: the proxy's, when there is one
  std::unique_ptr<netsim::UdpProxy> network;
};
// False with `error` set when an address, the pin or the network is wrong.
// With several servers, a node that goes silent kNodeSilence is given up
// (QUIC's idle timeout; the keep-alive makes sure a live one is heard from
// well within it).
bool route_to_daemon(const DaemonOptions &options, DaemonRoute &route, std::string &error);

inline constexpr std::chrono::seconds kNodeSilence{3};
inline constexpr std::chrono::seconds kKeepAlive{1};
// How long one sign-in may take while redialing, and all of them: as long
// as a client without redial waited on a silent daemon.
inline constexpr std::chrono::seconds kRedialAttempt{3};
inline constexpr std::chrono::seconds kRedialFor{30};

// Signs in again once the connection to `route.servers[in_use]` ended: to
// the nodes after it first, it last, round again until one answers or
// kRedialFor has passed; `in_use` then names the node. Null when none
// answered. `command` ("room", "call") names us in what it prints.
std::unique_ptr<signal::Session> redial(const DaemonRoute &route, size_t &in_use,
                                        const crypto::Identity &identity, const std::string &why,
                                        const char *command);

}  // namespace wzp::client
