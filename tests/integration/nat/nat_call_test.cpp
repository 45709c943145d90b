// Real `wzp` clients calling through real NATs (tests/support/netlab.hpp):
// each offers its host address and the reflexive one the daemon saw, the
// other checks them; media starts through the relay room and moves to a
// direct path where the NATs let one through (docs/nat.md).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <regex>
#include <sstream>

#include "tests/support/call_summary.hpp"
#include "tests/support/netlab.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/signald_daemon.hpp"

namespace wzp::test {
namespace {

using namespace std::chrono_literals;

std::string output_of(ChildProcess &process) {
  std::string out;
  for (const auto &line : process.lines()) out += line + "\n";
  return out;
}

class NatCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      lab_ = std::make_unique<NetLab>();
    } catch (const std::exception &e) {
      FAIL() << "cannot build the NAT lab: " << e.what();
    }
    dir_ = make_temp_dir("nat-call");
    for (auto [who, text] : {std::pair{"alice", "Alice calls bob from behind a cone NAT."},
                             {"bob", "Bob answers from behind a symmetric NAT, and talks on."}}) {
      ASSERT_NO_FATAL_FAILURE(speak(who, text));
      ChildProcess id(build_binary("client/wzp"), {"id", "new"}, env(who));
      auto status = id.wait_exit(30s);
      ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << output_of(id);
    }
  }
  // Writes `text` as speech to <name>.wav.
  void speak(const std::string &name, const std::string &text) {
    ChildProcess espeak("/usr/bin/espeak-ng", {"-w", (dir_ / (name + ".wav")).string(), text});
    ASSERT_TRUE(espeak.wait_exit(30s).has_value());
  }
  void TearDown() override {
    lab_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::map<std::string, std::string> env(const std::string &who) const {
    std::map<std::string, std::string> env = {
        {"WZP_IDENTITY", (dir_ / (who + ".id")).string()},
        {"WZP_PASSPHRASE", "pass of " + who},
        {"GST_PLUGIN_PATH", (build_dir() / "gst-plugins").string()},
        {"G_DEBUG", "fatal-criticals"}};
    if (daemon_) {
      env["WZP_SERVER"] = NetLab::public_address(1) + ":" + std::to_string(daemon_->quic_port());
      env["WZP_SERVER_FINGERPRINT"] = daemon_->certificate();
    }
    return env;
  }

  void start_daemon() {
    daemon_ = std::make_unique<SignaldDaemon>(
        dir_,
        std::vector<std::string>{"--listen", NetLab::public_address(1) + ":0", "--stun-listen",
                                 NetLab::public_address(1) + ":0"},
        std::vector<std::string>{"/usr/sbin/ip", "netns", "exec", lab_->public_ns()});
    ASSERT_TRUE(daemon_->ready()) << output_of(daemon_->process());
  }
  // Bob answers in `ns`; returns his fingerprint once he is signed in.
  std::string start_bob(const std::string &ns, const std::string &speech) {
    std::vector<std::string> args = {"answer",  "--auto-answer",
                                     "--alias", "bob",
                                     "--in",    (dir_ / (speech + ".wav")).string(),
                                     "--out",   (dir_ / "at_bob.wav").string()};
    args.insert(args.end(), client_args_.begin(), client_args_.end());
    bob_ = lab_->start(ns, build_binary("client/wzp").string(), args, env("bob"));
    auto line = bob_->wait_for_line(std::regex("signed in to .* as .*\\(@bob\\)"), 20s);
    std::smatch m;
    if (!line || !std::regex_search(*line, m, std::regex(R"(as ([0-9a-f:]+) \(@bob\))"))) {
      return "";
    }
    return m[1];
  }
  void start_alice(const std::string &ns, const std::string &callee, const std::string &speech) {
    std::vector<std::string> args = {"call",  callee,
                                     "--in",  (dir_ / (speech + ".wav")).string(),
                                     "--out", (dir_ / "at_alice.wav").string()};
    args.insert(args.end(), client_args_.begin(), client_args_.end());
    alice_ = lab_->start(ns, build_binary("client/wzp").string(), args, env("alice"));
  }
  // Waits for both to end; their output, or "" after a failure.
  void finish_call() {
    auto alice_status = alice_->wait_exit(90s);
    auto bob_status = bob_->wait_exit(30s);
    alice_->wait_output_closed(5s);
    bob_->wait_output_closed(5s);
    said_alice_ = output_of(*alice_);
    said_bob_ = output_of(*bob_);
    ASSERT_TRUE(alice_status && WIFEXITED(*alice_status) && WEXITSTATUS(*alice_status) == 0)
        << said_alice_;
    ASSERT_TRUE(bob_status && WIFEXITED(*bob_status) && WEXITSTATUS(*bob_status) == 0) << said_bob_;
    // What docs/nat.md quotes ("Measured"): ctest -L nat -V shows it.
    for (const auto &[who, said] : {std::pair{"alice", &said_alice_}, {"bob", &said_bob_}}) {
      std::istringstream lines(*said);
      for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("media path:") || line.starts_with("  media path") ||
            line.starts_with("  our candidates") || line.starts_with("  our NAT's mapping") ||
            line.starts_with("  port mapping") || line.starts_with("  peer's candidates") ||
            line.starts_with("  direct path") || line.starts_with("  frames ") ||
            std::regex_search(line, std::regex("^port mapping: .* (renewed|lapsed)"))) {
          std::printf("%s: %s\n", who, line.c_str());
        }
      }
    }
  }
  // Both ended on `path`, heard each other, and got media on the direct
  // path; the copies the relay also carried during the moves were dropped,
  // not played twice: no side received or played more frames than the
  // other sent.
  void expect_direct_both_ways(const std::string &path) {
    for (const auto *said : {&said_alice_, &said_bob_}) {
      EXPECT_NE(said->find("media path            " + path + " ("), std::string::npos) << *said;
      std::smatch m;
      ASSERT_TRUE(std::regex_search(*said, m,
                                    std::regex(R"(direct path +(\d+) packets received directly)")))
          << *said;
      EXPECT_GT(std::stoull(m[1]), 0u) << *said;
      EXPECT_GT(summary_frames(*said).played, 0u) << *said;
    }
    for (const auto &[receiver, sender] :
         {std::pair{&said_alice_, &said_bob_}, std::pair{&said_bob_, &said_alice_}}) {
      std::smatch sent, received;
      ASSERT_TRUE(std::regex_search(*sender, sent, std::regex(R"(frames sent +(\d+))")));
      ASSERT_TRUE(
          std::regex_search(*receiver, received, std::regex(R"(frames received +(\d+) as sent)")));
      EXPECT_LE(std::stoull(received[1]), std::stoull(sent[1])) << *receiver << *sender;
      EXPECT_LE(summary_frames(*receiver).played, std::stoull(sent[1])) << *receiver;
    }
  }

  // Alice's checks of bob's one candidate, all that left her router for
  // his (NetLab::count_to), stayed within their budget: per round, the
  // dial's 6 handshake attempts 500 ms apart, each packet sent 5 times
  // while the handshake lasts (docs/nat.md, "Checks").
  void expect_checks_within_budget(const NetLab::Router &alices_router) {
    std::smatch checks;
    ASSERT_TRUE(std::regex_search(said_alice_, checks, std::regex(R"((\d+) rounds? of checks)")))
        << said_alice_;
    const uint64_t rounds = std::stoull(checks[1]), packets = lab_->counted(alices_router);
    std::printf("checks: %llu rounds, %llu packets to bob's router\n",
                static_cast<unsigned long long>(rounds), static_cast<unsigned long long>(packets));
    EXPECT_GE(rounds, 1u);
    EXPECT_GT(packets, 0u);
    EXPECT_LE(packets, 60u * rounds);
  }

  std::unique_ptr<NetLab> lab_;
  std::filesystem::path dir_;
  std::unique_ptr<SignaldDaemon> daemon_;
  std::unique_ptr<ChildProcess> alice_, bob_;
  std::vector<std::string> client_args_;  // for both wzp processes
  std::string said_alice_, said_bob_;
};

