// The real wzp-signald as a child process on loopback, for integration tests:
// started with a database in a given directory, ready once it prints its
// readiness line (ports, certificate fingerprint, identity), always stopped.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace wzp::test {

class SignaldDaemon {
 public:
  // Starts wzp-signald on 127.0.0.1 (any free ports) with a database in
  // `dir`. A later --listen in `extra_args` wins; `launcher` runs it, e.g.
  // {"/usr/sbin/ip", "netns", "exec", ns} in a network namespace;
  // `extra_env` adds to or overrides the environment it inherits.
  explicit SignaldDaemon(const std::filesystem::path &dir, std::vector<std::string> extra_args = {},
                         std::vector<std::string> launcher = {},
                         std::map<std::string, std::string> extra_env = {});
  bool ready() const { return ready_; }
  uint16_t quic_port() const { return quic_port_; }
  uint16_t http_port() const { return http_port_; }
  // The TLS fallback's port (--tls-listen), 0 when off.
  uint16_t tls_port() const { return tls_port_; }
  // The STUN port (--stun-listen), 0 when off.
  uint16_t stun_port() const { return stun_port_; }
  // SHA-256 of the daemon's TLS certificate, for pinning.
  const std::string &certificate() const { return certificate_; }
  const std::string &identity() const { return identity_; }
  ChildProcess &process() { return *process_; }

 private:
  std::unique_ptr<ChildProcess> process_;
  bool ready_ = false;
  uint16_t quic_port_ = 0, http_port_ = 0, tls_port_ = 0, stun_port_ = 0;
  std::string certificate_, identity_;
};

// A relay for federation tests: its own certificate and key under `dir`,
// its federation port, and what a peer pins (--peer).
struct RelaySetup {
  std::filesystem::path dir;
  uint16_t federation_port = 0;
  std::string certificate, identity;
  // --cert, --key and --federation-listen.
  std::vector<std::string> args() const;
  // host:port,certificate,identity: the value of another relay's --peer.
  std::string as_peer() const;
};
// Makes the certificate and key under `dir` (created) and starts the daemon
// once to learn the identity it keeps in its database.
RelaySetup prepare_relay(const std::filesystem::path &dir);

}  // namespace wzp::test
