// A `wzp call` from a network that drops all UDP (nftables on its router,
// tests/support/netlab.hpp): the caller's QUIC gets no answer, so it falls
// back to TLS over TCP (docs/fallback.md) and calls a callee who reached the
// daemon over QUIC: both kinds of member in one call, both hear each other.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <regex>

#include "tests/integration/client/audio_compare.hpp"
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

TEST(FallbackCall, ACallerBehindAUdpBlockingNetworkCallsOverTls) {
  std::unique_ptr<NetLab> lab;
  try {
    lab = std::make_unique<NetLab>();
  } catch (const std::exception &e) {
    FAIL() << "cannot build the lab: " << e.what();
  }
  auto dir = make_temp_dir("fallback-call");
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() { std::filesystem::remove_all(dir); }
  } cleanup{dir};
  for (auto [who, text] :
       {std::pair{"alice", "Alice calls from a hotel network that lets no UDP through."},
        {"bob", "Bob answers over QUIC, and hears her all the same."}}) {
    ChildProcess speak("/usr/bin/espeak-ng",
                       {"-w", (dir / (std::string(who) + ".wav")).string(), text});
    ASSERT_TRUE(speak.wait_exit(30s).has_value());
  }
  auto &blocked = lab->add_router(NatKind::kEndpointIndependent);
  auto &open = lab->add_router(NatKind::kEndpointIndependent);
  auto alice_host = lab->add_host(blocked);
  auto bob_host = lab->add_host(open);
  // The hotel: every UDP packet its router would forward is dropped.
  lab->run_in(blocked.ns, {"nft", "add", "table", "inet", "wzp_no_udp"});
  lab->run_in(blocked.ns, {"nft", "add", "chain", "inet", "wzp_no_udp", "forward",
                           "{ type filter hook forward priority -10 ; policy accept ; }"});
  lab->run_in(blocked.ns, {"nft", "add", "rule", "inet", "wzp_no_udp", "forward", "meta", "l4proto",
                           "udp", "counter", "drop"});

  const std::string daemon_address = NetLab::public_address(1);
  SignaldDaemon daemon(dir,
                       {"--listen", daemon_address + ":0", "--tls-listen", daemon_address + ":0"},
                       {"/usr/sbin/ip", "netns", "exec", lab->public_ns()});
  ASSERT_TRUE(daemon.ready()) << output_of(daemon.process());
  auto env = [&](const std::string &who) {
    return std::map<std::string, std::string>{
        {"WZP_IDENTITY", (dir / (who + ".id")).string()},
        {"WZP_PASSPHRASE", "pass of " + who},
        {"GST_PLUGIN_PATH", (build_dir() / "gst-plugins").string()},
        {"G_DEBUG", "fatal-criticals"},
        {"WZP_SERVER", daemon_address + ":" + std::to_string(daemon.quic_port())},
        {"WZP_SERVER_FINGERPRINT", daemon.certificate()},
        {"WZP_SERVER_TLS_PORT", std::to_string(daemon.tls_port())}};
  };
  for (const char *who : {"alice", "bob"}) {
    ChildProcess id(build_binary("client/wzp"), {"id", "new"}, env(who));
    auto status = id.wait_exit(30s);
    ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << output_of(id);
  }

  auto bob = lab->start(bob_host.ns, build_binary("client/wzp").string(),
                        {"answer", "--auto-answer", "--alias", "bob", "--in",
                         (dir / "bob.wav").string(), "--out", (dir / "at_bob.wav").string()},
                        env("bob"));
  ASSERT_TRUE(bob->wait_for_line(std::regex("signed in to \\S+ as .*\\(@bob\\)"), 20s))
      << output_of(*bob);
  auto alice = lab->start(alice_host.ns, build_binary("client/wzp").string(),
                          {"call", "@bob", "--in", (dir / "alice.wav").string(), "--out",
                           (dir / "at_alice.wav").string()},
                          env("alice"));
  auto alice_status = alice->wait_exit(90s);
  auto bob_status = bob->wait_exit(30s);
  alice->wait_output_closed(5s);
  bob->wait_output_closed(5s);
  const std::string said_alice = output_of(*alice), said_bob = output_of(*bob);
  ASSERT_TRUE(alice_status && WIFEXITED(*alice_status) && WEXITSTATUS(*alice_status) == 0)
      << said_alice;
  ASSERT_TRUE(bob_status && WIFEXITED(*bob_status) && WEXITSTATUS(*bob_status) == 0) << said_bob;
  for (const auto &[who, said] : {std::pair{"alice", &said_alice}, {"bob", &said_bob}}) {
    std::printf("%s:\n%s\n", who, said->c_str());
  }

  // The router dropped alice's QUIC: she signed in, called and talked over TLS.
  EXPECT_GT(
      std::stoull(lab->run_in(blocked.ns, {"sh", "-c",
                                           "nft list chain inet wzp_no_udp forward | "
                                           "sed -n 's/.*counter packets \\([0-9]*\\).*/\\1/p'"})),
      0u);
  EXPECT_NE(said_alice.find(" over tls fallback as "), std::string::npos) << said_alice;
  EXPECT_NE(said_alice.find("to daemon (tls fallback): rtt"), std::string::npos) << said_alice;
  EXPECT_NE(said_alice.find("daemon transport      tls fallback"), std::string::npos) << said_alice;
  EXPECT_NE(said_alice.find(" ms (TCP's estimate; TCP hides its loss)"), std::string::npos)
      << said_alice;
  EXPECT_NE(said_alice.find("media path            relay (no UDP: no direct path)"),
            std::string::npos)
      << said_alice;
  EXPECT_NE(said_bob.find("daemon transport      quic"), std::string::npos) << said_bob;
  // Both heard the other, through the one relay room.
  for (const auto *said : {&said_alice, &said_bob}) {
    EXPECT_GT(summary_frames(*said).played, 0u) << *said;
  }
  EXPECT_GT(speech_similarity(dir / "alice.wav", dir / "at_bob.wav"), 0.3);
  EXPECT_GT(speech_similarity(dir / "bob.wav", dir / "at_alice.wav"), 0.3);
}

}  // namespace
}  // namespace wzp::test
