// wzp-signald's settings: command-line flags over a GLib key file
// ([signald] group, same names as the long flags).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "libwzp/base/host_port.hpp"

namespace wzp::signald {

using base::HostPort;
// "127.0.0.1:4433", "[::1]:4433" or ":4433" (all addresses: 0.0.0.0).
std::optional<HostPort> parse_listen_address(const std::string &text, std::string &error);

// A relay we federate with: where it listens for relays, the SHA-256 of its
// TLS certificate, and its daemon identity fingerprint.
struct PeerConfig {
  HostPort address;
  std::string certificate;
  std::string identity;
};
// "HOST:PORT,CERT_SHA256,IDENTITY".
std::optional<PeerConfig> parse_peer(const std::string &text, std::string &error);

struct Config {
  HostPort listen{"0.0.0.0", 4433};  // QUIC, ALPN kSignalAlpn
  HostPort http{"127.0.0.1", 8480};  // HTTP API and metrics
  std::string certificate_file;      // PEM; empty: self-signed, kept beside the database
  std::string private_key_file;
  std::string database = "wzp-signald.db";
  std::string auth_url;  // empty: no bearer-token check
  size_t max_connections = 1024;
  // Connections from one address (IPv4, or IPv6 /64) that have not logged
  // in yet (ServerSettings::max_unauthenticated_per_source).
  size_t max_waiting_per_address = 8;
  // The TLS fallback for clients whose network blocks UDP
  // (docs/fallback.md): a WebSocket over HTTPS, off unless an address is
  // given (clients look for it on port 443 by default).
  std::optional<HostPort> tls_listen;
  // STUN Binding on a second port (docs/nat.md, "Hard NATs"): what a
  // client's NAT maps its socket to for a second destination, beside the
  // QUIC port's reflect_request. Off unless an address is given.
  std::optional<HostPort> stun_listen;
  // Federation (docs/signal.md): off unless a relay address is given.
  std::optional<HostPort> federation_listen;  // QUIC, ALPN wzp-federation/1
  std::vector<PeerConfig> peers;
  // A cluster of nodes sharing state in Redis (docs/signal.md "A cluster on
  // Redis"): off unless its address is given. The others dial this node's
  // federation port at `cluster_advertise` (default: federation_listen).
  std::optional<HostPort> cluster_redis;
  std::optional<HostPort> cluster_advertise;
  // Redis AUTH: an ACL user (empty: the default user, as `requirepass`
  // sets its password) and the password, read from a file or the
  // environment, never from the command line, where ps shows it.
  std::string cluster_redis_user;
  std::string cluster_redis_password;
  // Begins every key and the channel, so several clusters share one Redis.
  std::string cluster_prefix = "wzp";
};

// The environment variable a node's Redis password may come from.
inline constexpr const char *kRedisPasswordEnv = "WZP_CLUSTER_REDIS_PASSWORD";

inline constexpr const char *kSignalAlpn = "wzp-signal/1";

// Parses argv (and the --config file it names). On failure returns nullopt
// with `error` set; `help` is set instead when --help or --version was
// asked for (the text to print).
std::optional<Config> parse_config(int argc, char **argv, std::string &error, std::string &help);

}  // namespace wzp::signald
