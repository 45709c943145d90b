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
          // The client races handshakes on a lossy path, and the server may
          // complete attempts it drops. As Link does: the first established,
          // until the first datagram or message shows the one it kept.
          auto handlers = server_side.handlers();
          auto established = std::make_shared<bool>(false);
          auto take = [this, established, weak = std::weak_ptr(c)](bool replace) {
            std::lock_guard lock(mutex);
            if (accepted && !replace) return;
            // Only the side taken reports its close: not one it replaced.
            if (accepted_flag) *accepted_flag = false;
            *established = true;
            accepted_flag = established;
            accepted = weak.lock();
            accepted_changed.notify_all();
          };
          handlers.on_established = [take] { take(false); };
          handlers.on_active = [take] { take(true); };
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
  std::shared_ptr<bool> accepted_flag;  // cleared when another is taken
  std::unique_ptr<Endpoint> server, client;
  std::unique_ptr<netsim::UdpProxy> proxy;
  std::shared_ptr<Connection> connection;
};

}  // namespace wzp::quic::test
