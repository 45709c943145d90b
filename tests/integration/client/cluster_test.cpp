// A cluster of three real wzp-signald nodes sharing state in a real
// redis-server on loopback (docs/signal.md "A cluster on Redis"): one
// certificate for the whole service, clients spread over the nodes. A real
// `wzp` call crosses nodes with speech heard both ways, a room spans all
// three, aliases are unique cluster-wide, and a node killed with SIGKILL
// loses only its own users; its users sign in to another node and can be
// called again, a room's member on it (`wzp room join` given every node)
// joins again through another within seconds, and a `wzp` call through it
// (both parties given every node) resumes through another node.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string>

#include "libwzp/crypto/identity.hpp"
#include "libwzp/crypto/member_card.hpp"
#include "libwzp/crypto/room_access.hpp"
#include "libwzp/signal/session.hpp"
#include "libwzp/wire/header.hpp"
#include "tests/integration/client/audio_compare.hpp"
#include "tests/integration/client/clients_fixture.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/signald_daemon.hpp"
#include "tests/support/wait.hpp"

namespace wzp::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Alice speaks longer than bob, who pads his speech with silence: she
// hangs up at the end of hers, when his has been heard whole.
constexpr const char *kAliceSays =
    "This is alice calling bob on another node of the cluster. The quick brown fox jumps over "
    "the lazy dog. One, two, three, four, five, six, seven.";
constexpr const char *kBobSays =
    "Hello alice, this is bob answering from a node of my own. One, two, three, four.";
const std::string kRoom = "5a5a5a5a0f1e2d3c4b5a69788796a5b4";

std::string fingerprint(const crypto::Identity &identity) {
  return crypto::format_fingerprint(identity.fingerprint());
}

// A signaling client of one node (libwzp/signal Session) that keeps the
// room media it receives.
struct Member {
  explicit Member(crypto::Identity id) : identity(std::move(id)) {}
  crypto::Identity identity;
  std::unique_ptr<signal::Session> session;
  std::mutex mutex;
  std::vector<std::vector<uint8_t>> datagrams;

  // The next message of type T for which `match` holds, skipping others.
  template <typename T, typename Match>
  std::optional<T> wait_for(Match match, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      auto received = session->next(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
      if (!received) break;
      if (auto *message = std::get_if<T>(&received->message); message && match(*message)) {
        return *message;
      }
    }
    return std::nullopt;
  }
  // The reply to a request: Ok, or the Error's code.
  std::string request(const signal::Message &message) {
    uint64_t id = session->next_request_id();
    session->send(message, id);
    auto reply = session->wait_reply(id, 10s);
    if (!reply) return "no reply";
    if (std::holds_alternative<signal::Ok>(reply->message)) return "ok";
    if (auto *error = std::get_if<signal::Error>(&reply->message)) return error->code;
    if (std::holds_alternative<signal::AliasResolved>(reply->message)) return "resolved";
    return "unexpected reply";
  }
  std::optional<std::string> resolve(const std::string &query) {
    uint64_t id = session->next_request_id();
    session->send(signal::AliasResolve{query}, id);
    auto reply = session->wait_reply(id, 5s);
    if (!reply) return std::nullopt;
    auto *resolved = std::get_if<signal::AliasResolved>(&reply->message);
    return resolved ? std::optional(resolved->fingerprint) : std::nullopt;
  }
  size_t received() {
    std::lock_guard lock(mutex);
    return datagrams.size();
  }
};

