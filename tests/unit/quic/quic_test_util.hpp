// Shared pieces of the QUIC tests: a recorder for what a connection hands
// up, and endpoint configurations for a loopback server and its client.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "libwzp/quic/endpoint.hpp"

namespace wzp::quic::test {

using namespace std::chrono_literals;

class Recorder {
 public:
  ConnectionHandlers handlers() {
    ConnectionHandlers h;
    h.on_datagram = [this](std::span<const uint8_t> d) {
      std::lock_guard lock(mutex_);
      datagrams_.emplace_back(d.begin(), d.end());
      changed_.notify_all();
    };
    h.on_message = [this](std::span<const uint8_t> m) {
      std::lock_guard lock(mutex_);
      messages_.emplace_back(m.begin(), m.end());
      changed_.notify_all();
    };
    h.on_closed = [this](const std::string &error) {
      std::lock_guard lock(mutex_);
      closed_ = true;
      close_error_ = error;
      changed_.notify_all();
    };
    return h;
  }
  bool wait_datagrams(size_t count, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return datagrams_.size() >= count; });
  }
  bool wait_messages(size_t count, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return messages_.size() >= count; });
  }
  bool wait_closed(std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return closed_; });
  }
  std::vector<std::string> datagrams() {
    std::lock_guard lock(mutex_);
    return datagrams_;
  }
  std::vector<std::string> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::string close_error() {
    std::lock_guard lock(mutex_);
    return close_error_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> datagrams_;
  std::vector<std::string> messages_;
  bool closed_ = false;
  std::string close_error_;
};

inline EndpointConfig server_config() {
  EndpointConfig config;
  config.bind_address = "127.0.0.1";
  config.accept_connections = true;
  return config;
}

inline EndpointConfig client_config(const std::string &pin) {
  EndpointConfig config;
  config.bind_address = "127.0.0.1";
  config.tls.server_fingerprint = pin;
  return config;
}

inline std::span<const uint8_t> bytes(const std::string &s) {
  return {reinterpret_cast<const uint8_t *>(s.data()), s.size()};
}

}  // namespace wzp::quic::test
