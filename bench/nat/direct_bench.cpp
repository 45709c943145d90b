// How often, and how soon, a call's media goes direct through real NATs
// (docs/nat.md, "Measured"): per pair of NATs, N calls between real `wzp`
// processes in tests/support/netlab's namespaces through a real
// wzp-signald, each its own lab. Prints, per pair, the share of calls that
// ended on a direct path and the time from media start to the first
// direct media (caller and callee, min / median / max over the calls that
// went direct); with --cut, calls whose direct path is cut and restored:
// the time from the cut to both sides on the relay alone and from the
// restore to both direct again. The relay is what every call starts on,
// so there is no peer to race: the table is the whole result.
//
// Needs root (network namespaces, nftables), like ctest -L nat:
//   sudo build/bench/nat/wzp_direct_bench [--trials N] [--cut N] [--only TEXT]
// (--only: the pairs whose name contains TEXT).
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "tests/support/netlab.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/signald_daemon.hpp"

namespace {

using namespace std::chrono_literals;
using wzp::test::ChildProcess;
using wzp::test::NatKind;
using wzp::test::NetLab;

std::string output_of(ChildProcess &process) {
  std::string out;
  for (const auto &line : process.lines()) out += line + "\n";
  return out;
}

std::optional<double> first_direct(const std::string &said) {
  std::smatch m;
  if (!std::regex_search(said, m, std::regex(R"(first direct ([0-9.]+) s)"))) return std::nullopt;
  return std::stod(m[1]);
}

std::string final_path(const std::string &said) {
  std::smatch m;
  if (!std::regex_search(said, m, std::regex(R"(  media path +(.+?) \()"))) return "?";
  return m[1];
}

struct Pair {
  const char *name;
  NatKind a, b;
  bool one_lan;          // both hosts behind router a, called by fingerprint
  bool gateway = false;  // miniupnpd (NAT-PMP, PCP, UPnP IGD) on router b
  bool ipv6 = false;     // both routers route IPv6 untranslated beside the NAT
};

// One call in a lab of its own; the two summaries, or nullopt if it failed.
struct Call {
  std::string alice, bob;
  double cut_to_relay_ms = -1, restore_to_direct_ms = -1;
};

class Bench {
 public:
  explicit Bench(std::filesystem::path dir) : dir_(std::move(dir)) {
    for (auto [who, text] : {std::pair{"short", "A short call to see which path it takes."},
                             {"long",
                              "A longer call: its direct path is cut and restored "
                              "while both sides keep talking, to time the moves "
                              "between the direct path and the relay, both ways, "
                              "and back again, until the end."}}) {
      ChildProcess speak("/usr/bin/espeak-ng",
                         {"-w", (dir_ / (std::string(who) + ".wav")).string(), text});
      speak.wait_exit(30s);
    }
    for (const char *who : {"alice", "bob"}) {
      ChildProcess id(wzp_, {"id", "new"}, env(who));
      id.wait_exit(30s);
    }
  }

  std::optional<Call> run(const Pair &pair, bool cut) {
    NetLab lab;
    auto &ra = lab.add_router(pair.a, pair.ipv6);
    auto &rb = pair.one_lan ? ra : lab.add_router(pair.b, pair.ipv6);
    auto alice_host = lab.add_host(ra);
    auto bob_host = lab.add_host(rb);
    std::unique_ptr<ChildProcess> gateway;
    if (pair.gateway) {
      try {
        gateway = lab.start_miniupnpd(rb, dir_.string());
      } catch (const std::exception &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return std::nullopt;
      }
    }
    // As in the IPv6 test: the first packet across the routers is a ping.
    if (pair.ipv6)
      lab.run_in(alice_host.ns, {"/usr/bin/ping", "-6", "-c1", "-W5", bob_host.address6});
    wzp::test::SignaldDaemon daemon(dir_, {"--listen", NetLab::public_address(1) + ":0"},
                                    {"/usr/sbin/ip", "netns", "exec", lab.public_ns()});
    if (!daemon.ready()) return std::nullopt;
    server_ = NetLab::public_address(1) + ":" + std::to_string(daemon.quic_port());
    fingerprint_ = daemon.certificate();
    const std::string speech = (dir_ / (cut ? "long.wav" : "short.wav")).string();
    auto bob = lab.start(bob_host.ns, wzp_,
                         {"answer", "--auto-answer", "--alias", "bob", "--in", speech, "--out",
                          (dir_ / "at_bob.wav").string()},
                         env("bob"));
    std::smatch m;
    auto line = bob->wait_for_line(std::regex("signed in to .* as .*\\(@bob\\)"), 20s);
    if (!line || !std::regex_search(*line, m, std::regex(R"(as ([0-9a-f:]+) \(@bob\))"))) {
      return std::nullopt;
    }
    auto alice = lab.start(alice_host.ns, wzp_,
                           {"call", pair.one_lan ? m[1].str() : "@bob", "--in", speech, "--out",
                            (dir_ / "at_alice.wav").string()},
                           env("alice"));
    Call call;
    if (cut) {
      const std::regex direct("^media path: direct"), relay("^media path: relay");
      if (!alice->wait_for_line(direct, 20s)) return std::nullopt;
      const size_t a = alice->line_count(), b = bob->line_count();
      const auto cut_at = std::chrono::steady_clock::now();
      lab.cut(ra, rb.wan_address);
      if (!alice->wait_for_lines(relay, 1, a, 10s) || !bob->wait_for_lines(relay, 1, b, 10s)) {
        return std::nullopt;
      }
      const auto relay_at = std::chrono::steady_clock::now();
      const size_t a2 = alice->line_count(), b2 = bob->line_count();
      lab.restore(ra);
      if (!alice->wait_for_lines(direct, 1, a2, 20s) || !bob->wait_for_lines(direct, 1, b2, 20s)) {
        return std::nullopt;
      }
      call.cut_to_relay_ms = std::chrono::duration<double, std::milli>(relay_at - cut_at).count();
      call.restore_to_direct_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - relay_at)
              .count();
    }
    auto alice_status = alice->wait_exit(90s);
    auto bob_status = bob->wait_exit(30s);
    alice->wait_output_closed(5s);
    bob->wait_output_closed(5s);
    for (const auto &status : {alice_status, bob_status}) {
      if (!status || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0) return std::nullopt;
    }
    call.alice = output_of(*alice);
    call.bob = output_of(*bob);
    return call;
  }

