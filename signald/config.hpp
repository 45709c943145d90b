// wzp-signald's settings: command-line flags over a GLib key file
// ([signald] group, same names as the long flags).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace wzp::signald {

struct HostPort {
  std::string host;
  uint16_t port = 0;
};
// "127.0.0.1:4433", "[::1]:4433" or ":4433" (all addresses).
std::optional<HostPort> parse_host_port(const std::string &text);

struct Config {
  HostPort listen{"0.0.0.0", 4433};  // QUIC, ALPN kSignalAlpn
  HostPort http{"127.0.0.1", 8480};  // HTTP API and metrics
  std::string certificate_file;      // PEM; empty: a self-signed certificate per start
  std::string private_key_file;
  std::string database = "wzp-signald.db";
  std::string auth_url;  // empty: no bearer-token check
  size_t max_connections = 1024;
};

inline constexpr const char *kSignalAlpn = "wzp-signal/1";

// Parses argv (and the --config file it names). On failure returns nullopt
// with `error` set; `help` is set instead when --help was asked for.
std::optional<Config> parse_config(int argc, char **argv, std::string &error, std::string &help);

}  // namespace wzp::signald