class Cluster : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("client-cluster");
    redis_ = std::make_unique<RedisServer>(dir_ / "redis");
    ASSERT_TRUE(redis_->ready()) << "redis-server did not start";
    // One certificate for the whole service: a client pins it once and may
    // reach any node.
    std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=wzp-cluster -keyout " +
        (dir_ / "key.pem").string() + " -out " + (dir_ / "cert.pem").string() + " 2>/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0);
    for (int i = 0; i < 3; ++i) {
      std::filesystem::create_directories(dir_ / ("node" + std::to_string(i)));
      nodes_[i] = std::make_unique<SignaldDaemon>(
          dir_ / ("node" + std::to_string(i)),
          std::vector<std::string>{"--cert", (dir_ / "cert.pem").string(), "--key",
                                   (dir_ / "key.pem").string(), "--federation-listen",
                                   "127.0.0.1:0", "--cluster-redis", redis_->address()});
      ASSERT_TRUE(nodes_[i]->ready());
      EXPECT_EQ(nodes_[i]->certificate(), nodes_[0]->certificate());
    }
    // No --peer: each node finds the other two in Redis and links to them.
    for (auto &node : nodes_) {
      ASSERT_TRUE(
          node->process().wait_for_lines(std::regex("relay link \\d+ authenticated as"), 2, 0, 20s))
          << "a node did not link to both others";
    }
  }
  void TearDown() override {
    // On a failure, the nodes' logs: a call that never rang says why there.
    for (int i = 0; i < 3 && HasFailure(); ++i) {
      if (!nodes_[i]) continue;
      std::printf("--- node %d's log\n", i);
      for (const auto &line : nodes_[i]->process().lines()) std::printf("%s\n", line.c_str());
    }
    for (auto &node : nodes_) node.reset();
    redis_.reset();
    std::filesystem::remove_all(dir_);
  }

  // `idle_timeout`: how long the client waits on a silent node.
  std::unique_ptr<Member> member(int node, crypto::Identity identity,
                                 std::chrono::milliseconds idle_timeout = 30s) {
    signal::SessionConfig config;
    config.idle_timeout = idle_timeout;
    config.port = nodes_[node]->quic_port();
    config.server_fingerprint = nodes_[node]->certificate();
    auto joined = std::make_unique<Member>(std::move(identity));
    std::string error;
    joined->session = signal::Session::connect(config, joined->identity, error);
    EXPECT_TRUE(joined->session) << error;
    if (!joined->session) return nullptr;
    Member *self = joined.get();
    joined->session->set_datagram_handler([self](std::span<const uint8_t> datagram) {
      std::lock_guard lock(self->mutex);
      self->datagrams.emplace_back(datagram.begin(), datagram.end());
    });
    return joined;
  }

  // `wzp` as `who`, signed in to node `node`.
  std::map<std::string, std::string> env(const std::string &who, int node) const {
    return {{"WZP_IDENTITY", (dir_ / (who + ".id")).string()},
            {"WZP_PASSPHRASE", "pass of " + who},
            {"WZP_SERVER", "127.0.0.1:" + std::to_string(nodes_[node]->quic_port())},
            {"WZP_SERVER_FINGERPRINT", nodes_[node]->certificate()},
            {"GST_PLUGIN_PATH", (build_dir() / "gst-plugins").string()},
            {"G_DEBUG", "fatal-criticals"}};
  }

  std::filesystem::path dir_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<SignaldDaemon> nodes_[3];
};

std::vector<uint8_t> media_packet(const crypto::Identity &sender, uint32_t sequence) {
  wire::MediaHeader header;
  header.codec = wire::codec::kOpus;
  header.stream_id = crypto::sender_id_of(sender.fingerprint());
  header.sequence = sequence;
  std::vector<uint8_t> packet(wire::kMaxPacketSize);
  packet.resize(wire::write_full(header, nullptr, packet));
  packet.insert(packet.end(), 32, static_cast<uint8_t>(sequence));
  return packet;
}

// Frames played and concealed after a kill: the last `status` line before
// line `before` against the `summary` line (each: played, then concealed).
std::pair<long, long> played_after(const std::vector<std::string> &lines, size_t before,
                                   const std::regex &status, const std::regex &summary) {
  std::pair<long, long> at_kill{0, 0}, at_end{-1, -1};
  std::smatch m;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i < before && std::regex_search(lines[i], m, status)) {
      at_kill = {std::stol(m[1]), std::stol(m[2])};
    }
    if (std::regex_search(lines[i], m, summary)) at_end = {std::stol(m[1]), std::stol(m[2])};
  }
  return {at_end.first - at_kill.first, at_end.second - at_kill.second};
}

