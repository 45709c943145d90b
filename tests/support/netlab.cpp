#include "tests/support/netlab.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>

namespace wzp::test {
namespace {

using namespace std::chrono_literals;

const char *const kIp = "/usr/sbin/ip";
const char *const kNft = "/usr/sbin/nft";
const char *const kMiniupnpd = "/usr/sbin/miniupnpd";

std::atomic<int> labs{0};

std::string joined(const std::vector<std::string> &argv) {
  std::string out;
  for (const auto &arg : argv) out += (out.empty() ? "" : " ") + arg;
  return out;
}

// Namespaces of labs whose process is gone (a run killed before its
// destructors ran): wzplab-<pid>-... with no such pid.
void sweep_leftovers() {
  static const std::regex kName(R"(wzplab-(\d+)-.*)");
  std::error_code ec;
  for (const auto &entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    const std::string name = entry.path().filename().string();
    std::smatch match;
    if (!std::regex_match(name, match, kName)) continue;
    const pid_t owner = static_cast<pid_t>(std::stol(match[1]));
    if (kill(owner, 0) == 0 || errno != ESRCH) continue;
    // Its daemons outlived it, and would keep the namespace alive.
    ChildProcess pids(kIp, {"netns", "pids", name});
    pids.wait_exit(10s);
    pids.wait_output_closed(5s);
    for (const auto &line : pids.lines()) {
      if (!line.empty() && line.find_first_not_of("0123456789") == std::string::npos) {
        kill(static_cast<pid_t>(std::stol(line)), SIGKILL);
      }
    }
    ChildProcess remove(kIp, {"netns", "delete", name});
    remove.wait_exit(10s);
  }
}

}  // namespace

NetLab::NetLab() {
  if (geteuid() != 0) {
    throw std::runtime_error(
        "the NAT lab needs root to make network namespaces (CI runs as root; "
        "run `sudo ctest -L nat`)");
  }
  for (const char *tool : {kIp, kNft, kMiniupnpd}) {
    if (access(tool, X_OK) != 0) {
      throw std::runtime_error(std::string(tool) + " is missing: run scripts/setup.sh");
    }
  }
  sweep_leftovers();
  prefix_ = "wzplab-" + std::to_string(getpid()) + "-" + std::to_string(labs++);
  try {
    public_ns_ = add_namespace("pub");
    run_in(public_ns_, {kIp, "link", "add", "br0", "type", "bridge"});
    run_in(public_ns_, {kIp, "link", "set", "br0", "up"});
    run_in(public_ns_, {kIp, "addr", "add", public_address(1) + "/24", "dev", "br0"});
    run_in(public_ns_, {kIp, "addr", "add", public_address(2) + "/24", "dev", "br0"});
    run_in(public_ns_, {kIp, "addr", "add", "2001:db8:15::1/64", "dev", "br0", "nodad"});
  } catch (...) {
    remove_namespaces();
    throw;
  }
}

NetLab::~NetLab() { remove_namespaces(); }

void NetLab::remove_namespaces() {
  for (auto it = namespaces_.rbegin(); it != namespaces_.rend(); ++it) {
    ChildProcess remove(kIp, {"netns", "delete", *it});
    remove.wait_exit(10s);
  }
  namespaces_.clear();
}

std::string NetLab::run(std::vector<std::string> argv) {
  const std::string program = argv.front();
  argv.erase(argv.begin());
  ChildProcess command(program, argv);
  auto status = command.wait_exit(30s);
  command.wait_output_closed(5s);
  std::string output;
  for (const auto &line : command.lines()) output += line + "\n";
  if (!status || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    throw std::runtime_error(program + " " + joined(argv) + " failed: " + output);
  }
  return output;
}

std::string NetLab::run_in(const std::string &ns, std::vector<std::string> argv) {
  argv.insert(argv.begin(), {kIp, "netns", "exec", ns});
  return run(std::move(argv));
}

std::string NetLab::add_namespace(const std::string &suffix) {
  const std::string name = prefix_ + "-" + suffix;
  run({kIp, "netns", "add", name});
  namespaces_.push_back(name);
  run_in(name, {kIp, "link", "set", "lo", "up"});
  return name;
}

NetLab::Router &NetLab::add_router(NatKind kind, bool ipv6) {
  auto router = std::make_unique<Router>();
  router->index = static_cast<int>(routers_.size()) + 1;
  const std::string n = std::to_string(router->index);
  router->ns = add_namespace("r" + n);
  router->wan_address = "11.15.0." + std::to_string(10 + router->index);
  // Both ends are made inside namespaces, so nothing is left in the root
  // namespace, and the same names can repeat in every lab.
  run_in(public_ns_,
         {kIp, "link", "add", "r" + n, "type", "veth", "peer", "name", "wan", "netns", router->ns});
  run_in(public_ns_, {kIp, "link", "set", "r" + n, "master", "br0", "up"});
  run_in(router->ns, {kIp, "addr", "add", router->wan_address + "/24", "dev", "wan"});
  run_in(router->ns, {kIp, "link", "set", "wan", "up"});
  run_in(router->ns, {kIp, "link", "add", "lan", "type", "bridge"});
  run_in(router->ns, {kIp, "addr", "add", "10.15." + n + ".1/24", "dev", "lan"});
  run_in(router->ns, {kIp, "link", "set", "lan", "up"});
  run_in(router->ns, {"/usr/sbin/sysctl", "-qw", "net.ipv4.ip_forward=1"});
  if (ipv6) {
    // Routed, not translated: the LAN's addresses are global.
    router->ipv6_prefix = "2001:db8:15:" + n + "::";
    const std::string wan6 = "2001:db8:15::" + std::to_string(10 + router->index);
    run_in(router->ns, {kIp, "addr", "add", wan6 + "/64", "dev", "wan", "nodad"});
    run_in(router->ns, {kIp, "addr", "add", router->ipv6_prefix + "1/64", "dev", "lan", "nodad"});
    run_in(router->ns, {"/usr/sbin/sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"});
    run_in(public_ns_, {kIp, "route", "add", router->ipv6_prefix + "/64", "via", wan6});
    // Other routers' LANs are reached through the public side's routes.
    run_in(router->ns, {kIp, "-6", "route", "add", "default", "via", "2001:db8:15::1"});
    run_in(public_ns_, {"/usr/sbin/sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"});
  }
  // The chains miniupnpd fills (start_miniupnpd) are there on every router,
  // empty unless it runs.
  const std::string ruleset =
      "table inet wzplab {\n"
      "  chain forward { type filter hook forward priority 0; policy accept; jump count;\n"
      "    jump cut; jump miniupnpd; }\n"
      "  chain count { }\n"
      "  chain cut { }\n"
      "  chain miniupnpd { }\n"
      "  chain input { type filter hook input priority 0; policy accept;\n"
      "    iifname \"wan\" ct state new meta l4proto udp drop; }\n"
      "  chain prerouting { type nat hook prerouting priority dstnat; policy accept;\n"
      "    jump prerouting_miniupnpd; }\n"
      "  chain postrouting { type nat hook postrouting priority srcnat; policy accept;\n"
      "    jump postrouting_miniupnpd;\n"
      "    meta nfproto ipv4 oifname \"wan\" masquerade" +
      std::string(kind == NatKind::kSymmetric ? " random" : "") +
      "; }\n"
      "  chain prerouting_miniupnpd { }\n"
      "  chain postrouting_miniupnpd { }\n"
      "}\n";
  const std::string file = "/tmp/" + router->ns + ".nft";
  std::ofstream(file) << ruleset;
  try {
    run_in(router->ns, {kNft, "-f", file});
  } catch (...) {
    std::filesystem::remove(file);
    throw;
  }
  std::filesystem::remove(file);
  routers_.push_back(std::move(router));
  return *routers_.back();
}

void NetLab::cut(const Router &router, const std::string &address) {
  for (const char *direction : {"saddr", "daddr"}) {
    run_in(router.ns,
           {kNft, "add", "rule", "inet", "wzplab", "cut", "ip", direction, address, "drop"});
  }
}

void NetLab::restore(const Router &router) {
  run_in(router.ns, {kNft, "flush", "chain", "inet", "wzplab", "cut"});
}

void NetLab::count_to(const Router &router, const std::string &address) {
  run_in(router.ns,
         {kNft, "add", "rule", "inet", "wzplab", "count", "ip", "daddr", address, "counter"});
}

uint64_t NetLab::counted(const Router &router) {
  const std::string listing = run_in(router.ns, {kNft, "list", "chain", "inet", "wzplab", "count"});
  uint64_t packets = 0;
  for (size_t at = listing.find("packets "); at != std::string::npos;
       at = listing.find("packets ", at + 1)) {
    packets += std::stoull(listing.substr(at + 8));
  }
  return packets;
}

NetLab::Host NetLab::add_host(Router &router) {
  ++router.hosts;
  const std::string n = std::to_string(router.index);
  const std::string m = std::to_string(router.hosts);
  Host host;
  host.ns = add_namespace("h" + n + "-" + m);
  host.address = "10.15." + n + "." + std::to_string(9 + router.hosts);
  run_in(router.ns,
         {kIp, "link", "add", "h" + m, "type", "veth", "peer", "name", "eth0", "netns", host.ns});
  run_in(router.ns, {kIp, "link", "set", "h" + m, "master", "lan", "up"});
  run_in(host.ns, {kIp, "addr", "add", host.address + "/24", "dev", "eth0"});
  run_in(host.ns, {kIp, "link", "set", "eth0", "up"});
  run_in(host.ns, {kIp, "route", "add", "default", "via", "10.15." + n + ".1"});
  if (!router.ipv6_prefix.empty()) {
    host.address6 = router.ipv6_prefix + std::to_string(9 + router.hosts);
    run_in(host.ns, {kIp, "addr", "add", host.address6 + "/64", "dev", "eth0", "nodad"});
    run_in(host.ns, {kIp, "-6", "route", "add", "default", "via", router.ipv6_prefix + "1"});
  }
  return host;
}

std::unique_ptr<ChildProcess> NetLab::start(const std::string &ns, const std::string &program,
                                            std::vector<std::string> args,
                                            std::map<std::string, std::string> extra_env) {
  args.insert(args.begin(), {"netns", "exec", ns, program});
  return std::make_unique<ChildProcess>(kIp, std::move(args), std::move(extra_env));
}

std::unique_ptr<ChildProcess> NetLab::start_miniupnpd(const Router &router, const std::string &dir,
                                                      std::chrono::seconds max_lease) {
  const std::string config = dir + "/miniupnpd.conf";
  std::ofstream out(config);
  if (max_lease.count() > 0) {
    out << "min_lifetime=1\nmax_lifetime=" << max_lease.count() << "\n";
  }
  out << "ext_ifname=wan\n"
         "listening_ip=lan\n"
         "http_port=0\n"
         "enable_natpmp=yes\n"
         "enable_upnp=yes\n"
         "secure_mode=yes\n"
         "system_uptime=yes\n"
         "uuid=3d3cec3a-8cf0-11e0-98ee-001a6baa0f15\n"
         "upnp_table_name=wzplab\n"
         "upnp_nat_table_name=wzplab\n"
         "upnp_forward_chain=miniupnpd\n"
         "upnp_nat_chain=prerouting_miniupnpd\n"
         "upnp_nat_postrouting_chain=postrouting_miniupnpd\n"
         "allow 1024-65535 10.15.0.0/16 1024-65535\n"
         "deny 0-65535 0.0.0.0/0 0-65535\n";
  out.close();
  auto daemon = start(router.ns, kMiniupnpd, {"-d", "-f", config, "-P", dir + "/miniupnpd.pid"});
  // It answers both protocols once it says so; the UPnP HTTP server is up
  // before that line.
  if (!daemon->wait_for_line(std::regex("Listening for NAT-PMP/PCP traffic"), 10s)) {
    std::string output;
    for (const auto &line : daemon->lines()) output += line + "\n";
    throw std::runtime_error("miniupnpd did not start: " + output);
  }
  return daemon;
}

}  // namespace wzp::test
