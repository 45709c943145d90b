// Cluster nodes (docs/signal.md "A cluster on Redis") against a real
// redis-server. A node whose Redis is absent, comes, answers nonsense, dies,
// and is replaced by something that is not Redis at all: each gets a clear
// log line and a counted failure, the node keeps serving its clients, and
// alias claims fail cleanly while the registry is out of reach. Two
// clusters sharing one Redis with passwords, each under its own prefix and
// ACL user; a missed call kept in Redis reaches its callee on another node.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "signald/core/store.hpp"
#include "tests/integration/signald_daemon/daemon.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/wait.hpp"

namespace wzp::signald::test {
namespace {

using namespace wzp::signal;

// A metric's value in the daemon's /metrics, -1 if it is not there.
double metric(const Daemon &daemon, const std::string &name) {
  auto reply = daemon.get("/metrics");
  std::smatch match;
  if (!std::regex_search(reply.body, match, std::regex("\n" + name + " (\\S+)\n"))) return -1;
  return std::stod(match[1]);
}

// The reply to a request: "ok" or the error's code.
std::string request(Client &client, const Message &message, uint64_t id) {
  client.send(message, id);
  for (int i = 0; i < 50; ++i) {
    if (auto ok = client.wait_for<Ok>(100ms)) return "ok";
    if (auto error = client.wait_for<Error>(100ms)) return error->code;
  }
  return "no reply";
}

// The next message of type T for which `match` holds, skipping others.
template <typename T, typename Match>
std::optional<T> wait_for_match(Client &client, Match match,
                                std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto message = client.wait_for<T>(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    if (!message) break;
    if (match(*message)) return message;
  }
  return std::nullopt;
}

// Something on the Redis port that is not Redis: whatever it is sent, it
// answers with replies nobody asked for, of every kind, then garbage.
class NotRedis {
 public:
  explicit NotRedis(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listening_ =
        bind(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0 && listen(fd_, 8) == 0;
    thread_ = std::thread([this] { serve(); });
  }
  ~NotRedis() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  bool listening() const { return listening_; }
  int answered() const { return answered_; }

 private:
  void serve() {
    static const std::string kNonsense =
        "+OK\r\n*3\r\n$7\r\nmessage\r\n:1\r\n*0\r\n:42\r\n-ERR not redis\r\n$-1\r\n"
        "*2\r\n$4\r\nwzp:\r\n*1\r\n*1\r\n:1\r\nthis is not the protocol\r\n";
    std::vector<int> clients;
    while (!stop_) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      for (int c : clients) fds.push_back({c, POLLIN, 0});
      if (poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client >= 0) clients.push_back(client);
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char buffer[4096];
        if (read(fds[i].fd, buffer, sizeof buffer) <= 0) {
          close(fds[i].fd);
          std::erase(clients, fds[i].fd);
          continue;
        }
        [[maybe_unused]] auto sent =
            send(fds[i].fd, kNonsense.data(), kNonsense.size(), MSG_NOSIGNAL);
        ++answered_;
      }
    }
    for (int c : clients) close(c);
  }

