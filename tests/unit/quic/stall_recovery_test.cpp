// A path that collapses and comes back: ten seconds of 60 % bursty loss both
// ways, then a clean path. Media must flow again both ways once the path
// clears, under every congestion controller: within one backed-off probe
// timeout (measured 0-2.6 s; after 6 probe timeouts in a row the next one
// can be some seconds away, hence the generous wait). Before the fix the
// sender stalled for good: window at its minimum, every datagram dropped as
// stale, nothing received after the path cleared.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <optional>
#include <thread>

#include "libwzp/netsim/udp_proxy.hpp"
#include "tests/support/wait.hpp"
#include "tests/unit/quic/quic_test_util.hpp"

namespace wzp::quic::test {
namespace {

using Clock = std::chrono::steady_clock;

const netsim::DirectionConfig kClean{.delay = netsim::Micros(20'000)};
netsim::DirectionConfig collapsed(uint64_t seed) {
  return {.loss = 0.6, .mean_burst = 3, .delay = netsim::Micros(20'000), .seed = seed};
}

// Counts datagrams and remembers when the first one after a mark arrived.
class ArrivalClock {
 public:
  ConnectionHandlers handlers() {
    ConnectionHandlers h;
    h.on_datagram = [this](std::span<const uint8_t>) {
      std::lock_guard lock(mutex_);
      ++count_;
      if (marked_ && !first_after_mark_) first_after_mark_ = Clock::now();
      changed_.notify_all();
    };
    return h;
  }
  void mark() {
    std::lock_guard lock(mutex_);
    marked_ = true;
    first_after_mark_.reset();
  }
  // Waits until `count` datagrams arrived after the mark; the delay from
  // the mark to the first of them, or nullopt.
  std::optional<Clock::duration> wait_after_mark(size_t count, Clock::time_point mark,
                                                 std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    size_t base = count_at_mark_;
    changed_.wait_for(lock, timeout, [&] { return count_ - base >= count; });
    if (count_ - base < count || !first_after_mark_) return std::nullopt;
    return *first_after_mark_ - mark;
  }
  void mark_count() {
    std::lock_guard lock(mutex_);
    count_at_mark_ = count_;
  }
  size_t count() {
    std::lock_guard lock(mutex_);
    return count_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  size_t count_ = 0;
  size_t count_at_mark_ = 0;
  bool marked_ = false;
  std::optional<Clock::time_point> first_after_mark_;
};

// A frame every 20 ms on a connection until stopped, as a call sends.
class Talker {
 public:
  explicit Talker(std::shared_ptr<Connection> connection, size_t frame_bytes = 160)
      : connection_(std::move(connection)), frame_bytes_(frame_bytes), thread_([this] { run(); }) {}
  ~Talker() {
    stop_ = true;
    thread_.join();
  }

 private:
  void run() {
    std::string frame(frame_bytes_, 'm');
    auto next = Clock::now();
    while (!stop_) {
      connection_->send_datagram(bytes(frame));
      next += 20ms;
      std::this_thread::sleep_until(next);
    }
  }
  std::shared_ptr<Connection> connection_;
  size_t frame_bytes_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

EndpointConfig call_like(EndpointConfig config, CongestionControl cc) {
  config.congestion_control = cc;
  config.keep_alive = 1000ms;  // as quic::Link sets it
  config.handshake_timeout = 10s;
  return config;
}

const char *name(CongestionControl cc) {
  switch (cc) {
    case CongestionControl::kCubic:
      return "cubic";
    case CongestionControl::kBbr2:
      return "bbr2";
    case CongestionControl::kBbr:
      return "bbr";
  }
  return "?";
}

class QuicStallRecovery : public ::testing::TestWithParam<CongestionControl> {};

TEST_P(QuicStallRecovery, DatagramsFlowBothWaysSoonAfterTheLossEnds) {
  const CongestionControl cc = GetParam();
  ArrivalClock at_server, at_client;
  std::mutex mutex;
  std::shared_ptr<Connection> accepted;
  std::string error;
  auto server = Endpoint::create(
      call_like(server_config(), cc),
      [&](const std::shared_ptr<Connection> &c) {
        std::lock_guard lock(mutex);
        accepted = c;
        return at_server.handlers();
      },
      error);
  ASSERT_TRUE(server) << error;
  netsim::ProxyConfig proxy_config;
  proxy_config.upstream = "127.0.0.1:" + std::to_string(server->local_port());
  proxy_config.up = proxy_config.down = kClean;
  netsim::UdpProxy proxy(proxy_config);
  auto client =
      Endpoint::create(call_like(client_config(server->fingerprint()), cc), nullptr, error);
  ASSERT_TRUE(client) << error;
  auto connection =
      client->dial("127.0.0.1", proxy.listen_address().port(), at_client.handlers(), error);
  ASSERT_TRUE(connection) << error;
  ASSERT_TRUE(connection->wait_established(10s)) << connection->error();
  std::shared_ptr<Connection> server_connection;
  {
    std::lock_guard lock(mutex);
    server_connection = accepted;
  }
  ASSERT_TRUE(server_connection);
  ASSERT_TRUE(server_connection->wait_established(5s));

  // Half a second of frames each way on the clean path before it collapses.
  Talker up(connection), down(server_connection);
  ASSERT_TRUE(wzp::test::wait_until(
      [&] { return at_server.count() >= 25 && at_client.count() >= 25; }, 10s))
      << at_server.count() << " up, " << at_client.count() << " down";

  proxy.set_directions(collapsed(7), collapsed(8));
  std::this_thread::sleep_for(10s);
  auto before = connection->stats();
  auto server_before = server_connection->stats();
  proxy.set_directions(kClean, kClean);
  auto cleared = Clock::now();
  at_server.mark_count();
  at_client.mark_count();
  at_server.mark();
  at_client.mark();

  // Half a second of frames each way proves the flow is back, not one
  // straggler from the queue.
  auto up_after = at_server.wait_after_mark(25, cleared, 20s);
  auto down_after = at_client.wait_after_mark(25, cleared, 20s);
  auto after = connection->stats();
  auto ms = [](std::optional<Clock::duration> d) {
    return d ? std::chrono::duration_cast<std::chrono::milliseconds>(*d).count() : -1;
  };
  std::fprintf(
      stderr,
      "%s: end of loss: client cwnd %llu in flight %llu lost %llu stale %llu PTOs %zu; "
      "server cwnd %llu in flight %llu; recovery up %lld ms, down %lld ms; "
      "client cwnd after %llu, srtt at end of loss %.0f ms; congestion restarts %llu\n",
      name(cc), static_cast<unsigned long long>(before.path.congestion_window),
      static_cast<unsigned long long>(before.path.bytes_in_flight),
      static_cast<unsigned long long>(before.datagrams_lost),
      static_cast<unsigned long long>(before.datagrams_dropped_stale), before.path.probe_timeouts,
      static_cast<unsigned long long>(server_before.path.congestion_window),
      static_cast<unsigned long long>(server_before.path.bytes_in_flight),
      static_cast<long long>(ms(up_after)), static_cast<long long>(ms(down_after)),
      static_cast<unsigned long long>(after.path.congestion_window), before.path.smoothed_rtt_ms,
      static_cast<unsigned long long>(after.congestion_restarts));
  EXPECT_EQ(connection->state(), Connection::State::kEstablished) << connection->error();
  EXPECT_TRUE(up_after) << "client to server did not recover";
  EXPECT_TRUE(down_after) << "server to client did not recover";
}

INSTANTIATE_TEST_SUITE_P(Controllers, QuicStallRecovery,
                         ::testing::Values(CongestionControl::kBbr, CongestionControl::kBbr2,
                                           CongestionControl::kCubic),
                         [](const auto &param_info) {
                           return std::string(name(param_info.param));
                         });

// A congestion restart (EndpointConfig::restart_when_starved) moves the
// connection to a fresh ngtcp2 path, whose RTT starts over at ngtcp2's
// 333 ms guess until its first sample. The path is the same, so the stats
// keep its RTT: a room member 1.4 s from the relay reported the guess after
// each restart, and the room never stepped down for it.
TEST(QuicCongestionRestart, TheRttThePathHasSurvivesIt) {
  std::string error;
  auto server = Endpoint::create(
      call_like(server_config(), CongestionControl::kBbr2),
      [](const std::shared_ptr<Connection> &) { return ConnectionHandlers{}; }, error);
  ASSERT_TRUE(server) << error;
  netsim::ProxyConfig proxy_config;
  proxy_config.upstream = "127.0.0.1:" + std::to_string(server->local_port());
  proxy_config.up = proxy_config.down = {.delay = netsim::Micros(600'000)};
  netsim::UdpProxy proxy(proxy_config);
  auto config = call_like(client_config(server->fingerprint()), CongestionControl::kBbr2);
  ASSERT_TRUE(config.restart_when_starved);
  auto client = Endpoint::create(config, nullptr, error);
  ASSERT_TRUE(client) << error;
  auto connection = client->dial("127.0.0.1", proxy.listen_address().port(), {}, error);
  ASSERT_TRUE(connection) << error;
  ASSERT_TRUE(connection->wait_established(10s)) << connection->error();

  // 50 kB/s: a 1.2 s RTT needs 60 kB in flight, five initial windows, so
  // the sender stalls and restarts.
  Talker talker(connection, 1000);
  // Every reading once the path had its first sample (before the fix,
  // 333 ms for about 100 ms after each restart, until an ACK of a packet
  // sent before it came back).
  bool sampled = false;
  double lowest_rtt_ms = 1e9;
  std::optional<Clock::time_point> restarted;
  const auto give_up = Clock::now() + 30s;
  while (Clock::now() < give_up && (!restarted || Clock::now() - *restarted < 3s)) {
    const ConnectionStats stats = connection->stats();
    sampled = sampled || stats.path.min_rtt_ms > 0;
    if (sampled) lowest_rtt_ms = std::min(lowest_rtt_ms, stats.path.smoothed_rtt_ms);
    if (stats.congestion_restarts > 0 && !restarted) restarted = Clock::now();
    std::this_thread::sleep_for(10ms);  // sampling, as the client's report reads it
  }
  ASSERT_TRUE(restarted) << "the sender never restarted: nothing was tested";
  EXPECT_GE(lowest_rtt_ms, 1000.0);
}

// A server cannot migrate to restart its congestion state: starved, it asks
// its client, whose next packets leave from a second port and then from its
// own again, and ngtcp2 restarts the server's state when the client comes
// back. Through the proxy, which maps each client port to its own upstream
// port as a NAT would, the server sees two addresses, as it would on a real
// path. Before, the relay's media to a room member behind loss stayed at
// BBRv2's floor (docs/rooms.md, "What is left"). The server runs without
// path MTU discovery, as the daemon's does: with ngtcp2's no_pmtud set, a
// client's return to its old path aborted the server (an assertion).
TEST(QuicCongestionRestart, AStarvedServerRestartsThroughItsClientsBounce) {
  EndpointConfig server_settings = call_like(server_config(), CongestionControl::kBbr2);
  server_settings.path_mtu_discovery = false;
  // The dial races handshakes on this long path: the server's connection
  // is the one the client's datagram reaches.
  std::mutex mutex;
  std::condition_variable heard;
  std::shared_ptr<Connection> accepted;
  std::string error;
  auto server = Endpoint::create(
      server_settings,
      [&](const std::shared_ptr<Connection> &c) {
        ConnectionHandlers handlers;
        handlers.on_datagram = [&, weak = std::weak_ptr<Connection>(c)](auto) {
          std::lock_guard lock(mutex);
          if (!accepted) accepted = weak.lock();
          heard.notify_all();
        };
        return handlers;
      },
      error);
  ASSERT_TRUE(server) << error;
  netsim::ProxyConfig proxy_config;
  proxy_config.upstream = "127.0.0.1:" + std::to_string(server->local_port());
  proxy_config.up = proxy_config.down = {.delay = netsim::Micros(600'000)};
  netsim::UdpProxy proxy(proxy_config);
  auto client = Endpoint::create(
      call_like(client_config(server->fingerprint()), CongestionControl::kBbr2), nullptr, error);
  ASSERT_TRUE(client) << error;
  auto connection = client->dial("127.0.0.1", proxy.listen_address().port(), {}, error);
  ASSERT_TRUE(connection) << error;
  ASSERT_TRUE(connection->wait_established(10s)) << connection->error();
  std::shared_ptr<Connection> server_connection;
  {
    std::unique_lock lock(mutex);
    // Resent until heard: the first may go before there is room.
    while (!accepted) {
      connection->send_datagram(bytes("hello"));
      heard.wait_for(lock, 1s, [&] { return accepted != nullptr; });
    }
    server_connection = accepted;
  }

  // 50 kB/s from the server: a 1.2 s RTT needs 60 kB in flight, five
  // initial windows, so the server starves.
  Talker talker(server_connection, 1000);
  wzp::test::wait_until([&] { return server_connection->stats().congestion_restarts > 0; }, 30s);
  const ConnectionStats server_stats = server_connection->stats();
  const ConnectionStats client_stats = connection->stats();
  std::fprintf(stderr, "server: %llu asks, %llu restarts; client: %llu asks heard, %llu bounced\n",
               static_cast<unsigned long long>(server_stats.restart_requests_sent),
               static_cast<unsigned long long>(server_stats.congestion_restarts),
               static_cast<unsigned long long>(client_stats.restart_requests_received),
               static_cast<unsigned long long>(client_stats.bounce_packets_sent));
  EXPECT_GT(server_stats.restart_requests_sent, 0u) << "the server never starved";
  EXPECT_GT(client_stats.restart_requests_received, 0u);
  EXPECT_GT(client_stats.bounce_packets_sent, 0u);
  EXPECT_GT(server_stats.congestion_restarts, 0u) << "the bounce did not restart the server";
  EXPECT_GE(proxy.counters().clients_seen, 2u);
  EXPECT_EQ(connection->state(), Connection::State::kEstablished) << connection->error();
  EXPECT_EQ(server_connection->state(), Connection::State::kEstablished);
}

}  // namespace
}  // namespace wzp::quic::test
