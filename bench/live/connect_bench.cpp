// How long a call takes to connect through a lossy path: many QUIC dials
// through netsim::UdpProxy, each on its own seed, with wzp's dialer
// (EndpointConfig's defaults: handshake echoes and the handshake race)
// against ngtcp2's own timers (both off) and each mechanism alone, in the
// same run. Prints median, p90, p99 and max time to an
// established connection, and how many never connected within the limit.
//
// Usage: wzp_connect_bench [--dials N] [--first-seed N] [--limit-s S] [--parallel P]
//                          [--dialer NAME] [--retry never|always] [SPEC...]
//   default specs: the call-quality issue's 50 % and 70 % bursty paths.
//   --retry always: the server answers every first Initial with a Retry
//   (what EndpointConfig::retry_above_handshakes does under load), to
//   measure the round trip it adds; never (the default) is the unloaded server.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "libwzp/netsim/spec.hpp"
#include "libwzp/netsim/udp_proxy.hpp"
#include "libwzp/quic/endpoint.hpp"

namespace {

using namespace std::chrono_literals;
using wzp::quic::Endpoint;
using wzp::quic::EndpointConfig;

struct Options {
  int dials = 60;
  int parallel = 6;
  std::chrono::seconds limit{30};
  int first_seed = 1;
  std::string only_dialer;  // run just this one (its name), for a closer look
  bool always_retry = false;
  std::vector<std::string> specs;
};

struct Outcome {
  double seconds = 0;
  bool connected = false;
  size_t attempts = 0;
};

// What the dialer and the server do beyond plain ngtcp2.
struct Dialer {
  const char *name;
  bool echo;
  bool race;
};
constexpr Dialer kDialers[] = {{"wzp (echo + race)", true, true},
                               {"echo only", true, false},
                               {"race only", false, true},
                               {"neither (ngtcp2 timers)", false, false}};

Outcome dial_once(const Endpoint &server, const std::string &spec, uint64_t seed,
                  const Dialer &dialer, std::chrono::seconds limit) {
  wzp::netsim::ProxyConfig proxy_config;
  proxy_config.upstream = "127.0.0.1:" + std::to_string(server.local_port());
  std::string error =
      wzp::netsim::parse_spec(spec + ",seed=" + std::to_string(seed), {}, proxy_config.up);
  if (error.empty()) {
    error = wzp::netsim::parse_spec(spec + ",seed=" + std::to_string(seed + 1'000'000), {},
                                    proxy_config.down);
  }
  if (!error.empty()) {
    std::fprintf(stderr, "bad spec '%s': %s\n", spec.c_str(), error.c_str());
    std::exit(2);
  }
  wzp::netsim::UdpProxy proxy(proxy_config);
  EndpointConfig config;
  config.bind_address = "127.0.0.1";
  config.tls.server_fingerprint = server.fingerprint();
  config.handshake_timeout = limit;
  config.idle_timeout = limit;
  if (!dialer.race) config.handshake_attempts = 1;
  if (!dialer.echo) config.handshake_echo_copies = 0;
  auto client = Endpoint::create(config, nullptr, error);
  if (!client) {
    std::fprintf(stderr, "client: %s\n", error.c_str());
    std::exit(2);
  }
  auto start = std::chrono::steady_clock::now();
  auto connection = client->dial("127.0.0.1", proxy.listen_address().port(), {}, error);
  Outcome outcome;
  outcome.connected = connection && connection->wait_established(limit);
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (connection) outcome.attempts = connection->stats().handshake_attempts;
  return outcome;
}

double percentile(std::vector<double> sorted, double q) {
  if (sorted.empty()) return 0;
  size_t index = static_cast<size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

void run(const Endpoint &server, const std::string &spec, const Dialer &dialer,
         const Options &options) {
  std::vector<Outcome> outcomes(static_cast<size_t>(options.dials));
  std::mutex mutex;
  int next = 0;
  std::vector<std::thread> workers;
  for (int w = 0; w < options.parallel; ++w) {
    workers.emplace_back([&] {
      for (;;) {
        int index;
        {
          std::lock_guard lock(mutex);
          if (next == options.dials) return;
          index = next++;
        }
        outcomes[static_cast<size_t>(index)] = dial_once(
            server, spec, static_cast<uint64_t>(index + options.first_seed), dialer, options.limit);
      }
    });
  }
  for (auto &worker : workers) worker.join();
  std::vector<double> times;
  size_t failed = 0, attempts = 0;
  std::string failed_seeds;
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const Outcome &o = outcomes[i];
    if (o.connected) {
      times.push_back(o.seconds);
    } else {
      ++failed;
      failed_seeds += " " + std::to_string(static_cast<int>(i) + options.first_seed);
    }
    attempts += o.attempts;
  }
  if (failed > 0)
    std::fprintf(stderr, "%s, %s: failed seeds%s\n", spec.c_str(), dialer.name,
                 failed_seeds.c_str());
  std::sort(times.begin(), times.end());
  // A dial that never connected counts as the limit: p99 then shows it.
  std::vector<double> all = times;
  all.insert(all.end(), failed, static_cast<double>(options.limit.count()));
  std::sort(all.begin(), all.end());
  std::printf("| %s | %s | %d | %.2f | %.2f | %.2f | %.2f | %zu | %.1f |\n", spec.c_str(),
              dialer.name, options.dials, percentile(all, 0.5), percentile(all, 0.9),
              percentile(all, 0.99), all.empty() ? 0.0 : all.back(), failed,
              static_cast<double>(attempts) / static_cast<double>(outcomes.size()));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char **argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
    if (arg == "--dials") {
      options.dials = std::max(1, value());
    } else if (arg == "--parallel") {
      options.parallel = std::max(1, value());
    } else if (arg == "--limit-s") {
      options.limit = std::chrono::seconds(std::max(1, value()));
    } else if (arg == "--first-seed") {
      options.first_seed = std::max(1, value());
    } else if (arg == "--dialer") {
      options.only_dialer = i + 1 < argc ? argv[++i] : "";
    } else if (arg == "--retry" && i + 1 < argc &&
               (std::string(argv[i + 1]) == "always" || std::string(argv[i + 1]) == "never")) {
      options.always_retry = std::string(argv[++i]) == "always";
    } else if (arg.rfind("--", 0) == 0) {
      std::fprintf(stderr,
                   "usage: %s [--dials N] [--first-seed N] [--limit-s S] [--parallel P] "
                   "[--dialer NAME] [--retry never|always] [SPEC...]\n",
                   argv[0]);
      return 2;
    } else {
      options.specs.push_back(arg);
    }
  }
  if (options.specs.empty()) {
    options.specs = {"loss=0.5,burst=3,delay=150ms,jitter=20ms,rate=200kbps,queue=500ms",
                     "loss=0.7,burst=3,delay=150ms,jitter=20ms,rate=200kbps,queue=500ms"};
  }
  // One server per dialer kind: a plain dialer meets a server that does not
  // echo either.
  std::unique_ptr<Endpoint> servers[2];
  EndpointConfig server_config;
  server_config.bind_address = "127.0.0.1";
  server_config.accept_connections = true;
  server_config.max_handshakes = 1024;
  server_config.max_connections = 1024;
  server_config.handshake_timeout = options.limit;
  // Every dial comes through a proxy on 127.0.0.1: one source.
  server_config.max_handshakes_per_source = server_config.max_handshakes;
  server_config.retry_above_handshakes = options.always_retry ? 0 : server_config.max_handshakes;
  std::string error;
  for (bool echo : {false, true}) {
    server_config.handshake_echo_copies = echo ? EndpointConfig{}.handshake_echo_copies : 0;
    servers[echo] = Endpoint::create(server_config, nullptr, error);
    if (!servers[echo]) {
      std::fprintf(stderr, "server: %s\n", error.c_str());
      return 2;
    }
  }
  std::printf(
      "seconds to an established QUIC connection (both directions impaired, seed = "
      "dial number; a dial that fails counts as %lld s; Retry %s)\n\n",
      static_cast<long long>(options.limit.count()), options.always_retry ? "always" : "never");
  std::printf("| path | dialer | dials | median | p90 | p99 | max | failed | attempts/dial |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const auto &spec : options.specs) {
    for (const Dialer &dialer : kDialers) {
      if (options.only_dialer.empty() || options.only_dialer == dialer.name) {
        run(*servers[dialer.echo], spec, dialer, options);
      }
    }
  }
  return 0;
}
