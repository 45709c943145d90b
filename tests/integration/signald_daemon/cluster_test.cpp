// A cluster node (docs/signal.md "A cluster on Redis") whose Redis is
// absent, comes, answers nonsense, dies, and is replaced by something that
// is not Redis at all: each gets a clear log line and a counted failure,
// the node keeps serving its clients, and alias claims fail cleanly while
// the registry is out of reach.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <regex>
#include <thread>

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

}  // namespace
}  // namespace wzp::signald::test