TEST_F(NatCallTest, EachSideOffersItsReflexiveAddressAndRejectsTheOthersLan) {
  auto &cone = lab_->add_router(NatKind::kEndpointIndependent);
  auto &symmetric = lab_->add_router(NatKind::kSymmetric);
  auto alice_host = lab_->add_host(cone);
  auto bob_host = lab_->add_host(symmetric);
  start_daemon();
  // Each asks the daemon's STUN port too: how its NAT maps the socket.
  client_args_ = {"--stun", NetLab::public_address(1) + ":" + std::to_string(daemon_->stun_port())};
  lab_->count_to(cone, symmetric.wan_address);
  ASSERT_FALSE(start_bob(bob_host.ns, "bob").empty()) << output_of(*bob_);
  start_alice(alice_host.ns, "@bob", "alice");
  finish_call();
  const std::string &said_alice = said_alice_, &said_bob = said_bob_;

  // Alice, behind the port-preserving cone NAT: her LAN address and the
  // router's, on one port.
  std::smatch ours;
  ASSERT_TRUE(std::regex_search(
      said_alice, ours,
      std::regex(R"(our candidates +host 10\.15\.1\.10:(\d+), reflexive 11\.15\.0\.11:(\d+)\n)")))
      << said_alice;
  EXPECT_EQ(ours[1], ours[2]);
  EXPECT_NE(said_alice.find("our NAT's mapping     endpoint-independent, port-preserving\n"),
            std::string::npos)
      << said_alice;
  EXPECT_TRUE(std::regex_search(said_bob, std::regex(R"(our NAT's mapping     random)")))
      << said_bob;
  const std::string alice_public = "11.15.0.11:" + ours[2].str();
  // Bob, behind the symmetric NAT: the router's address, some port.
  std::smatch bobs;
  ASSERT_TRUE(std::regex_search(
      said_bob, bobs,
      std::regex(R"(our candidates +host 10\.15\.2\.10:\d+, reflexive (11\.15\.0\.12:\d+)\n)")))
      << said_bob;
  // Each kept the other's public address and refused its LAN address:
  // alice called an @alias, and bob answered a caller he has not accepted.
  EXPECT_NE(said_alice.find("peer's candidates     " + bobs[1].str() + " (rejected: 1 private)"),
            std::string::npos)
      << said_alice;
  EXPECT_NE(said_bob.find("peer's candidates     " + alice_public + " (rejected: 1 private)"),
            std::string::npos)
      << said_bob;
  // Bob's symmetric NAT gave the daemon one port and gives alice another:
  // no direct path, and the call stays on the relay.
  for (const auto *said : {&said_alice, &said_bob}) {
    EXPECT_NE(said->find("media path            relay (relay)"), std::string::npos) << *said;
    // Both heard the other through the relay, across both NATs.
    EXPECT_GT(summary_frames(*said).played, 0u) << *said;
  }
  expect_checks_within_budget(cone);
}

