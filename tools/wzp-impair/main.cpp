// wzp-impair: a UDP proxy that makes a loopback path look like a bad network
// (this kernel has no netem). Clients send to --listen; datagrams go on to
// --upstream and the replies come back, each direction impaired on its own.
//
//   wzp-impair --listen 127.0.0.1:5000 --upstream 127.0.0.1:6000 --profile warzone
//   wzp-impair --listen 127.0.0.1:5000 --upstream 127.0.0.1:6000
//              --up 'loss=0.3,burst=3,delay=150ms' --down 'loss=0.05,delay=150ms'
#include <getopt.h>
#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "libwzp/netsim/spec.hpp"
#include "libwzp/netsim/udp_proxy.hpp"

namespace {

using wzp::netsim::DirectionConfig;

void print_usage(std::ostream &out) {
  out << "usage: wzp-impair --listen HOST:PORT --upstream HOST:PORT [options]\n"
         "\n"
         "Forwards UDP from clients at --listen to --upstream and the replies back,\n"
         "impairing each direction. Prints 'ready listen=ADDR upstream=ADDR' once\n"
         "listening, counters every --interval seconds and on SIGINT/SIGTERM.\n"
         "\n"
         "  --listen HOST:PORT    where clients send (port 0: any free port)\n"
         "  --upstream HOST:PORT  where datagrams are forwarded\n"
         "  --profile NAME        both directions start from this profile\n"
         "  --up SPEC             client -> upstream settings, on top of the profile\n"
         "  --down SPEC           upstream -> client settings, on top of the profile\n"
         "  --seed N              seed for both directions (each still draws its own pattern)\n"
         "  --interval SECONDS    counter report period, 0 for none (default 5)\n"
         "  --max-clients N       distinct client addresses served (default 64)\n"
         "  -h, --help            this text\n"
         "\n"
         "SPEC is comma-separated key=value: loss (0.3 or 30%), burst (mean loss burst\n"
         "length in packets, Gilbert-Elliott), delay, jitter, queue (us/ms/s), reorder\n"
         "(0/1), dup, rate (bps/kbps/mbps), seed; it may start with a profile name.\n"
         "\nProfiles (per direction):\n";
  for (const auto &profile : wzp::netsim::profiles()) {
    out << "  " << profile.name << ": " << profile.description << "\n      " << profile.spec
        << "\n";
  }
}

[[noreturn]] void fail(const std::string &message) {
  std::cerr << "wzp-impair: " << message << "\n(see wzp-impair --help)\n";
  std::exit(2);
}

void apply(const std::string &what, const std::string &spec, DirectionConfig &config) {
  if (std::string error = wzp::netsim::parse_spec(spec, config, config); !error.empty()) {
    fail(what + ": " + error);
  }
}

}  // namespace

int main(int argc, char **argv) {
  enum Option { kListen = 1, kUpstream, kProfile, kUp, kDown, kSeed, kInterval, kMaxClients };
  const option options[] = {
      {"listen", required_argument, nullptr, kListen},
      {"upstream", required_argument, nullptr, kUpstream},
      {"profile", required_argument, nullptr, kProfile},
      {"up", required_argument, nullptr, kUp},
      {"down", required_argument, nullptr, kDown},
      {"seed", required_argument, nullptr, kSeed},
      {"interval", required_argument, nullptr, kInterval},
      {"max-clients", required_argument, nullptr, kMaxClients},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  wzp::netsim::ProxyConfig config;
  config.listen.clear();
  std::string profile = "clean", up_spec, down_spec, seed;
  long interval_seconds = 5;
  int opt;
  while ((opt = getopt_long(argc, argv, "h", options, nullptr)) != -1) {
    const std::string value = optarg != nullptr ? optarg : "";
    char *end = nullptr;
    switch (opt) {
      case kListen:
        config.listen = value;
        break;
      case kUpstream:
        config.upstream = value;
        break;
      case kProfile:
        profile = value;
        break;
      case kUp:
        up_spec = value;
        break;
      case kDown:
        down_spec = value;
        break;
      case kSeed:
        seed = value;
        break;
      case kInterval:
        interval_seconds = std::strtol(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || interval_seconds < 0 || interval_seconds > 86400) {
          fail("--interval wants whole seconds, got '" + value + "'");
        }
        break;
      case kMaxClients:
        config.max_clients = std::strtoul(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0')
          fail("--max-clients wants a number, got '" + value + "'");
        break;
      case 'h':
        print_usage(std::cout);
        return 0;
      default:
        fail("unknown option");
    }
  }
  if (optind < argc) fail(std::string("unexpected argument '") + argv[optind] + "'");
  if (config.listen.empty() || config.upstream.empty())
    fail("--listen and --upstream are required");

  DirectionConfig base;
  if (!seed.empty()) apply("--seed", "seed=" + seed, base);
  apply("--profile", profile, base);
  config.up = config.down = base;
  apply("--up", up_spec, config.up);
  apply("--down", down_spec, config.down);

  // Signals are taken synchronously by sigtimedwait below, never by a handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::unique_ptr<wzp::netsim::UdpProxy> proxy;
  try {
    proxy = std::make_unique<wzp::netsim::UdpProxy>(config);
  } catch (const std::exception &error) {
    std::cerr << "wzp-impair: " << error.what() << "\n";
    return 1;
  }
  std::cout << "ready listen=" << to_string(proxy->listen_address())
            << " upstream=" << to_string(proxy->upstream_address()) << "\n"
            << "up: " << wzp::netsim::to_spec(config.up) << "\n"
            << "down: " << wzp::netsim::to_spec(config.down) << std::endl;

  const timespec period{interval_seconds > 0 ? interval_seconds : 3600, 0};
  while (true) {
    const int sig = sigtimedwait(&signals, nullptr, &period);
    if (sig == SIGINT || sig == SIGTERM) break;
    if (sig < 0 && errno == EAGAIN && interval_seconds > 0) {
      std::cout << "stats " << format_counters(proxy->counters()) << std::endl;
    }
  }
  proxy->stop();
  std::cout << "final " << format_counters(proxy->counters()) << std::endl;
  return 0;
}