  int fd_ = -1;
  bool listening_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<int> answered_{0};
  std::thread thread_;
};

TEST(SignaldCluster, RedisGoingAwayAndBadRepliesAreCountedNotFatal) {
  auto root = wzp::test::make_temp_dir("signald-cluster");
  const uint16_t port = wzp::test::free_tcp_port();
  Daemon node(root, {"--federation-listen", "127.0.0.1:0", "--cluster-redis",
                     "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(node.ready()) << "a node starts without its Redis";

  // No Redis yet: counted, said once, and claims fail as unanswered.
  EXPECT_TRUE(wzp::test::wait_until(
      [&] { return metric(node, "wzp_signald_cluster_redis_failures_total") >= 1; }, 10s));
  EXPECT_EQ(metric(node, "wzp_signald_cluster_redis_up"), 0);
  EXPECT_TRUE(node.process().wait_for_line(std::regex("cluster: Redis 127.0.0.1:\\d+: .*"), 5s));
  auto alice = crypto::Identity::generate();
  Client on_node(node);
  ASSERT_TRUE(on_node.login(alice));
  EXPECT_EQ(request(on_node, AliasClaim{"alice"}, 1), "internal");

  {
    // Redis comes: the node connects, and claims go through it.
    wzp::test::RedisServer redis(root / "redis", port);
    ASSERT_TRUE(redis.ready());
    ASSERT_TRUE(wzp::test::wait_until(
        [&] { return metric(node, "wzp_signald_cluster_redis_up") == 1; }, 10s));
    EXPECT_EQ(request(on_node, AliasClaim{"alice"}, 2), "ok");
    EXPECT_EQ(redis.cli({"GET", "wzp:alias:alice"}), fingerprint(alice));
    EXPECT_EQ(redis.cli({"GET", "wzp:user:" + fingerprint(alice)}), node.identity());

    // Nonsense in its keys: a node record that does not parse, the node set
    // of the wrong type, an alias that is no alias. Counted, not fatal.
    redis.cli({"SET", "wzp:node:junk", "not a node record"});
    redis.cli({"SADD", "wzp:nodes", "junk"});
    auto bob = crypto::Identity::generate();
    redis.cli({"SET", "wzp:alias-of:" + fingerprint(bob), "NOT AN ALIAS!"});
    const double bad = metric(node, "wzp_signald_cluster_redis_bad_replies_total");
    EXPECT_TRUE(wzp::test::wait_until(
        [&] { return metric(node, "wzp_signald_cluster_redis_bad_replies_total") > bad; }, 10s));
    redis.cli({"DEL", "wzp:nodes"});
    redis.cli({"SET", "wzp:nodes", "a string"});
    Client bob_on_node(node);
    ASSERT_TRUE(bob_on_node.login(bob));  // its alias lookup gets the nonsense
    EXPECT_TRUE(wzp::test::wait_until(
        [&] { return metric(node, "wzp_signald_cluster_redis_bad_replies_total") >= bad + 3; },
        10s));
    EXPECT_EQ(metric(node, "wzp_signald_cluster_nodes"), 0) << "no node made of junk";

    // Redis dies.
    const double failures = metric(node, "wzp_signald_cluster_redis_failures_total");
    redis.process().signal(SIGKILL);
    EXPECT_TRUE(wzp::test::wait_until(
        [&] { return metric(node, "wzp_signald_cluster_redis_failures_total") > failures; }, 10s));
  }
  EXPECT_EQ(metric(node, "wzp_signald_cluster_redis_up"), 0);
  EXPECT_EQ(request(on_node, AliasRelease{"alice"}, 3), "internal");

  // Something that is not Redis takes the port: replies nobody asked for,
  // of every type, and bytes that are not the protocol.
  {
    NotRedis impostor(port);
    ASSERT_TRUE(impostor.listening());
    const double failures = metric(node, "wzp_signald_cluster_redis_failures_total");
    EXPECT_TRUE(wzp::test::wait_until([&] { return impostor.answered() >= 3; }, 10s));
    EXPECT_TRUE(wzp::test::wait_until(
        [&] { return metric(node, "wzp_signald_cluster_redis_failures_total") >= failures + 2; },
        10s));
    EXPECT_EQ(request(on_node, AliasClaim{"alice2"}, 4), "internal");
  }

  // Through all of it the node kept serving.
  EXPECT_EQ(node.get("/healthz").status, 200u);
  auto carol = crypto::Identity::generate();
  Client late(node);
  EXPECT_TRUE(late.login(carol));
  std::filesystem::remove_all(root);
}

// Two clusters share one Redis that wants passwords: each signs in as its
// own ACL user, allowed only its own prefix's keys and channel, its nodes
// find only each other, and a node with a wrong password says so. A call
// to a user offline on every node is kept in Redis and handed over at the
// user's next login, on a node that never saw the user, bounded and
// expiring as a node's store keeps missed calls.
TEST(SignaldCluster, ClustersShareARedisAndMissedCallsFollowTheirCallee) {
  auto root = wzp::test::make_temp_dir("signald-cluster-shared");
  wzp::test::RedisServer redis(
      root / "redis", 0,
      {"--requirepass", "default-secret", "--user", "alpha", "on", ">alpha-secret", "~alpha:*",
       "&alpha:*", "+@all", "--user", "beta", "on", ">beta-secret", "~beta:*", "&beta:*", "+@all"});
  ASSERT_TRUE(redis.ready());
  redis.sign_in_as("", "default-secret");  // the default user sees every key
  for (auto [name, password] : {std::pair{"alpha", "alpha-secret\n"},
                                {"beta", "beta-secret"},
                                {"wrong", "not-the-secret\n"}}) {
    std::ofstream(root / (std::string(name) + ".password")) << password;
  }
  auto node = [&](const std::string &dir, const std::string &prefix, const std::string &password,
                  std::map<std::string, std::string> env = {}) {
    std::vector<std::string> args{
        "--federation-listen", "127.0.0.1:0", "--cluster-redis",      redis.address(),
        "--cluster-prefix",    prefix,        "--cluster-redis-user", prefix};
    if (!password.empty()) {
      args.insert(args.end(),
                  {"--cluster-redis-password-file", (root / (password + ".password")).string()});
    }
    std::filesystem::create_directories(root / dir);
    return std::make_unique<Daemon>(root / dir, args, std::vector<std::string>{}, env);
  };
  // One of cluster alpha's nodes has its password in the environment.
  auto a0 = node("a0", "alpha", "alpha");
  auto a1 = node("a1", "alpha", "", {{"WZP_CLUSTER_REDIS_PASSWORD", "alpha-secret"}});
  ASSERT_TRUE(a0->ready() && a1->ready());
  ASSERT_TRUE(wzp::test::wait_until(
      [&] {
        return metric(*a0, "wzp_signald_cluster_nodes") == 1 &&
               metric(*a1, "wzp_signald_cluster_nodes") == 1;
      },
      10s))
      << "the nodes of cluster alpha did not find each other";
  auto b0 = node("b0", "beta", "beta");
  auto wrong = node("wrong", "beta", "wrong");
  ASSERT_TRUE(b0->ready() && wrong->ready());
  EXPECT_TRUE(
      wrong->process().wait_for_line(std::regex("cluster: Redis .*: AUTH: WRONGPASS.*"), 10s));
  EXPECT_GE(metric(*wrong, "wzp_signald_cluster_redis_failures_total"), 1);
  // Once b0 has written its key it has read its cluster's nodes, with
  // alpha's already in Redis: it found none.
  ASSERT_TRUE(wzp::test::wait_until(
      [&] {
        return redis.cli({"EXISTS", "beta:node:" + b0->identity()}) == "1";
      },
      10s));
  EXPECT_EQ(metric(*b0, "wzp_signald_cluster_nodes"), 0) << "a node of beta linked to alpha's";
  std::istringstream keys(redis.cli({"KEYS", "*"}));
  for (std::string key; std::getline(keys, key);) {
    EXPECT_TRUE(key.starts_with("alpha:") || key.starts_with("beta:")) << key;
  }

  // bob signs in to a1 and leaves; alice on a0 sees him go.
  auto alice = crypto::Identity::generate();
  auto bob = crypto::Identity::generate();
  auto carol = crypto::Identity::generate();  // never signs in
  Client alice_on_a0(*a0);
  ASSERT_TRUE(alice_on_a0.login(alice));
  auto presence = [&](bool online) {
    return wait_for_match<PresenceUpdate>(alice_on_a0, [&](const PresenceUpdate &u) {
      return u.user.fingerprint == fingerprint(bob) && u.online == online;
    });
  };
  {
    Client bob_on_a1(*a1);
    ASSERT_TRUE(bob_on_a1.login(bob));
    ASSERT_TRUE(presence(true)) << "alice did not see bob sign in to the other node";
  }
  ASSERT_TRUE(presence(false)) << "alice did not see bob leave";
  const std::string missed_key = "alpha:missed:" + fingerprint(bob);
  EXPECT_EQ(redis.cli({"EXISTS", "alpha:seen:" + fingerprint(bob)}), "1");

  // bob's list already holds as many calls as are kept: the oldest, one
  // past the lifetime, and an entry that is not a missed call.
  const uint64_t now = static_cast<uint64_t>(std::time(nullptr));
  auto entry = [&](const std::string &id, uint64_t at) {
    return serialize(MissedCalls{{MissedCall{id, fingerprint(carol), at}}});
  };
  std::vector<std::string> push{"RPUSH", missed_key, entry("trimmed", now - 60),
                                entry("too-old", now - 8 * 24 * 3600), "not a missed call"};
  for (size_t i = 0; push.size() - 2 < kMaxMissedCalls; ++i) {
    push.push_back(entry("kept-" + std::to_string(i), now - 60));
  }
  ASSERT_EQ(redis.cli(push), std::to_string(kMaxMissedCalls));

  // alice calls carol, whom the cluster never saw, then bob: both offline.
  for (auto [id, callee] :
       {std::pair{"to-carol", fingerprint(carol)}, {"to-bob", fingerprint(bob)}}) {
    alice_on_a0.send(CallOffer{id, "", callee, {0xaa}, {"opus"}, {"good"}, {}});
    auto hangup = wait_for_match<CallHangup>(alice_on_a0,
                                             [&](const CallHangup &h) { return h.call_id == id; });
    ASSERT_TRUE(hangup) << id;
    EXPECT_EQ(hangup->reason, "unavailable");
  }
  // One thread of a0's writes both, in order: once bob's is in, carol's
  // was refused.
  ASSERT_TRUE(wzp::test::wait_until(
      [&] {
        return redis.cli({"LINDEX", missed_key, "-1"}).find("\"to-bob\"") != std::string::npos;
      },
      10s));
  EXPECT_EQ(redis.cli({"EXISTS", "alpha:missed:" + fingerprint(carol)}), "0");
  EXPECT_EQ(redis.cli({"LLEN", missed_key}), std::to_string(kMaxMissedCalls));
  EXPECT_NE(redis.cli({"LINDEX", missed_key, "0"}).find("\"too-old\""), std::string::npos)
      << "the oldest call was not the one dropped";
  const long ttl = std::stol(redis.cli({"TTL", missed_key}));
  EXPECT_GT(ttl, static_cast<long>(kMissedCallLifetimeSeconds) - 60);
  EXPECT_LE(ttl, static_cast<long>(kMissedCallLifetimeSeconds));

  // bob signs in to a0, which never saw him: he gets his missed calls,
  // oldest first, without the expired one; the junk is counted.
  const double bad = metric(*a0, "wzp_signald_cluster_redis_bad_replies_total");
  Client bob_on_a0(*a0);
  ASSERT_TRUE(bob_on_a0.login(bob));
  auto missed = bob_on_a0.wait_for<MissedCalls>(10s);
  ASSERT_TRUE(missed) << "bob's missed calls did not follow him to another node";
  ASSERT_EQ(missed->calls.size(), kMaxMissedCalls - 2);
  EXPECT_EQ(missed->calls.front().call_id, "kept-0");
  EXPECT_EQ(missed->calls.back().call_id, "to-bob");
  EXPECT_EQ(missed->calls.back().caller, fingerprint(alice));
  for (const auto &call : missed->calls) EXPECT_NE(call.call_id, "too-old");
  EXPECT_EQ(metric(*a0, "wzp_signald_cluster_redis_bad_replies_total"), bad + 1);
  EXPECT_EQ(redis.cli({"EXISTS", missed_key}), "0") << "handed over once";
  std::filesystem::remove_all(root);
}

// The Redis settings are checked before anything starts, with a clear
// error; the password is never taken from the command line.
TEST(SignaldCluster, BadRedisSettingsAreClearErrors) {
  auto root = wzp::test::make_temp_dir("signald-cluster-settings");
  std::ofstream(root / "two-lines") << "first\nsecond\n";
  const std::vector<std::string> cluster{"--federation-listen", "127.0.0.1:0", "--cluster-redis",
                                         "127.0.0.1:1"};
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"--cluster-redis-user", "alpha"}, "--cluster-redis-user needs a password"},
      {{"--cluster-redis-password-file", (root / "absent").string()},
       "cluster-redis-password-file: .*absent"},
      {{"--cluster-redis-password-file", (root / "two-lines").string()},
       "expected the password on one line"},
      {{"--cluster-prefix", "a:b"}, "cluster-prefix: expected 1 to 32 of"},
      {{"--cluster-redis-password", "secret"}, "Unknown option --cluster-redis-password"},
  };
  for (const auto &[extra, message] : cases) {
    std::vector<std::string> args = cluster;
    args.insert(args.end(), extra.begin(), extra.end());
    wzp::test::ChildProcess bad(wzp::test::signald_binary(), args);
    auto status = bad.wait_exit(5s);
    ASSERT_TRUE(status);
    EXPECT_EQ(WEXITSTATUS(*status), 2) << message;
    EXPECT_TRUE(bad.wait_for_line(std::regex(".*" + message + ".*"), 1s)) << message;
  }
  wzp::test::ChildProcess alone(wzp::test::signald_binary(), {"--cluster-prefix", "alpha"});
  auto status = alone.wait_exit(5s);
  ASSERT_TRUE(status);
  EXPECT_EQ(WEXITSTATUS(*status), 2);
  EXPECT_TRUE(alone.wait_for_line(std::regex(".*need --cluster-redis.*"), 1s));
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace wzp::signald::test
