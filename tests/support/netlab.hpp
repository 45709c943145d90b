// Real NATs for integration tests: network namespaces joined by veth pairs,
// with Linux routers doing NAT by nftables masquerade between private LANs
// and a "public" segment where the daemon lives (docs/nat.md, "Testing on
// real NATs"). Needs root; a test that cannot build its lab fails, it is
// never skipped.
//
//   public ns: bridge br0, 11.15.0.1 and 11.15.0.2 (servers), 2001:db8:15::1
//     ├─ router N: wan 11.15.0.(10+N) ─ NAT ─ lan 10.15.N.1/24
//     │    └─ host N.M: eth0 10.15.N.(9+M), default route via the router
//
// A router made with IPv6 also routes 2001:db8:15:N::/64 to its LAN,
// without NAT (hosts get 2001:db8:15:N::(9+M)), and the public namespace
// routes between such LANs.
//
// The public segment is outside every reserved range because miniupnpd
// refuses to map ports on a reserved external address; none of it leaves
// the namespaces. Every namespace is named wzplab-<pid>-<lab>-..., so labs
// of parallel test processes never meet, and a lab removes what it made
// when destroyed; one whose process was killed is swept by the next lab.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace wzp::test {

// Every router drops new UDP flows from the public side to itself, as a
// home router's firewall does: a peer's packet that arrives before ours
// went out is dropped without leaving a conntrack entry, which would
// otherwise take our port and make the masquerade map us to another.
enum class NatKind {
  // masquerade: endpoint-independent, port-preserving mapping; filtering
  // by address and port (conntrack), no hairpinning.
  kEndpointIndependent,
  // masquerade random: a new random port for every new destination, the
  // "symmetric" NAT that defeats reflexive candidates.
  kSymmetric,
};

class NetLab {
 public:
  struct Router {
    std::string ns;
    std::string wan_address;  // its public address
    std::string ipv6_prefix;  // "2001:db8:15:N::" when it routes IPv6, else ""
    int index = 0;
    int hosts = 0;
  };
  struct Host {
    std::string ns;
    std::string address;
    std::string address6;  // behind an IPv6 router, else ""
  };

  // Throws std::runtime_error saying what failed (not root, no `ip` or
  // `nft`, a command's own error).
  NetLab();
  ~NetLab();
  NetLab(const NetLab &) = delete;
  NetLab &operator=(const NetLab &) = delete;

  const std::string &public_ns() const { return public_ns_; }
  // The servers' addresses on the public segment, n = 1 or 2.
  static std::string public_address(int n) { return "11.15.0." + std::to_string(n); }

  Router &add_router(NatKind kind, bool ipv6 = false);
  Host add_host(Router &router);
  // Starts a program inside `ns` (through `ip netns exec`, which execs it,
  // so signals reach the program itself).
  std::unique_ptr<ChildProcess> start(const std::string &ns, const std::string &program,
                                      std::vector<std::string> args,
                                      std::map<std::string, std::string> extra_env = {});
  // Drops everything `router` forwards to or from `address` (a path cut
  // mid-call), until restore().
  void cut(const Router &router, const std::string &address);
  void restore(const Router &router);
  // Counts the packets `router` forwards to `address`; counted() sums them.
  void count_to(const Router &router, const std::string &address);
  uint64_t counted(const Router &router);
  // Runs a command inside `ns` to its end; throws with its output on failure.
  std::string run_in(const std::string &ns, std::vector<std::string> argv);
  // miniupnpd (NAT-PMP, PCP and UPnP IGD) on `router`'s LAN, with its
  // config and pid file in `dir`; returns once it listens. A `max_lease`
  // caps the PCP leases it grants (its max_lifetime), so a test sees a
  // renewal within a call.
  std::unique_ptr<ChildProcess> start_miniupnpd(const Router &router, const std::string &dir,
                                                std::chrono::seconds max_lease = {});

 private:
  std::string run(std::vector<std::string> argv);
  std::string add_namespace(const std::string &suffix);
  void remove_namespaces();

  std::string prefix_;
  std::string public_ns_;
  std::vector<std::string> namespaces_;
  std::vector<std::unique_ptr<Router>> routers_;
};

}  // namespace wzp::test