 private:
  std::map<std::string, std::string> env(const std::string &who) const {
    std::map<std::string, std::string> env = {
        {"WZP_IDENTITY", (dir_ / (who + ".id")).string()},
        {"WZP_PASSPHRASE", "pass of " + who},
        {"GST_PLUGIN_PATH", (wzp::test::build_dir() / "gst-plugins").string()}};
    if (!server_.empty()) {
      env["WZP_SERVER"] = server_;
      env["WZP_SERVER_FINGERPRINT"] = fingerprint_;
    }
    return env;
  }

  std::filesystem::path dir_;
  const std::string wzp_ = wzp::test::build_binary("client/wzp").string();
  std::string server_, fingerprint_;
};

std::string spread(std::vector<double> v, const char *unit) {
  if (v.empty()) return "-";
  std::sort(v.begin(), v.end());
  char text[96];
  std::snprintf(text, sizeof text, "%.2f / %.2f / %.2f %s", v.front(), v[v.size() / 2], v.back(),
                unit);
  return text;
}

}  // namespace

int main(int argc, char **argv) {
  int trials = 5, cuts = 0;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--trials") == 0) trials = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--cut") == 0) cuts = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--only") == 0) only = argv[i + 1];
  }
  if (getenv("WZP_BUILD_DIR") == nullptr) setenv("WZP_BUILD_DIR", WZP_BENCH_BUILD_DIR, 1);
  const auto dir = wzp::test::make_temp_dir("direct-bench");
  Bench bench(dir);
  const Pair pairs[] = {
      {"one LAN, no hairpin", NatKind::kEndpointIndependent, NatKind::kEndpointIndependent, true},
      {"cone + cone", NatKind::kEndpointIndependent, NatKind::kEndpointIndependent, false},
      {"cone + symmetric", NatKind::kEndpointIndependent, NatKind::kSymmetric, false},
      {"symmetric + symmetric", NatKind::kSymmetric, NatKind::kSymmetric, false},
      {"cone + symmetric with miniupnpd", NatKind::kEndpointIndependent, NatKind::kSymmetric, false,
       true},
      {"cone + cone, IPv6 routed beside", NatKind::kEndpointIndependent,
       NatKind::kEndpointIndependent, false, false, true},
  };
  std::printf(
      "| NAT pair | calls direct | final path | media start to direct, caller "
      "(min / median / max) | callee |\n|---|---|---|---|---|\n");
  for (const auto &pair : pairs) {
    if (std::string(pair.name).find(only) == std::string::npos) continue;
    int direct = 0, failed = 0;
    std::vector<double> caller, callee;
    std::map<std::string, int> paths;
    for (int t = 0; t < trials; ++t) {
      auto call = bench.run(pair, false);
      if (!call) {
        ++failed;
        continue;
      }
      const std::string path = final_path(call->alice);
      ++paths[path];
      if (path.starts_with("direct") && final_path(call->bob) == path) ++direct;
      if (auto s = first_direct(call->alice)) caller.push_back(*s);
      if (auto s = first_direct(call->bob)) callee.push_back(*s);
    }
    std::string path_text;
    for (const auto &[path, n] : paths) {
      path_text += (path_text.empty() ? "" : ", ") + path + " " + std::to_string(n);
    }
    std::printf("| %s | %d of %d%s | %s | %s | %s |\n", pair.name, direct, trials,
                failed ? (" (" + std::to_string(failed) + " failed)").c_str() : "",
                path_text.c_str(), spread(caller, "s").c_str(), spread(callee, "s").c_str());
    std::fflush(stdout);
  }
  if (cuts > 0) {
    std::vector<double> to_relay, to_direct;
    int failed = 0;
    for (int t = 0; t < cuts; ++t) {
      auto call = bench.run(pairs[1], true);
      if (!call) {
        ++failed;
        continue;
      }
      to_relay.push_back(call->cut_to_relay_ms);
      to_direct.push_back(call->restore_to_direct_ms);
    }
    std::printf(
        "\ncone + cone, direct path cut and restored, %d calls (%d failed):\n"
        "  cut to both on the relay alone:  %s\n"
        "  restore to both direct again:    %s\n",
        cuts, failed, spread(to_relay, "ms").c_str(), spread(to_direct, "ms").c_str());
  }
  std::filesystem::remove_all(dir);
  return 0;
}