// Case 4: two random symmetric NATs. Each side's reflexive address is the
// port its NAT chose for the daemon, not the one it chooses for the peer:
// the call stays on the relay, both hear each other through it, and
// alice's checks stay within their budget.
TEST_F(NatCallTest, TwoSymmetricNatsStayOnTheRelayWithinTheCheckBudget) {
  auto &symmetric_a = lab_->add_router(NatKind::kSymmetric);
  auto &symmetric_b = lab_->add_router(NatKind::kSymmetric);
  auto alice_host = lab_->add_host(symmetric_a);
  auto bob_host = lab_->add_host(symmetric_b);
  start_daemon();
  lab_->count_to(symmetric_a, symmetric_b.wan_address);
  ASSERT_FALSE(start_bob(bob_host.ns, "bob").empty()) << output_of(*bob_);
  start_alice(alice_host.ns, "@bob", "alice");
  finish_call();
  for (const auto *said : {&said_alice_, &said_bob_}) {
    EXPECT_NE(said->find("media path            relay (relay)"), std::string::npos) << *said;
    EXPECT_GT(summary_frames(*said).played, 0u) << *said;
  }
  expect_checks_within_budget(symmetric_a);
}

// Case 5: bob's symmetric NAT would leave the call on the relay (case 3),
// but his router runs a gateway daemon (miniupnpd): bob asks it for a
// mapping of his socket, offers the mapped address, and alice's check
// reaches him on it. Alice's router has no gateway: each protocol's
// refusal is counted in her summary.
TEST_F(NatCallTest, AGatewaysPortMappingTakesTheCallDirect) {
  auto &cone = lab_->add_router(NatKind::kEndpointIndependent);
  auto &symmetric = lab_->add_router(NatKind::kSymmetric);
  auto alice_host = lab_->add_host(cone);
  auto bob_host = lab_->add_host(symmetric);
  std::unique_ptr<ChildProcess> gateway;
  try {
    // PCP leases of 2 s: renewed every second, while bob waits and in the call.
    gateway = lab_->start_miniupnpd(symmetric, dir_.string(), 2s);
  } catch (const std::exception &e) {
    FAIL() << e.what();
  }
  start_daemon();
  ASSERT_FALSE(start_bob(bob_host.ns, "bob").empty()) << output_of(*bob_);
  // Alice calls once bob has renewed his PCP mapping twice while waiting:
  // each renewal at half of the lease, so the first lease has run out by
  // then and only the renewals keep the mapping she reaches
  // (docs/nat.md, "Renewal").
  const std::regex renewed(R"(port mapping: PCP \S+ renewed for [1-9])");
  ASSERT_TRUE(bob_->wait_for_lines(renewed, 2, 0, 10s)) << output_of(*bob_);
  start_alice(alice_host.ns, "@bob", "alice");
  finish_call();
  // The gateway granted bob's own port on the router's address (by
  // NAT-PMP or PCP, whichever asked first: the other one, asking for a
  // port already mapped, may be given another; UPnP's discovery may take
  // longer than the budget at load).
  std::smatch host;
  ASSERT_TRUE(std::regex_search(said_bob_, host, std::regex(R"(host 10\.15\.2\.10:(\d+))")))
      << said_bob_;
  const std::string external = symmetric.wan_address + ":" + host[1].str();
  const std::string external_re = std::regex_replace(external, std::regex(R"(\.)"), R"(\.)");
  EXPECT_TRUE(std::regex_search(
      said_bob_, std::regex("port mapping +[^\n]*(NAT-PMP|PCP) " + external_re + "[,\n ]")))
      << said_bob_;
  EXPECT_NE(said_bob_.find("mapped " + external), std::string::npos) << said_bob_;
  // And renewed it while the call went on.
  const size_t answered = said_bob_.find("incoming call");
  ASSERT_NE(answered, std::string::npos) << said_bob_;
  EXPECT_TRUE(std::regex_search(said_bob_.substr(answered), renewed)) << said_bob_;
  EXPECT_NE(said_alice_.find("port mapping          none (3 refused or not answered)"),
            std::string::npos)
      << said_alice_;
  expect_direct_both_ways("direct mapped");
  // Alice kept bob's mapped address, from his answer or from the
  // call_candidates that followed it.
  EXPECT_TRUE(std::regex_search(said_alice_,
                                std::regex("peer's candidates +[^\n]*" + external_re + "[ ,]")))
      << said_alice_;
}

