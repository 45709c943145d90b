// The handshake through the warzone profile (40 % bursty loss, 600 ms RTT,
// 200 kbps) both ways, over several seeds: it completes, and the packets
// both sides sent for it stay bounded (each handshake packet is echoed a
// fixed number of times, attempts are raced at most a few at a time, and
// the client's probes come at a fixed interval, so a lossy path is not
// flooded). Prints the time each took; how fast it
// is belongs to bench/live (wzp_connect_bench).
#include <gtest/gtest.h>

#include <cstdio>

#include "libwzp/netsim/spec.hpp"
#include "libwzp/netsim/udp_proxy.hpp"
#include "tests/unit/quic/quic_test_util.hpp"

namespace wzp::quic::test {
namespace {

netsim::DirectionConfig warzone(uint64_t seed) {
  netsim::DirectionConfig config;
  std::string error =
      netsim::parse_spec("warzone,seed=" + std::to_string(seed), netsim::DirectionConfig{}, config);
  EXPECT_EQ(error, "");
  return config;
}

TEST(QuicHandshakeWarzone, CompletesWithFewPacketsOverSeveralSeeds) {
  std::string error;
  auto server = Endpoint::create(server_config(), nullptr, error);
  ASSERT_TRUE(server) << error;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    netsim::ProxyConfig proxy_config;
    proxy_config.upstream = "127.0.0.1:" + std::to_string(server->local_port());
    proxy_config.up = warzone(seed);
    proxy_config.down = warzone(seed + 100);
    netsim::UdpProxy proxy(proxy_config);
    auto config = client_config(server->fingerprint());
    config.handshake_timeout = 20s;
    auto client = Endpoint::create(config, nullptr, error);
    ASSERT_TRUE(client) << error;
    auto start = std::chrono::steady_clock::now();
    auto connection = client->dial("127.0.0.1", proxy.listen_address().port(), {}, error);
    ASSERT_TRUE(connection) << error;
    bool established = connection->wait_established(20s);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    auto counters = proxy.counters();
    std::fprintf(stderr,
                 "seed %llu: handshake %s in %lld ms; client sent %llu packets (%llu lost), "
                 "server sent %llu (%llu lost)\n",
                 static_cast<unsigned long long>(seed), established ? "done" : "FAILED",
                 static_cast<long long>(took.count()),
                 static_cast<unsigned long long>(counters.up.packets_in),
                 static_cast<unsigned long long>(counters.up.lost + counters.up.queue_dropped),
                 static_cast<unsigned long long>(counters.down.packets_in),
                 static_cast<unsigned long long>(counters.down.lost + counters.down.queue_dropped));
    EXPECT_TRUE(established) << "seed " << seed << ": " << connection->error();
    // A handshake attempt is a few packets each way, each sent 1 + echo
    // copies times; without the echo limit a lost flight would be repeated
    // until the handshake ends. Beside them, the client's probes while it
    // waits for HANDSHAKE_DONE, each answered by an acknowledgement.
    const auto stats = connection->stats();
    EXPECT_GE(stats.handshake_attempts, 1u);
    EXPECT_LE(stats.handshake_attempts, config.handshake_attempts);
    const size_t per_attempt = 8 * (1 + config.handshake_echo_copies);
    EXPECT_LT(counters.up.packets_in + counters.down.packets_in,
              per_attempt * stats.handshake_attempts + 2 * stats.signaling_probes_sent)
        << "seed " << seed;
  }
}

}  // namespace
}  // namespace wzp::quic::test
