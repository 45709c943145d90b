// Candidate gathering through real Linux NATs (tests/support/netlab.hpp):
// what a client behind each kind of NAT learns about itself from the real
// daemon, from a reflector on two ports, and from a real gateway daemon
// (miniupnpd) granting and taking back a port mapping.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <regex>

#include "tests/support/netlab.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/signald_daemon.hpp"

namespace wzp::test {
namespace {

using namespace std::chrono_literals;

std::string probe() { return build_binary("tests/integration/nat/nat_probe").string(); }

std::string all_lines(const ChildProcess &process) {
  std::string out;
  for (const auto &line : process.lines()) out += line + "\n";
  return out;
}

// The first capture of the first line matching `pattern`; "" if none.
std::string first(const ChildProcess &process, const std::string &pattern) {
  const std::regex re(pattern);
  for (const auto &line : process.lines()) {
    std::smatch match;
    if (std::regex_search(line, match, re)) return match[1];
  }
  return "";
}

class NatLabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Not being able to build the lab (not root, no nft) is a failure: a
    // test that did not run has not passed.
    try {
      lab_ = std::make_unique<NetLab>();
    } catch (const std::exception &e) {
      FAIL() << "cannot build the NAT lab: " << e.what();
    }
    dir_ = make_temp_dir("nat");
  }
  void TearDown() override {
    lab_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<ChildProcess> gather(const NetLab::Host &host, std::vector<std::string> args) {
    args.insert(args.begin(), "gather");
    auto process = lab_->start(host.ns, probe(), args);
    EXPECT_TRUE(process->wait_for_line(std::regex("^gathered"), 15s)) << all_lines(*process);
    return process;
  }

  std::unique_ptr<NetLab> lab_;
  std::filesystem::path dir_;
};

TEST_F(NatLabTest, ReflexiveCandidateIsTheNatsPublicAddress) {
  auto &cone = lab_->add_router(NatKind::kEndpointIndependent);
  auto &symmetric = lab_->add_router(NatKind::kSymmetric);
  auto cone_host = lab_->add_host(cone);
  auto symmetric_host = lab_->add_host(symmetric);
  SignaldDaemon daemon(dir_,
                       {"--listen", NetLab::public_address(1) + ":0", "--stun-listen",
                        NetLab::public_address(1) + ":0"},
                       {"/usr/sbin/ip", "netns", "exec", lab_->public_ns()});
  ASSERT_TRUE(daemon.ready()) << all_lines(daemon.process());
  ASSERT_NE(daemon.stun_port(), 0) << all_lines(daemon.process());
  // The daemon's STUN port is the second reflection of the same socket.
  const std::vector<std::string> args = {"--daemon",
                                         NetLab::public_address(1),
                                         std::to_string(daemon.quic_port()),
                                         daemon.certificate(),
                                         "--stun",
                                         std::to_string(daemon.stun_port()),
                                         "--no-port-mapping"};

  auto behind_cone = gather(cone_host, args);
  const std::string port = first(*behind_cone, R"(^local-port (\d+))");
  ASSERT_FALSE(port.empty()) << all_lines(*behind_cone);
  // The host's own address, and the router's public one: a port-preserving
  // NAT keeps the port.
  EXPECT_EQ(first(*behind_cone, R"(^candidate host (\S+))"), cone_host.address + ":" + port)
      << all_lines(*behind_cone);
  EXPECT_EQ(first(*behind_cone, R"(^candidate reflexive (\S+))"), cone.wan_address + ":" + port)
      << all_lines(*behind_cone);
  // Both of the daemon's ports saw the same mapping.
  EXPECT_EQ(first(*behind_cone, R"(^behaviour (.+))"), "endpoint-independent, port-preserving")
      << all_lines(*behind_cone);

  auto behind_symmetric = gather(symmetric_host, args);
  const std::string reflexive = first(*behind_symmetric, R"(^candidate reflexive (\S+))");
  EXPECT_EQ(reflexive.substr(0, reflexive.find(':')), symmetric.wan_address)
      << all_lines(*behind_symmetric);
  // `masquerade random`: a port of its choosing for each destination.
  EXPECT_EQ(first(*behind_symmetric, R"(^behaviour (\w+))"), "random")
      << all_lines(*behind_symmetric);
  // What docs/nat.md quotes ("Measured"): ctest -L nat -V shows it.
  for (auto *process : {behind_cone.get(), behind_symmetric.get()}) {
    std::printf("%s in %s ms\n", first(*process, R"(^(behaviour .+))").c_str(),
                first(*process, R"(^gathered \d+ in (\d+) ms)").c_str());
  }
  // Loopback is never offered, and each list is ranked: host first.
  for (auto *process : {behind_cone.get(), behind_symmetric.get()}) {
    EXPECT_EQ(first(*process, R"(^candidate \S+ (127\.\S+))"), "") << all_lines(*process);
    EXPECT_EQ(first(*process, R"(^candidate (\S+))"), "host") << all_lines(*process);
  }
}

TEST_F(NatLabTest, IPv6BesideTheNatGivesAGlobalHostCandidateFirst) {
  auto &router = lab_->add_router(NatKind::kEndpointIndependent, /*ipv6=*/true);
  auto host = lab_->add_host(router);
  // The lab routes the host's IPv6 address from the public side, untranslated.
  lab_->run_in(lab_->public_ns(), {"/usr/bin/ping", "-6", "-c1", "-W5", host.address6});
  SignaldDaemon daemon(dir_, {"--listen", NetLab::public_address(1) + ":0"},
                       {"/usr/sbin/ip", "netns", "exec", lab_->public_ns()});
  ASSERT_TRUE(daemon.ready()) << all_lines(daemon.process());
  auto client =
      gather(host, {"--daemon", NetLab::public_address(1), std::to_string(daemon.quic_port()),
                    daemon.certificate(), "--no-port-mapping"});
  const std::string port = first(*client, R"(^local-port (\d+))");
  // RFC 8421's order: IPv6 first, then IPv4, then the reflexive address;
  // the link-local fe80:: address every veth has is not offered.
  std::vector<std::string> candidates;
  for (const auto &line : client->lines()) {
    if (line.starts_with("candidate ")) candidates.push_back(line.substr(0, line.rfind(' ')));
  }
  EXPECT_EQ(candidates,
            (std::vector<std::string>{"candidate host [" + host.address6 + "]:" + port,
                                      "candidate host " + host.address + ":" + port,
                                      "candidate reflexive " + router.wan_address + ":" + port}))
      << all_lines(*client);
}

TEST_F(NatLabTest, WithoutAGatewayPortMappingGivesUpWithReasons) {
  auto &router = lab_->add_router(NatKind::kEndpointIndependent);
  auto host = lab_->add_host(router);
  auto client = gather(host, {"--budget", "1500"});
  EXPECT_EQ(first(*client, R"(^candidate mapped (\S+))"), "") << all_lines(*client);
  EXPECT_NE(first(*client, R"(^note (NAT-PMP: .+))"), "") << all_lines(*client);
  EXPECT_EQ(first(*client, R"(^note (PCP: .+))"), "PCP: the gateway does not answer PCP")
      << all_lines(*client);
  EXPECT_EQ(first(*client, R"(^note (UPnP: .+))"), "UPnP: no gateway answered discovery")
      << all_lines(*client);
  EXPECT_EQ(first(*client, R"(^candidate (\S+))"), "host") << all_lines(*client);
}

TEST_F(NatLabTest, SymmetricNatMapsEachDestinationApart) {
  auto &cone = lab_->add_router(NatKind::kEndpointIndependent);
  auto &symmetric = lab_->add_router(NatKind::kSymmetric);
  auto cone_host = lab_->add_host(cone);
  auto symmetric_host = lab_->add_host(symmetric);
  auto reflector = lab_->start(lab_->public_ns(), probe(),
                               {"reflector", NetLab::public_address(1), "3478", "3479"});
  ASSERT_TRUE(reflector->wait_for_line(std::regex("reflector ready"), 10s))
      << all_lines(*reflector);

  auto ask = [&](const NetLab::Host &host) {
    auto process =
        lab_->start(host.ns, probe(), {"mapping", NetLab::public_address(1), "3478", "3479"});
    auto status = process->wait_exit(15s);
    process->wait_output_closed(5s);
    EXPECT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << all_lines(*process);
    return std::pair{first(*process, R"(^seen-by 3478 (\S+))"),
                     first(*process, R"(^seen-by 3479 (\S+))")};
  };
  // One socket, two destinations: the same mapping through the cone NAT...
  auto [cone_a, cone_b] = ask(cone_host);
  EXPECT_EQ(cone_a.substr(0, cone_a.find(':')), cone.wan_address);
  EXPECT_EQ(cone_a, cone_b);
  // ... and a new one per destination through the symmetric NAT, so the
  // daemon's reflection tells a peer nothing it could use.
  auto [symmetric_a, symmetric_b] = ask(symmetric_host);
  EXPECT_EQ(symmetric_a.substr(0, symmetric_a.find(':')), symmetric.wan_address);
  EXPECT_EQ(symmetric_b.substr(0, symmetric_b.find(':')), symmetric.wan_address);
  EXPECT_NE(symmetric_a, symmetric_b);
}

TEST_F(NatLabTest, GatewayGrantsAMappedCandidateAndTakesItBack) {
  auto &router = lab_->add_router(NatKind::kEndpointIndependent);
  auto host = lab_->add_host(router);
  std::unique_ptr<ChildProcess> gateway;
  try {
    gateway = lab_->start_miniupnpd(router, dir_.string());
  } catch (const std::exception &e) {
    FAIL() << e.what();
  }
  auto client = gather(host, {"--budget", "3000"});
  const std::string port = first(*client, R"(^local-port (\d+))");
  ASSERT_FALSE(port.empty()) << all_lines(*client);
  const std::string external = router.wan_address + ":" + port;
  EXPECT_EQ(first(*client, R"(^candidate mapped (\S+))"), external) << all_lines(*client);
  EXPECT_EQ(first(*client, R"(^mapping NAT-PMP (\S+))"), external) << all_lines(*client);
  EXPECT_EQ(first(*client, R"(^mapping PCP (\S+))"), external) << all_lines(*client);
  EXPECT_EQ(first(*client, R"(^mapping UPnP IGD (\S+))"), external) << all_lines(*client);
  // The router forwards the port to the host while the mappings are held...
  const std::string rule = "dport " + port + " dnat ip to " + host.address + ":" + port;
  auto rules = [&] {
    return lab_->run_in(
        router.ns, {"/usr/sbin/nft", "list", "chain", "inet", "wzplab", "prerouting_miniupnpd"});
  };
  EXPECT_NE(rules().find(rule), std::string::npos) << rules();
  // Each protocol renews its mapping: the same address again.
  auto renew = [&] {
    const size_t from = client->line_count();
    client->signal(SIGUSR1);
    EXPECT_TRUE(client->wait_for_lines(std::regex("^renew-done"), 1, from, 10s))
        << all_lines(*client);
    std::vector<std::string> said = client->lines();
    said.erase(said.begin(), said.begin() + static_cast<std::ptrdiff_t>(from));
    // What docs/nat.md quotes ("Renewal").
    for (const auto &line : said) std::printf("probe: %s\n", line.c_str());
    return said;
  };
  auto count = [](const std::vector<std::string> &lines, const std::string &pattern) {
    return std::count_if(lines.begin(), lines.end(), [&](const std::string &line) {
      return std::regex_search(line, std::regex(pattern));
    });
  };
  const std::string external_re = std::regex_replace(external, std::regex(R"(\.)"), R"(\.)");
  auto renewed = renew();
  for (const char *protocol : {"NAT-PMP", "PCP", "UPnP IGD"}) {
    EXPECT_EQ(count(renewed, std::string("^renewed ") + protocol + " " + external_re + " [1-9]"), 1)
        << all_lines(*client);
  }
  // A second host asks for the same port while the first holds it: each
  // protocol still grants one, another port on the router's address (UPnP
  // IGD refuses ours as ConflictInMappingEntry, and we ask for another).
  {
    auto other = gather(lab_->add_host(router), {"--budget", "3000", "--port", port});
    const std::string wan_re = std::regex_replace(router.wan_address, std::regex(R"(\.)"), R"(\.)");
    for (const char *protocol : {"NAT-PMP", "PCP", "UPnP IGD"}) {
      const std::string theirs = first(*other, std::string("^mapping ") + protocol + R"( (\S+))");
      EXPECT_TRUE(std::regex_match(theirs, std::regex(wan_re + R"(:\d+)"))) << all_lines(*other);
      EXPECT_NE(theirs, external) << all_lines(*other);
    }
    // What docs/nat.md quotes ("Renewal").
    for (const auto &line : other->lines()) {
      if (line.starts_with("mapping ")) std::printf("other: %s\n", line.c_str());
    }
    other->signal(SIGTERM);
    EXPECT_TRUE(other->wait_for_line(std::regex("^released"), 10s)) << all_lines(*other);
  }
  // A gateway that refuses (every packet from the LAN to the router
  // rejected) is a reason per protocol, not a hang; the lease still runs.
  auto nft_in = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/sbin/nft");
    lab_->run_in(router.ns, args);
  };
  nft_in({"add", "chain", "inet", "wzplab", "refuse"});
  nft_in({"insert", "rule", "inet", "wzplab", "input", "jump", "refuse"});
  nft_in({"add", "rule", "inet", "wzplab", "refuse", "iifname", "lan", "reject"});
  const auto refused_at = std::chrono::steady_clock::now();
  auto refused = renew();
  EXPECT_LT(std::chrono::steady_clock::now() - refused_at, 3s);
  EXPECT_EQ(count(refused, "^not-renewed (NAT-PMP|PCP|UPnP): "), 3) << all_lines(*client);
  nft_in({"flush", "chain", "inet", "wzplab", "refuse"});
  // ... and no longer once the client gave it back.
  client->signal(SIGTERM);
  EXPECT_TRUE(client->wait_for_line(std::regex("^released"), 10s)) << all_lines(*client);
  EXPECT_EQ(rules().find("dport " + port), std::string::npos) << rules();
}

}  // namespace
}  // namespace wzp::test