// Case 1: two hosts on one LAN behind one NAT that does not hairpin. Alice
// names bob by fingerprint, so she tries his LAN address, and the call
// goes direct on it.
TEST_F(NatCallTest, SameLanWithoutHairpinGoesDirectOnHostCandidates) {
  auto &router = lab_->add_router(NatKind::kEndpointIndependent);
  auto alice_host = lab_->add_host(router);
  auto bob_host = lab_->add_host(router);
  start_daemon();
  const std::string bob = start_bob(bob_host.ns, "bob");
  ASSERT_FALSE(bob.empty()) << output_of(*bob_);
  start_alice(alice_host.ns, bob, "alice");
  finish_call();
  expect_direct_both_ways("direct v4 host");
}

// Case 2: two endpoint-independent NATs: the callee opens its NAT towards
// the caller's reflexive address, the caller dials the callee's.
TEST_F(NatCallTest, TwoConeNatsGoDirectOnReflexiveCandidates) {
  auto &cone_a = lab_->add_router(NatKind::kEndpointIndependent);
  auto &cone_b = lab_->add_router(NatKind::kEndpointIndependent);
  auto alice_host = lab_->add_host(cone_a);
  auto bob_host = lab_->add_host(cone_b);
  start_daemon();
  ASSERT_FALSE(start_bob(bob_host.ns, "bob").empty()) << output_of(*bob_);
  start_alice(alice_host.ns, "@bob", "alice");
  finish_call();
  expect_direct_both_ways("direct reflexive");
}