TEST_F(Cluster, NodesActAsOneServiceAndADeadNodeLosesOnlyItsOwnUsers) {
  // Users on each node: carol on 0, dave on 1, erin on 2.
  auto carol = member(0, crypto::Identity::generate());
  auto dave = member(1, crypto::Identity::generate());
  // erin gives up on a silent node after 3 s, not the default 30 s, to
  // keep the test short.
  auto erin = member(2, crypto::Identity::generate(), 3s);
  ASSERT_TRUE(carol && dave && erin);

  // Aliases are unique across the cluster: a name claimed on one node is
  // taken on the others, and of two claims on two nodes at once one wins.
  EXPECT_EQ(carol->request(signal::AliasClaim{"carol"}), "ok");
  EXPECT_EQ(dave->request(signal::AliasClaim{"carol"}), "alias_taken");
  EXPECT_EQ(erin->request(signal::AliasClaim{"erin"}), "ok");
  uint64_t dave_id = dave->session->next_request_id();
  uint64_t erin_id = erin->session->next_request_id();
  dave->session->send(signal::AliasClaim{"zed"}, dave_id);
  erin->session->send(signal::AliasClaim{"zed"}, erin_id);
  auto dave_reply = dave->session->wait_reply(dave_id, 10s);
  auto erin_reply = erin->session->wait_reply(erin_id, 10s);
  ASSERT_TRUE(dave_reply && erin_reply);
  const bool dave_won = std::holds_alternative<signal::Ok>(dave_reply->message);
  EXPECT_NE(dave_won, std::holds_alternative<signal::Ok>(erin_reply->message))
      << "exactly one of two simultaneous claims of @zed wins";
  EXPECT_EQ(redis_->cli({"GET", "wzp:alias:zed"}),
            fingerprint(dave_won ? dave->identity : erin->identity));
  EXPECT_EQ(redis_->cli({"GET", "wzp:alias:carol"}), fingerprint(carol->identity));
  // Which node each user is on, with a TTL the node refreshes.
  EXPECT_TRUE(wait_until(
      [&] {
        return redis_->cli({"GET", "wzp:user:" + fingerprint(erin->identity)}) ==
               nodes_[2]->identity();
      },
      5s));

  // A room with a member on every node: each hears of the other two, and
  // each one's media reaches the other two.
  for (auto *m : {carol.get(), dave.get(), erin.get()}) {
    m->session->send(signal::RoomJoin{kRoom, {}, {}});
  }
  for (auto *m : {carol.get(), dave.get(), erin.get()}) {
    std::set<std::string> others;
    for (auto *other : {carol.get(), dave.get(), erin.get()}) {
      if (other != m) others.insert(fingerprint(other->identity));
    }
    while (!others.empty() && m->wait_for<signal::RoomEvent>([&](const signal::RoomEvent &e) {
      return e.joined && others.erase(e.fingerprint) == 1;
    })) {
    }
    EXPECT_TRUE(others.empty()) << "a member did not hear of another on another node";
  }
  Member *members[] = {carol.get(), dave.get(), erin.get()};
  std::vector<uint8_t> sent[3];
  for (int i = 0; i < 3; ++i) {
    sent[i] = media_packet(members[i]->identity, static_cast<uint32_t>(i + 1));
    ASSERT_TRUE(members[i]->session->connection()->send_datagram(sent[i]));
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(wait_until([&] { return members[i]->received() >= 2; }, 10s));
    std::lock_guard lock(members[i]->mutex);
    auto got = members[i]->datagrams;
    std::sort(got.begin(), got.end());
    std::vector<std::vector<uint8_t>> expected;
    for (int j = 0; j < 3; ++j) {
      if (j != i) expected.push_back(sent[j]);
    }
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(got, expected) << "member " << i << ": each other member's packet, once";
  }

  // A real call between users of two nodes: alice on node 0 calls @bob on
  // node 1, and each hears the other.
  for (auto [file, text] : {std::pair{"alice.wav", kAliceSays}, {"bob.wav", kBobSays}}) {
    ChildProcess speak("/usr/bin/espeak-ng", {"-w", (dir_ / file).string(), text});
    ASSERT_TRUE(speak.wait_exit(30s).has_value());
  }
  ChildProcess pad("/usr/bin/sox", {(dir_ / "bob.wav").string(), (dir_ / "bob-padded.wav").string(),
                                    "pad", "0", "20"});
  ASSERT_TRUE(pad.wait_exit(30s).has_value());
  for (const char *who : {"alice", "bob"}) {
    ChildProcess id(build_binary("client/wzp"), {"id", "new"}, env(who, 0));
    auto status = id.wait_exit(30s);
    ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  }
  ChildProcess bob(build_binary("client/wzp"),
                   {"answer", "--auto-answer", "--alias", "bob", "--in",
                    (dir_ / "bob-padded.wav").string(), "--out", (dir_ / "at_bob.wav").string()},
                   env("bob", 1));
  ASSERT_TRUE(bob.wait_for_line(std::regex("signed in to .* as .*\\(@bob\\)"), 20s));
  // Node 0 hears of @bob from node 1 (a resolve would not wait for it).
  ASSERT_TRUE(carol->wait_for<signal::PresenceUpdate>([](const signal::PresenceUpdate &u) {
    return u.online && u.user.alias == "bob";
  })) << "@bob, claimed on node 1, is not known on node 0";
  ChildProcess alice(build_binary("client/wzp"),
                     {"call", "@bob", "--in", (dir_ / "alice.wav").string(), "--out",
                      (dir_ / "at_alice.wav").string()},
                     env("alice", 0));
  Outcome called = finish(alice, 60s);
  Outcome answered = finish(bob, 30s);
  EXPECT_EQ(called.exit_code, 0) << called.output;
  EXPECT_EQ(answered.exit_code, 0) << answered.output;
  const double at_bob = speech_similarity(dir_ / "alice.wav", dir_ / "at_bob.wav");
  const double at_alice = speech_similarity(dir_ / "bob.wav", dir_ / "at_alice.wav");
  std::printf("speech similarity across nodes: alice -> bob %.2f, bob -> alice %.2f\n", at_bob,
              at_alice);
  EXPECT_GT(at_bob, 0.3) << called.output << answered.output;
  EXPECT_GT(at_alice, 0.3) << called.output << answered.output;

  // A room that survives node 2, their call over: alice (`wzp` on node 0;
  // "gina" below) and bob (`wzp` on node 2, given all three nodes; "hank")
  // talk; ivy, a signaling client on node 1, is in the room too and times
  // hank's packets.
  ChildProcess tone("/usr/bin/sox", {"-n", "-r", "48000", "-c", "1", (dir_ / "tone.wav").string(),
                                     "synth", "60", "sine", "440"});
  ASSERT_TRUE(tone.wait_exit(30s).has_value());
  const std::vector<std::string> room_args = {"room",     "join", "--open",
                                              "failover", "--in", (dir_ / "tone.wav").string()};
  auto in_room = [&](const std::string &who, int node, const std::string &servers) {
    auto args = room_args;
    args.insert(args.end(), {"--out", (dir_ / ("room_at_" + who + ".wav")).string()});
    auto environment = env(who, node);
    if (!servers.empty()) environment["WZP_SERVER"] = servers;
    return std::make_unique<ChildProcess>(build_binary("client/wzp"), args, environment);
  };
  std::string all_nodes;
  for (int i : {2, 0, 1}) {
    all_nodes +=
        (all_nodes.empty() ? "" : ",") + ("127.0.0.1:" + std::to_string(nodes_[i]->quic_port()));
  }
  auto gina = in_room("alice", 0, "");
  auto hank = in_room("bob", 2, all_nodes);
  const std::regex signed_in("signed in to \\S+ as ([0-9a-f:]+) in");
  std::smatch match;
  auto gina_line = gina->wait_for_line(signed_in, 20s);
  auto hank_line = hank->wait_for_line(signed_in, 20s);
  ASSERT_TRUE(gina_line && hank_line);
  ASSERT_TRUE(std::regex_search(*gina_line, match, signed_in));
  const std::string gina_fp = match[1];
  ASSERT_TRUE(std::regex_search(*hank_line, match, signed_in));
  const std::string hank_fp = match[1];
  const uint32_t hank_id = crypto::sender_id_of(*crypto::parse_fingerprint(hank_fp));
  const uint32_t gina_id = crypto::sender_id_of(*crypto::parse_fingerprint(gina_fp));
  // A call through node 2 that survives it: alice (`wzp call` on node 0)
  // calls bob (`wzp answer` on node 2), each given every node, each
  // sending the tone; it starts while the room does.
  std::string node0_first;
  for (int i : {0, 1, 2}) {
    node0_first +=
        (node0_first.empty() ? "" : ",") + ("127.0.0.1:" + std::to_string(nodes_[i]->quic_port()));
  }
  auto call_env = [&](const std::string &who, int node, const std::string &servers) {
    auto environment = env(who, node);
    environment["WZP_SERVER"] = servers;
    return environment;
  };
  ChildProcess answering(build_binary("client/wzp"),
                         {"answer", "--auto-answer", "--in", (dir_ / "tone.wav").string(), "--out",
                          (dir_ / "call_at_bob.wav").string()},
                         call_env("bob", 2, all_nodes));
  ASSERT_TRUE(answering.wait_for_line(std::regex("signed in to "), 20s));
  ChildProcess calling(build_binary("client/wzp"),
                       {"call", hank_fp, "--in", (dir_ / "tone.wav").string(), "--out",
                        (dir_ / "call_at_alice.wav").string()},
                       call_env("alice", 0, node0_first));
  std::mutex hank_mutex;
  std::vector<Clock::time_point> hank_packets;  // at ivy
  auto ivy = member(1, crypto::Identity::generate());
  ASSERT_TRUE(ivy);
  ivy->session->set_datagram_handler([&](std::span<const uint8_t> datagram) {
    wire::PacketView view;
    if (wire::parse_full(datagram, view) == wire::WireError::kOk &&
        view.header.stream_id == hank_id) {
      std::lock_guard lock(hank_mutex);
      hank_packets.push_back(Clock::now());
    }
  });
  ivy->session->send(signal::RoomJoin{crypto::open_room_access("failover").hex_id(), {}, {}});
  ASSERT_TRUE(gina->wait_for_line(std::regex("hearing " + hank_fp), 20s))
      << "gina never heard hank";
  ASSERT_TRUE(hank->wait_for_line(std::regex("hearing " + gina_fp), 20s))
      << "hank never heard gina";
  ASSERT_TRUE(wait_until(
      [&] {
        std::lock_guard lock(hank_mutex);
        return !hank_packets.empty();
      },
      10s))
      << "hank's media did not reach node 1";

  const std::regex playing("\\| played [1-9]");
  ASSERT_TRUE(calling.wait_for_line(playing, 20s)) << "alice's call did not start";
  ASSERT_TRUE(answering.wait_for_line(playing, 20s)) << "bob's call did not start";

  // carol on node 0 and erin on node 2 are in a call when node 2 dies.
  const std::string erin_fp = fingerprint(erin->identity);
  carol->session->send(
      signal::CallOffer{"call-through-node-2", "", "@erin", {0xaa, 0xbb}, {"opus"}, {"good"}, {}});
  ASSERT_TRUE(erin->wait_for<signal::CallOffer>(
      [](const signal::CallOffer &o) { return o.call_id == "call-through-node-2"; }, 15s));
  erin->session->send(
      signal::CallAnswer{"call-through-node-2", signal::AnswerMode::kAccept, {0xcc}, {}});
  ASSERT_TRUE(carol->wait_for<signal::CallSetup>([](const signal::CallSetup &s) {
    return s.call_id == "call-through-node-2";
  })) << "the call through node 2 was not set up";

  // Node 2 dies. Its user erin goes offline on the others once its key
  // expires, and leaves the room; the other members stay. The call ends
  // for carol (gone) and for erin (her connection to node 2 times out).
  std::mutex ended_mutex;
  std::optional<Clock::time_point> erin_ended;
  erin->session->set_close_handler([&](const std::string &) {
    std::lock_guard lock(ended_mutex);
    if (!erin_ended) erin_ended = Clock::now();
  });
  const size_t gina_lines_at_kill = gina->line_count();
  const size_t hank_lines_at_kill = hank->line_count();
  const size_t calling_lines_at_kill = calling.line_count();
  const size_t answering_lines_at_kill = answering.line_count();
  const auto killed = Clock::now();
  nodes_[2]->process().signal(SIGKILL);
  // Both come when node 0 gives node 2 up, in either order.
  std::optional<Clock::duration> hung_up_after, offline_after;
  std::string hangup_reason;
  while (!(hung_up_after && offline_after) && Clock::now() < killed + 15s) {
    auto received = carol->session->next(
        std::chrono::duration_cast<std::chrono::milliseconds>(killed + 15s - Clock::now()));
    if (!received) break;
    auto *hangup = std::get_if<signal::CallHangup>(&received->message);
    if (hangup && hangup->call_id == "call-through-node-2") {
      hung_up_after = Clock::now() - killed;
      hangup_reason = hangup->reason;
    }
    auto *update = std::get_if<signal::PresenceUpdate>(&received->message);
    if (update && update->user.fingerprint == erin_fp && !update->online) {
      offline_after = Clock::now() - killed;
    }
  }
  ASSERT_TRUE(hung_up_after) << "carol's call through the dead node did not end";
  // Not `gone`: erin may be alive and come back through another node.
  EXPECT_EQ(hangup_reason, "relay_lost");
  ASSERT_TRUE(offline_after) << "erin stayed online on node 0";
  EXPECT_TRUE(dave->wait_for<signal::RoomEvent>([&](const signal::RoomEvent &e) {
    return e.fingerprint == erin_fp && !e.joined;
  })) << "erin stayed in the room on node 1";
  EXPECT_TRUE(wait_until(
      [&] {
        return redis_->cli({"EXISTS", "wzp:user:" + erin_fp}) == "0";
      },
      10s));
  EXPECT_EQ(carol->resolve("@erin"), std::nullopt);

  EXPECT_TRUE(wait_until([&] { return erin->session->ended(); }, 15s))
      << "erin's client did not notice that node 2 died";
  const std::string erin_end = erin->session->end_reason();
  Clock::duration erin_ended_after{};
  {
    std::lock_guard lock(ended_mutex);
    ASSERT_TRUE(erin_ended);
    erin_ended_after = *erin_ended - killed;
  }

  // hank noticed that node 2 died, signed in to node 0 and joined the room
  // again; gina and hank hear each other again, and ivy on node 1 gets
  // hank's media through node 0.
  ASSERT_TRUE(hank->wait_for_line(std::regex("joined again"), 20s))
      << "hank did not join again after node 2 died";
  EXPECT_TRUE(hank->wait_for_line(
      std::regex("signed in to 127.0.0.1:" + std::to_string(nodes_[0]->quic_port()) + " in"), 1s));
  EXPECT_TRUE(gina->wait_for_lines(std::regex("hearing " + hank_fp), 2, 0, 15s))
      << "gina did not get hank's key again";
  EXPECT_TRUE(hank->wait_for_lines(std::regex("hearing " + gina_fp), 2, 0, 15s))
      << "hank did not get gina's key again";
  // Both play on: their status lines count more than 50 of the other's
  // frames since the kill (a loaded machine takes longer, not fewer).
  auto plays_on = [](const ChildProcess &process, size_t at_kill, const std::regex &status,
                     long frames) {
    return wait_until(
        [&] { return played_after(process.lines(), at_kill, status, status).first > frames; }, 20s);
  };
  // A room member's status and summary lines of one sender's frames.
  auto member_lines = [](uint32_t id) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x", id);
    return std::pair{std::regex(std::string(hex) + " played (\\d+) fec \\d+ concealed (\\d+)"),
                     std::regex("sender id " + std::to_string(id) +
                                ": played (\\d+) \\(FEC \\d+\\), concealed (\\d+)")};
  };
  // At gina, hank's frames; at hank, gina's.
  const auto [hank_status, hank_summary] = member_lines(hank_id);
  const auto [gina_status, gina_summary] = member_lines(gina_id);
  EXPECT_TRUE(plays_on(*gina, gina_lines_at_kill, hank_status, 50));
  EXPECT_TRUE(plays_on(*hank, hank_lines_at_kill, gina_status, 50));
  double ivy_gap = 0;
  EXPECT_TRUE(wait_until(
      [&] {
        std::lock_guard lock(hank_mutex);
        return hank_packets.back() > killed;
      },
      10s))
      << "hank's media did not reach node 1 again";
  {
    // The longest pause from the last packet before the kill on (packets
    // node 2 had already forwarded may still arrive just after it).
    std::lock_guard lock(hank_mutex);
    auto from = std::upper_bound(hank_packets.begin(), hank_packets.end(), killed);
    if (from != hank_packets.begin()) --from;
    for (auto it = from; it != hank_packets.end() && std::next(it) != hank_packets.end(); ++it) {
      ivy_gap = std::max(ivy_gap, std::chrono::duration<double>(*std::next(it) - *it).count());
    }
  }
  ivy->session->set_datagram_handler(nullptr);
  // Node 1 may give node 2 up after hank signed in to node 0: hank stays
  // online there all the same (the route follows him to node 0).
  std::optional<bool> hank_online_at_ivy;
  while (auto received = ivy->session->next(0ms)) {
    if (auto *list = std::get_if<signal::PresenceList>(&received->message)) {
      for (const auto &user : list->users) {
        if (user.fingerprint == hank_fp) hank_online_at_ivy = true;
      }
    } else if (auto *update = std::get_if<signal::PresenceUpdate>(&received->message);
               update && update->user.fingerprint == hank_fp) {
      hank_online_at_ivy = update->online;
    }
  }
  EXPECT_EQ(hank_online_at_ivy, std::optional(true)) << "hank is offline on node 1";
  // The silence each heard: the longest run of 20 ms windows without the
  // other's tone in its recording, between the first and the last.
  auto silence = [](const std::filesystem::path &wav) {
    auto pcm = read_wav(wav);
    if (!pcm) return -1.0;
    size_t longest = 0, run = 0;
    bool heard = false;
    for (double level : envelope(*pcm, 20)) {
      if (level > 0.02) {
        if (heard) longest = std::max(longest, run);
        heard = true;
        run = 0;
      } else {
        ++run;
      }
    }
    return 0.02 * static_cast<double>(longest);
  };
  // The call resumed: bob signed in to another node, alice stayed on node
  // 0, and both met in the call's room there; each plays more than 20 of
  // the other's frames since the kill (a relayed call comes back at a low
  // tier: the gap's loss stepped it down to 80 ms frames, so 0.8-1.6 s of
  // the other), then alice hangs up (with gina and hank) and bob hears of it.
  const std::regex resumed("call resumed ([0-9.]+) s after the loss");
  auto calling_resumed = calling.wait_for_line(resumed, 20s);
  auto answering_resumed = answering.wait_for_line(resumed, 20s);
  EXPECT_TRUE(calling_resumed && answering_resumed) << "the call through node 2 did not resume";
  EXPECT_TRUE(answering.wait_for_line(std::regex("lost .*: signing in again"), 1s));
  const std::regex call_status("\\| played (\\d+) \\| recovered \\d+ \\| concealed (\\d+)");
  EXPECT_TRUE(plays_on(calling, calling_lines_at_kill, call_status, 20));
  EXPECT_TRUE(plays_on(answering, answering_lines_at_kill, call_status, 20));
  gina->signal(SIGINT);
  hank->signal(SIGINT);
  calling.signal(SIGINT);
  Outcome call_caller = finish(calling, 20s);
  Outcome call_callee = finish(answering, 20s);
  EXPECT_EQ(call_caller.exit_code, 0) << call_caller.output;
  EXPECT_EQ(call_callee.exit_code, 0) << call_callee.output;
  EXPECT_NE(call_callee.output.find("call ended: the other side hung up"), std::string::npos)
      << call_callee.output;
  const std::regex call_summary("frames played +(\\d+) from real data, (\\d+) concealed");
  const auto [at_alice_call, at_alice_concealed] =
      played_after(calling.lines(), calling_lines_at_kill, call_status, call_summary);
  const auto [at_bob_call, at_bob_concealed] =
      played_after(answering.lines(), answering_lines_at_kill, call_status, call_summary);
  EXPECT_GT(at_alice_call, 20) << call_caller.output;
  EXPECT_GT(at_bob_call, 20) << call_callee.output;

  Outcome gina_end = finish(*gina, 20s);
  Outcome hank_end = finish(*hank, 20s);
  EXPECT_EQ(gina_end.exit_code, 0) << gina_end.output;
  EXPECT_EQ(hank_end.exit_code, 0) << hank_end.output;
  EXPECT_NE(hank_end.output.find("joined again          1 times"), std::string::npos)
      << hank_end.output;
  const auto [at_gina_played, at_gina_concealed] =
      played_after(gina->lines(), gina_lines_at_kill, hank_status, hank_summary);
  const auto [at_hank_played, at_hank_concealed] =
      played_after(hank->lines(), hank_lines_at_kill, gina_status, gina_summary);
  EXPECT_GT(at_gina_played, 50) << "gina played less than a second of hank after the kill\n"
                                << gina_end.output;
  EXPECT_GT(at_hank_played, 50) << "hank played less than a second of gina after the kill\n"
                                << hank_end.output;
  auto seconds_of = [&](const std::optional<std::string> &line) -> std::string {
    std::smatch m;
    return line && std::regex_search(*line, m, resumed) ? m[1].str() : "-";
  };
  // The path before the resume, as alice's summary keeps it.
  std::smatch path;
  const std::string alice_path =
      std::regex_search(call_caller.output, path, std::regex("media path +([^\n]*)"))
          ? path[1].str()
          : "-";
  std::printf(
      "call across the kill: silence heard %.2f s at alice, %.2f s at bob; resumed %s s after "
      "the loss at alice, %s s at bob; after the kill alice played %ld of bob's frames, bob %ld "
      "of alice's (concealed %ld and %ld); alice's media path before: %s\n",
      silence(dir_ / "call_at_alice.wav"), silence(dir_ / "call_at_bob.wav"),
      seconds_of(calling_resumed).c_str(), seconds_of(answering_resumed).c_str(), at_alice_call,
      at_bob_call, at_alice_concealed, at_bob_concealed, alice_path.c_str());
  std::printf(
      "room across the kill: hank's media paused %.1f s at node 1; silence heard: %.2f s at "
      "gina, %.2f s at hank; after the kill gina played %ld of hank's frames (concealed %ld), "
      "hank %ld of gina's (concealed %ld)\n",
      ivy_gap, silence(dir_ / "room_at_alice.wav"), silence(dir_ / "room_at_bob.wav"),
      at_gina_played, at_gina_concealed, at_hank_played, at_hank_concealed);

  // erin signs in to node 1 and can be called from node 0 again, by her

  // alias, which node 1 learns from Redis.
  auto identity = std::move(erin->identity);
  erin->session->set_close_handler(nullptr);
  erin.reset();
  const auto back = Clock::now();
  erin = member(1, std::move(identity));
  ASSERT_TRUE(erin);
  ASSERT_TRUE(carol->wait_for<signal::PresenceUpdate>([&](const signal::PresenceUpdate &u) {
    return u.online && u.user.fingerprint == erin_fp && u.user.alias == "erin";
  })) << "@erin is not known on node 0 after her move to node 1";
  EXPECT_EQ(carol->resolve("@erin"), erin_fp);
  carol->session->send(
      signal::CallOffer{"call-after-failover", "", "@erin", {0xaa, 0xbb}, {"opus"}, {"good"}, {}});
  auto offer = erin->wait_for<signal::CallOffer>(
      [](const signal::CallOffer &o) { return o.call_id == "call-after-failover"; }, 15s);
  ASSERT_TRUE(offer) << "a call from node 0 did not reach erin on node 1";
  EXPECT_EQ(offer->caller, fingerprint(carol->identity));
  const auto callable_after = Clock::now() - back;
  erin->session->send(
      signal::CallAnswer{"call-after-failover", signal::AnswerMode::kAccept, {0xcc}, {}});
  EXPECT_TRUE(carol->wait_for<signal::CallSetup>([](const signal::CallSetup &s) {
    return s.call_id == "call-after-failover";
  })) << "the call after the failover was not set up";
  std::printf(
      "failover: carol's call hung up (relay_lost) %.1f s after SIGKILL, erin's client ended "
      "%.1f s after (%s); erin offline on node 0 %.1f s after; rung on node 1 %.1f s "
      "after signing in there\n",
      std::chrono::duration<double>(*hung_up_after).count(),
      std::chrono::duration<double>(erin_ended_after).count(), erin_end.c_str(),
      std::chrono::duration<double>(*offline_after).count(),
      std::chrono::duration<double>(callable_after).count());
}

}  // namespace
}  // namespace wzp::test
