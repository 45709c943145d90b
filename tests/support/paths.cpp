#include "tests/support/paths.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace wzp::test {
namespace {

std::filesystem::path from_env(const char *name) {
  const char *value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string(name) + " is not set: run tests through ctest");
  }
  return value;
}

}  // namespace

std::filesystem::path source_dir() { return from_env("WZP_SOURCE_DIR"); }
std::filesystem::path build_dir() { return from_env("WZP_BUILD_DIR"); }

std::filesystem::path build_binary(const std::string &relative) { return build_dir() / relative; }

std::filesystem::path signald_binary() {
  const char *other = std::getenv("WZP_SIGNALD");
  if (other != nullptr && *other != '\0') return other;
  return build_binary("signald/wzp-signald");
}

namespace {
uint16_t free_port(int type) {
  int fd = socket(AF_INET, type, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) != 0) {
    close(fd);
    throw std::runtime_error("could not bind a port on 127.0.0.1");
  }
  close(fd);
  return ntohs(addr.sin_port);
}
}  // namespace

uint16_t free_udp_port() { return free_port(SOCK_DGRAM); }

uint16_t free_tcp_port() { return free_port(SOCK_STREAM); }

std::filesystem::path make_temp_dir(const std::string &prefix) {
  std::string pattern = (build_dir() / (prefix + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

}  // namespace wzp::test