// Case 6: routers that route IPv6 untranslated beside their IPv4 NATs:
// the callee's global IPv6 address comes first in its list, and the call
// goes direct on it (both sockets are dual-stack). Then bob's address
// changes mid-call (a new one comes, the old one goes, as when a prefix is
// renumbered), with IPv4 between the routers cut so that only the new
// address can carry a direct path: bob offers it (call_candidates), the
// old path is lost, alice checks the new address at once, and the call is
// direct on it again (docs/nat.md, "Re-gathering").
TEST_F(NatCallTest, IPv6BesideTheNatsGoesDirectOnIPv6) {
  auto &cone_a = lab_->add_router(NatKind::kEndpointIndependent, /*ipv6=*/true);
  auto &cone_b = lab_->add_router(NatKind::kEndpointIndependent, /*ipv6=*/true);
  auto alice_host = lab_->add_host(cone_a);
  auto bob_host = lab_->add_host(cone_b);
  lab_->run_in(alice_host.ns, {"/usr/bin/ping", "-6", "-c1", "-W5", bob_host.address6});
  start_daemon();
  ASSERT_FALSE(start_bob(bob_host.ns, "bob").empty()) << output_of(*bob_);
  start_alice(alice_host.ns, "@bob", "alice");
  const std::regex direct("^media path: direct v6 host"), relay("^media path: relay");
  ASSERT_TRUE(alice_->wait_for_line(direct, 20s)) << output_of(*alice_);
  const size_t alice_from = alice_->line_count(), bob_from = bob_->line_count();
  const auto changed_at = std::chrono::steady_clock::now();
  lab_->cut(cone_a, cone_b.wan_address);
  const std::string renumbered = cone_b.ipv6_prefix + "99";
  lab_->run_in(bob_host.ns,
               {"/usr/sbin/ip", "addr", "add", renumbered + "/64", "dev", "eth0", "nodad"});
  lab_->run_in(bob_host.ns,
               {"/usr/sbin/ip", "addr", "del", bob_host.address6 + "/64", "dev", "eth0"});
  EXPECT_TRUE(bob_->wait_for_lines(
      std::regex(R"(^direct path: new host candidates \[)" + renumbered + R"(\]:\d+, sent)"), 1,
      bob_from, 10s))
      << output_of(*bob_);
  ASSERT_TRUE(alice_->wait_for_lines(relay, 1, alice_from, 10s)) << output_of(*alice_);
  ASSERT_TRUE(alice_->wait_for_lines(direct, 2, 0, 10s)) << output_of(*alice_);
  std::printf("address changed to direct on the new one: %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - changed_at)
                                         .count()));
  finish_call();
  expect_direct_both_ways("direct v6 host");
  EXPECT_TRUE(std::regex_search(
      said_alice_, std::regex(R"(peer's candidates +[^\n]*\[)" + renumbered + R"(\]:)")))
      << said_alice_;
  for (const auto *said : {&said_alice_, &said_bob_}) {
    EXPECT_TRUE(std::regex_search(
        *said, std::regex("direct v6 host at [0-9.]+ s, relay at [0-9.]+ s, direct v6 host")))
        << *said;
  }
}

