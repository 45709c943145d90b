// The real wzp-signald (tests/support/signald_daemon.hpp), and a real QUIC
// signaling client for it (libwzp/quic + libwzp/crypto), for the integration tests.
#pragma once

#include <libsoup/soup.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "libwzp/crypto/identity.hpp"
#include "libwzp/quic/endpoint.hpp"
#include "libwzp/signal/message.hpp"
#include "tests/support/signald_daemon.hpp"

namespace wzp::signald::test {

using namespace std::chrono_literals;

// The daemon process, plus an HTTP GET against its API.
class Daemon : public wzp::test::SignaldDaemon {
 public:
  using SignaldDaemon::SignaldDaemon;

  struct HttpReply {
    unsigned status = 0;
    std::string body;
    std::string content_type;
  };
  // `host`: the address to reach the API at, which is also whom the daemon
  // sees the request from; an IPv6 one without brackets.
  HttpReply get(const std::string &path, const std::string &host = "127.0.0.1") const;
};

class Client {
 public:
  Client(const Daemon &daemon);
  // Dials `port` on loopback instead of the daemon's, e.g. an impaired
  // path's proxy in front of it (libwzp/netsim UdpProxy).
  Client(const Daemon &daemon, uint16_t port);
  // Dials the daemon from `bind_address` (another loopback address, such
  // as 127.0.0.2, is another source to the daemon).
  Client(const Daemon &daemon, const std::string &bind_address);
  // A dial that may be refused: not a test failure; see dial_error().
  static std::unique_ptr<Client> try_dial(const Daemon &daemon,
                                          const std::string &bind_address = "127.0.0.1");
  ~Client();
  bool connected() const { return connection_ != nullptr; }
  // Why the dial failed, when it did.
  const std::string &dial_error() const { return dial_error_; }
  // The certificate this client pinned and verified, which its login signs.
  const std::string &certificate() const { return certificate_; }
  uint16_t local_port() const { return endpoint_ ? endpoint_->local_port() : 0; }

  void send(const signal::Message &message, std::optional<uint64_t> request_id = std::nullopt);
  void send_raw(const std::string &text);
  bool send_datagram(const std::vector<uint8_t> &datagram);

  // Waits for the next not-yet-taken message of type T.
  template <typename T>
  std::optional<T> wait_for(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    std::optional<T> found;
    changed_.wait_for(lock, timeout, [&] {
      for (auto it = inbox_.begin(); it != inbox_.end(); ++it) {
        if (std::holds_alternative<T>(*it)) {
          found = std::get<T>(*it);
          inbox_.erase(it);
          return true;
        }
      }
      return false;
    });
    return found;
  }
  bool wait_datagrams(size_t count, std::chrono::milliseconds timeout = 5s);
  // Waits until `done` holds for the datagrams received so far.
  bool wait_datagrams_until(
      const std::function<bool(const std::vector<std::vector<uint8_t>> &)> &done,
      std::chrono::milliseconds timeout);
  std::vector<std::vector<uint8_t>> datagrams();
  bool wait_closed(std::chrono::milliseconds timeout = 5s);
  std::string close_error();

  // hello -> challenge -> auth -> welcome; returns the welcome.
  std::optional<signal::Welcome> login(const crypto::Identity &identity,
                                       std::optional<std::string> token = std::nullopt);

 private:
  Client(const Daemon &daemon, uint16_t port, const std::string &bind_address,
         bool dial_may_fail = false);
  std::string certificate_;
  std::string dial_error_;
  std::unique_ptr<quic::Endpoint> endpoint_;
  std::shared_ptr<quic::Connection> connection_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<signal::Message> inbox_;
  std::vector<std::vector<uint8_t>> datagrams_;
  bool closed_ = false;
  std::string close_error_;
};

std::string fingerprint(const crypto::Identity &identity);

}  // namespace wzp::signald::test
