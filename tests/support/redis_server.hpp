// A real redis-server (Debian's, installed by scripts/setup.sh) for the
// cluster tests: its own free port on 127.0.0.1 and its own directory, no
// persistence, ready once it says it accepts connections, always stopped.
// Nothing uses the system's Redis service.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace wzp::test {

class RedisServer {
 public:
  // `port` 0: a free one. `config`: more of redis-server's settings, as
  // its command line takes them (say "--requirepass", "secret").
  explicit RedisServer(const std::filesystem::path &dir, uint16_t port = 0,
                       std::vector<std::string> config = {});
  bool ready() const { return ready_; }
  uint16_t port() const { return port_; }
  // "127.0.0.1:PORT", as --cluster-redis takes it.
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // redis-cli against it; its output, trimmed of the final newline.
  std::string cli(const std::vector<std::string> &args) const;
  // What cli() signs in as, for a Redis with passwords.
  void sign_in_as(std::string user, std::string password) {
    user_ = std::move(user);
    password_ = std::move(password);
  }
  ChildProcess &process() { return *process_; }

 private:
  std::unique_ptr<ChildProcess> process_;
  uint16_t port_ = 0;
  bool ready_ = false;
  std::string user_, password_;
};

}  // namespace wzp::test