// Case 7: the direct path cut mid-call (a drop rule on alice's router):
// both sides go back to the relay, and to the direct path once it is
// restored.
TEST_F(NatCallTest, ACutDirectPathFallsBackToTheRelayAndComesBack) {
  auto &cone_a = lab_->add_router(NatKind::kEndpointIndependent);
  auto &cone_b = lab_->add_router(NatKind::kEndpointIndependent);
  auto alice_host = lab_->add_host(cone_a);
  auto bob_host = lab_->add_host(cone_b);
  ASSERT_NO_FATAL_FAILURE(speak(
      "alice_long",
      "Alice talks for a while. The path between the two routers is cut, and the call goes on "
      "through the relay. Then the path comes back, and the call moves to it again. Alice keeps "
      "talking all along, so that every part of the call carries speech."));
  ASSERT_NO_FATAL_FAILURE(speak(
      "bob_long",
      "Bob talks for a while too. He does not know which path his voice takes, and he should "
      "not have to. The relay is always there, and the direct path is used whenever it works. "
      "Bob keeps talking all along, until the end of the call."));
  start_daemon();
  ASSERT_FALSE(start_bob(bob_host.ns, "bob_long").empty()) << output_of(*bob_);
  start_alice(alice_host.ns, "@bob", "alice_long");
  const std::regex direct("^media path: direct reflexive"), relay("^media path: relay");
  ASSERT_TRUE(alice_->wait_for_line(direct, 20s)) << output_of(*alice_);
  const size_t alice_from = alice_->line_count(), bob_from = bob_->line_count();
  const auto cut_at = std::chrono::steady_clock::now();
  lab_->cut(cone_a, cone_b.wan_address);
  EXPECT_TRUE(alice_->wait_for_lines(relay, 1, alice_from, 10s)) << output_of(*alice_);
  EXPECT_TRUE(bob_->wait_for_lines(relay, 1, bob_from, 10s)) << output_of(*bob_);
  const auto relay_at = std::chrono::steady_clock::now();
  const size_t alice_back = alice_->line_count(), bob_back = bob_->line_count();
  lab_->restore(cone_a);
  EXPECT_TRUE(alice_->wait_for_lines(direct, 1, alice_back, 20s)) << output_of(*alice_);
  EXPECT_TRUE(bob_->wait_for_lines(direct, 1, bob_back, 20s)) << output_of(*bob_);
  const auto ms = [](auto d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  std::printf("cut to both on the relay: %lld ms; restored to both direct: %lld ms\n",
              static_cast<long long>(ms(relay_at - cut_at)),
              static_cast<long long>(ms(std::chrono::steady_clock::now() - relay_at)));
  finish_call();
  expect_direct_both_ways("direct reflexive");
  for (const auto *said : {&said_alice_, &said_bob_}) {
    EXPECT_TRUE(std::regex_search(
        *said, std::regex("direct reflexive at [0-9.]+ s, relay at [0-9.]+ s, direct reflexive")))
        << *said;
  }
}

}  // namespace
}  // namespace wzp::test
