// A node of a cluster of wzp-signald processes that act as one service,
// their shared state in Redis (docs/signal.md "A cluster on Redis"). Redis
// holds what must be cluster-wide: the nodes alive (a key each, with a TTL
// the node refreshes), which node each user is on (the same), the aliases
// (claimed atomically by a script), the missed calls of users signed in
// nowhere, and a channel on which nodes announce their arrival and
// departure. Everything else, presence, calls, rooms and
// their media between nodes, crosses the federation links, which nodes open
// to every node they find in Redis instead of --peer flags.
//
// hiredis' synchronous API on a thread of its own, with socket timeouts: a
// slow or absent Redis never stalls the core, and a reply is only ever
// read as the answer to a command (hiredis' asynchronous API aborts the
// process on a reply nothing asked for). The thread takes the core mutex
// to touch the core.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "signald/config.hpp"
#include "signald/core/federation.hpp"
#include "signald/core/metrics.hpp"
#include "signald/core/server.hpp"
#include "signald/federation_transport.hpp"

struct redisContext;
struct redisReply;

namespace wzp::signald {

// How often a node refreshes its keys, and how long they outlive a node
// that stopped refreshing them: a dead node's users are offline elsewhere
// within kClusterKeyTtl plus one refresh.
inline constexpr std::chrono::milliseconds kClusterRefresh{1000};
inline constexpr std::chrono::milliseconds kClusterKeyTtl{3000};
// How long a command may wait for Redis before the connection is dropped.
inline constexpr std::chrono::milliseconds kRedisTimeout{1000};
// Links a node's federation port must hold: two per other node.
inline constexpr size_t kMaxClusterNodes = 32;

// How a node reaches its cluster's Redis (Config's cluster_redis settings).
struct RedisAccess {
  HostPort address;
  std::string user;      // an ACL user; empty: the default user
  std::string password;  // empty: no AUTH
  std::string prefix;    // begins every key and the channel
};

class RedisCluster final : public AliasRegistry, public MissedCallRegistry {
 public:
  // `self`: this node's federation address as the others reach it, its
  // federation certificate and identity. Everything passed must outlive it.
  RedisCluster(std::mutex &core_mutex, Server &server, Federation &federation,
               FederationTransport &relays, RedisAccess redis, PeerConfig self);
  // Runs what is queued (a leave() included), then stops the thread.
  ~RedisCluster() override;
  RedisCluster(const RedisCluster &) = delete;
  RedisCluster &operator=(const RedisCluster &) = delete;

  // On a clean shutdown: drops this node's key and says so on the channel,
  // so the others close their links now rather than at its key's expiry.
  void leave();
  // With the core mutex held.
  const ClusterCounters &counters() const { return counters_; }

  // AliasRegistry; with the core mutex held, from any thread.
  void claim(const std::string &alias, const std::string &fingerprint,
             std::function<void(std::optional<Store::ClaimResult>, const Now &)> done) override;
  void release(const std::string &alias, const std::string &fingerprint,
               std::function<void(std::optional<Store::ReleaseResult>, const Now &)> done) override;
  void alias_of(
      const std::string &fingerprint,
      std::function<void(std::optional<std::optional<std::string>>, const Now &)> done) override;
  // MissedCallRegistry; the same.
  void add_missed_call(const std::string &callee, const signal::MissedCall &call) override;
  void take_missed_calls(
      const std::string &callee, uint64_t now_unix,
      std::function<void(std::optional<std::vector<signal::MissedCall>>, const Now &)> done)
      override;

 private:
  struct ReplyDeleter {
    void operator()(redisReply *reply) const;
  };
  using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

  // "<prefix>:<kind>:<name>", or "<prefix>:<kind>" without a name.
  std::string key(const char *kind, const std::string &name = "") const;

  // The thread's; everything below runs on it.
  void run();
  bool connect();
  // Opens one connection, signed in when a password is set; nullptr with
  // `error` set when that fails.
  redisContext *open_connection(std::string &error);
  void disconnect(const std::string &why);
  // Sends the commands as one pipeline; their replies in order, or an
  // empty vector when the connection failed (then dropped and counted).
  std::vector<Reply> pipeline(const std::vector<std::vector<std::string>> &commands);
  void refresh();
  void read_nodes(const std::vector<std::string> &ids);
  void node_gone(const std::string &identity);
  // Reads what the channel has; true if a node came or went.
  bool read_channel();
  void bad_reply(const char *what, const redisReply *reply);
  void failed();
  void queue(std::function<void()> request);

  std::mutex &mutex_;
  Server &server_;
  Federation &federation_;
  FederationTransport &relays_;
  RedisAccess redis_;
  PeerConfig self_;
  std::string self_record_;  // HOST:PORT,CERT_SHA256,IDENTITY, as --peer takes it

  redisContext *commands_ = nullptr;
  redisContext *subscriber_ = nullptr;
  bool failing_ = false;  // logged once per outage
  bool announced_ = false;
  struct Node {
    PeerConfig config;
    // When its key was first found missing: a node is gone once its key
    // stays missing for a refresh, so a Redis that restarted empty does not
    // cut the links of nodes that are alive (they write theirs again
    // within a refresh).
    std::optional<std::chrono::steady_clock::time_point> missing_since;
  };
  std::map<std::string, Node> nodes_;  // the other nodes, by identity
  int wake_[2] = {-1, -1};             // a pipe: queue() and the destructor write to it

  // Under the core mutex.
  ClusterCounters counters_;
  std::vector<std::function<void()>> queued_;
  bool stopping_ = false;

  std::thread thread_;  // last: starts once the rest is set up
};

}  // namespace wzp::signald
