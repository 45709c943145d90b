// A loopback server and a client dialled to it through a user-space proxy
// (clean unless told otherwise; change it mid-test with proxy->set_directions),
// each side with a Recorder. Shared by the QUIC tests that impair the path.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>

#include "libwzp/netsim/udp_proxy.hpp"
#include "tests/unit/quic/quic_test_util.hpp"

namespace wzp::quic::test {

struct ProxiedPair {
  explicit ProxiedPair(const netsim::DirectionConfig &up = {},
                       const netsim::DirectionConfig &down = {}) {
    std::string error;
    server = Endpoint::create(
        server_config(),
        [this](const std::shared_ptr<Connection> &c) {
          // The client races handshakes on a lossy path: the server side is
          // the attempt the client kept (on_active), not one it dropped.
          auto handlers = server_side.handlers();
          auto established = std::make_shared<bool>(false);
          handlers.on_active = [this, established, weak = std::weak_ptr(c)] {
            *established = true;
            std::lock_guard lock(mutex);
            accepted = weak.lock();
            accepted_changed.notify_all();
          };
          handlers.on_closed = [established, record = handlers.on_closed](const std::string &e) {
            if (*established) record(e);
          };
          return handlers;
        },
        error);
    EXPECT_TRUE(server) << error;
    if (!server) return;
    netsim::ProxyConfig config;
    config.upstream = "127.0.0.1:" + std::to_string(server->local_port());
    config.up = up;
    config.down = down;
    proxy = std::make_unique<netsim::UdpProxy>(config);
    auto client_settings = client_config(server->fingerprint());
    client_settings.handshake_timeout = 20s;
    client = Endpoint::create(client_settings, nullptr, error);
    EXPECT_TRUE(client) << error;
    if (!client) return;
    connection =
        client->dial("127.0.0.1", proxy->listen_address().port(), client_side.handlers(), error);
    EXPECT_TRUE(connection) << error;
  }
  // The server's side once established (a client is established as its
  // handshake completes, a moment before the server's completes).
  std::shared_ptr<Connection> server_connection() {
    std::unique_lock lock(mutex);
    accepted_changed.wait_for(lock, 5s, [this] { return accepted != nullptr; });
    return accepted;
  }

  Recorder server_side, client_side;
  std::mutex mutex;
  std::condition_variable accepted_changed;
  std::shared_ptr<Connection> accepted;
  std::unique_ptr<Endpoint> server, client;
  std::unique_ptr<netsim::UdpProxy> proxy;
  std::shared_ptr<Connection> connection;
};

}  // namespace wzp::quic::test
