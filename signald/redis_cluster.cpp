#include "signald/redis_cluster.hpp"

#include <fcntl.h>
#include <glib.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>

#include "libwzp/base/host_port.hpp"
#include "libwzp/signal/printable.hpp"
#include "signald/quic_transport.hpp"

namespace wzp::signald {

namespace {

// One alias per fingerprint, one fingerprint per alias, decided in one step
// on the Redis server, so two nodes never both grant a name.
constexpr const char *kClaimScript = R"(
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then return 'yours' end
if owner then return 'taken' end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'held' end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
return 'claimed')";
constexpr const char *kReleaseScript = R"(
local owner = redis.call('GET', KEYS[1])
if not owner then return 'unknown' end
if owner ~= ARGV[1] then return 'not_owner' end
redis.call('DEL', KEYS[1], KEYS[2])
return 'released')";
// A missed call is kept only for a callee who has signed in to the cluster
// before (KEYS[1]), as the store keeps it only for one seen here; the list
// keeps the newest ARGV[2] and goes ARGV[3] seconds after its last call.
constexpr const char *kMissedAddScript = R"(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1)";
// At a login: seen from now on, and the missed calls handed over once.
constexpr const char *kMissedTakeScript = R"(
redis.call('SET', KEYS[1], '1')
local calls = redis.call('LRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[2])
return calls)";

// hiredis' argument vectors for a command.
struct Argv {
  explicit Argv(const std::vector<std::string> &args) {
    for (const auto &arg : args) {
      pointers.push_back(arg.data());
      lengths.push_back(arg.size());
    }
  }
  int count() const { return static_cast<int>(pointers.size()); }
  std::vector<const char *> pointers;
  std::vector<size_t> lengths;
};

std::optional<std::string> text_of(const redisReply *reply) {
  if (reply == nullptr ||
      (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS)) {
    return std::nullopt;
  }
  return std::string(reply->str, reply->len);
}

bool is_ok(const redisReply *reply) {
  return reply != nullptr &&
         (reply->type == REDIS_REPLY_STATUS || reply->type == REDIS_REPLY_INTEGER);
}

timeval to_timeval(std::chrono::milliseconds ms) {
  return {static_cast<time_t>(ms.count() / 1000),
          static_cast<suseconds_t>(ms.count() % 1000 * 1000)};
}

}  // namespace

void RedisCluster::ReplyDeleter::operator()(redisReply *reply) const { freeReplyObject(reply); }

RedisCluster::RedisCluster(std::mutex &core_mutex, Server &server, Federation &federation,
                           FederationTransport &relays, RedisAccess redis, PeerConfig self)
    : mutex_(core_mutex),
      server_(server),
      federation_(federation),
      relays_(relays),
      redis_(std::move(redis)),
      self_(std::move(self)) {
  self_record_ = base::format_host_port(self_.address.host, self_.address.port) + "," +
                 self_.certificate + "," + self_.identity;
  if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) g_error("cluster: pipe: %s", g_strerror(errno));
  thread_ = std::thread([this] { run(); });
}

RedisCluster::~RedisCluster() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  [[maybe_unused]] auto written = write(wake_[1], "x", 1);
  thread_.join();
  disconnect("");
  close(wake_[0]);
  close(wake_[1]);
}

std::string RedisCluster::key(const char *kind, const std::string &name) const {
  return redis_.prefix + ":" + kind + (name.empty() ? "" : ":" + name);
}

void RedisCluster::queue(std::function<void()> request) {
  queued_.push_back(std::move(request));
  [[maybe_unused]] auto written = write(wake_[1], "x", 1);
}

void RedisCluster::run() {
  auto next_refresh = std::chrono::steady_clock::now();
  for (;;) {
    std::vector<std::function<void()>> requests;
    bool stopping = false;
    {
      std::lock_guard lock(mutex_);
      requests.swap(queued_);
      stopping = stopping_;
    }
    for (auto &request : requests) request();
    if (stopping) return;
    auto now = std::chrono::steady_clock::now();
    if (now >= next_refresh) {
      refresh();
      next_refresh = now + kClusterRefresh;
    }
    pollfd fds[2] = {{wake_[0], POLLIN, 0}, {-1, POLLIN, 0}};
    if (subscriber_ != nullptr) fds[1].fd = subscriber_->fd;
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        next_refresh - std::chrono::steady_clock::now());
    poll(fds, 2, static_cast<int>(std::max<int64_t>(wait.count(), 0)));
    char drain[64];
    while (read(wake_[0], drain, sizeof drain) > 0) {
    }
    // A node came or went: read the membership now rather than at the next
    // refresh.
    if (fds[1].fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) && read_channel()) {
      next_refresh = std::chrono::steady_clock::now();
    }
  }
}

void RedisCluster::failed() {
  std::lock_guard lock(mutex_);
  ++counters_.redis_failures;
  counters_.redis_up = 0;
}

redisContext *RedisCluster::open_connection(std::string &error) {
  redisContext *context = redisConnectWithTimeout(redis_.address.host.c_str(), redis_.address.port,
                                                  to_timeval(kRedisTimeout));
  if (context == nullptr || context->err != 0) {
    error = context != nullptr ? context->errstr : "out of memory";
    if (context != nullptr) redisFree(context);
    return nullptr;
  }
  redisSetTimeout(context, to_timeval(kRedisTimeout));
  if (redis_.password.empty()) return context;
  std::vector<std::string> args{"AUTH"};
  if (!redis_.user.empty()) args.push_back(redis_.user);
  args.push_back(redis_.password);
  Argv argv(args);
  Reply reply(static_cast<redisReply *>(
      redisCommandArgv(context, argv.count(), argv.pointers.data(), argv.lengths.data())));
  if (reply && is_ok(reply.get())) return context;
  // Redis's refusal names neither the user nor the password.
  error = "AUTH: " + (!reply                             ? std::string(context->errstr)
                      : reply->type == REDIS_REPLY_ERROR ? signal::printable(reply->str)
                                                         : "unexpected reply");
  redisFree(context);
  return nullptr;
}

bool RedisCluster::connect() {
  if (commands_ != nullptr && subscriber_ != nullptr) return true;
  disconnect("");
  std::string error;
  commands_ = open_connection(error);
  if (commands_ != nullptr) subscriber_ = open_connection(error);
  if (error.empty()) {
    const std::string channel = key("cluster");
    Reply confirmed(
        static_cast<redisReply *>(redisCommand(subscriber_, "SUBSCRIBE %s", channel.c_str())));
    if (!confirmed || confirmed->type != REDIS_REPLY_ARRAY) {
      error = confirmed ? "SUBSCRIBE: unexpected reply" : subscriber_->errstr;
      if (confirmed) bad_reply("SUBSCRIBE", confirmed.get());
    }
  }
  if (!error.empty()) {
    if (!failing_) {
      g_warning("cluster: Redis %s:%u: %s", redis_.address.host.c_str(), redis_.address.port,
                error.c_str());
    }
    failing_ = true;
    disconnect("");
    failed();
    return false;
  }
  if (failing_) {
    g_message("cluster: Redis %s:%u reached", redis_.address.host.c_str(), redis_.address.port);
  }
  failing_ = false;
  announced_ = false;
  std::lock_guard lock(mutex_);
  counters_.redis_up = 1;
  return true;
}

void RedisCluster::disconnect(const std::string &why) {
  if (!why.empty()) {
    if (!failing_) {
      g_warning("cluster: Redis %s:%u: %s", redis_.address.host.c_str(), redis_.address.port,
                why.c_str());
    }
    failing_ = true;
    failed();
  }
  for (redisContext **slot : {&commands_, &subscriber_}) {
    if (*slot != nullptr) redisFree(*slot);
    *slot = nullptr;
  }
}

std::vector<RedisCluster::Reply> RedisCluster::pipeline(
    const std::vector<std::vector<std::string>> &commands) {
  std::vector<Reply> replies;
  if (!connect()) return replies;
  for (const auto &args : commands) {
    Argv argv(args);
    redisAppendCommandArgv(commands_, argv.count(), argv.pointers.data(), argv.lengths.data());
  }
  for (size_t i = 0; i < commands.size(); ++i) {
    void *reply = nullptr;
    if (redisGetReply(commands_, &reply) != REDIS_OK) {
      disconnect(commands_->errstr[0] != '\0' ? commands_->errstr : "connection lost");
      return {};
    }
    replies.emplace_back(static_cast<redisReply *>(reply));
  }
  return replies;
}

void RedisCluster::bad_reply(const char *what, const redisReply *reply) {
  if (reply == nullptr) return failed();
  std::string detail = "type " + std::to_string(reply->type);
  if (reply->type == REDIS_REPLY_ERROR || reply->type == REDIS_REPLY_STRING ||
      reply->type == REDIS_REPLY_STATUS) {
    detail +=
        ": " + signal::printable(std::string_view(reply->str, std::min<size_t>(reply->len, 80)));
  }
  g_warning("cluster: Redis: unexpected reply to %s (%s)", what, detail.c_str());
  std::lock_guard lock(mutex_);
  ++counters_.redis_bad_replies;
}

void RedisCluster::refresh() {
  const std::string ttl = std::to_string(kClusterKeyTtl.count());
  std::vector<std::vector<std::string>> commands{
      {"SET", key("node", self_.identity), self_record_, "PX", ttl},
      {"SADD", key("nodes"), self_.identity}};
  {
    std::lock_guard lock(mutex_);
    for (const auto &user : server_.local_presence()) {
      commands.push_back({"SET", key("user", user.fingerprint), self_.identity, "PX", ttl});
    }
  }
  const bool announce = !announced_;
  if (announce) commands.push_back({"PUBLISH", key("cluster"), "join " + self_.identity});
  commands.push_back({"SMEMBERS", key("nodes")});
  auto replies = pipeline(commands);
  if (replies.empty()) return;
  announced_ = true;
  for (size_t i = 0; i + 1 < replies.size(); ++i) {
    if (!is_ok(replies[i].get())) bad_reply(commands[i].front().c_str(), replies[i].get());
  }
  const redisReply *members = replies.back().get();
  if (members->type != REDIS_REPLY_ARRAY) return bad_reply("SMEMBERS", members);
  std::vector<std::string> ids;
  for (size_t i = 0; i < members->elements; ++i) {
    auto id = text_of(members->element[i]);
    if (!id) return bad_reply("SMEMBERS", members);
    if (*id != self_.identity) ids.push_back(*id);
  }
  // Known nodes are read whether the set still names them or not.
  for (const auto &[identity, node] : nodes_) {
    if (std::find(ids.begin(), ids.end(), identity) == ids.end()) ids.push_back(identity);
  }
  if (!ids.empty()) read_nodes(ids);
}

void RedisCluster::read_nodes(const std::vector<std::string> &ids) {
  std::vector<std::string> mget{"MGET"};
  for (const auto &id : ids) mget.push_back(key("node", id));
  auto replies = pipeline({mget});
  if (replies.empty()) return;
  const redisReply *records = replies.front().get();
  if (records->type != REDIS_REPLY_ARRAY || records->elements != ids.size()) {
    return bad_reply("MGET", records);
  }
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::vector<std::string>> expired;
  for (size_t i = 0; i < ids.size(); ++i) {
    const redisReply *record = records->element[i];
    auto known = nodes_.find(ids[i]);
    if (record->type == REDIS_REPLY_NIL) {
      // Its key expired: the node stopped refreshing it (a live one adds
      // itself again).
      expired.push_back({"SREM", key("nodes"), ids[i]});
      if (known == nodes_.end()) continue;
      auto &missing = known->second.missing_since;
      if (!missing) missing = now;
      if (now - *missing >= kClusterRefresh) node_gone(ids[i]);
      continue;
    }
    auto text = text_of(record);
    std::string error;
    auto peer = text ? parse_peer(*text, error) : std::nullopt;
    if (!peer || peer->identity != ids[i]) {
      bad_reply("MGET (a node's record)", record);
      continue;
    }
    if (known != nodes_.end()) {
      const PeerConfig &was = known->second.config;
      known->second.missing_since.reset();
      if (was.address.host == peer->address.host && was.address.port == peer->address.port &&
          was.certificate == peer->certificate) {
        continue;
      }
      node_gone(ids[i]);  // restarted elsewhere: link to where it is now
    }
    if (nodes_.size() >= kMaxClusterNodes) {
      g_warning("cluster: more than %zu other nodes; %s left out", kMaxClusterNodes,
                ids[i].c_str());
      continue;
    }
    g_message("cluster: node %s at %s:%u", ids[i].c_str(), peer->address.host.c_str(),
              peer->address.port);
    nodes_.emplace(ids[i], Node{*peer, std::nullopt});
    std::lock_guard lock(mutex_);
    federation_.set_trusted(peer->identity, true, wall_and_steady_now());
    relays_.add_peer(*peer);
    counters_.nodes = nodes_.size();
  }
  if (expired.empty()) return;
  auto removed = pipeline(expired);
  for (const auto &reply : removed) {
    if (!is_ok(reply.get())) bad_reply("SREM", reply.get());
  }
}

void RedisCluster::node_gone(const std::string &identity) {
  if (nodes_.erase(identity) == 0) return;
  g_message("cluster: node %s gone", identity.c_str());
  std::lock_guard lock(mutex_);
  federation_.set_trusted(identity, false, wall_and_steady_now());
  relays_.remove_peer(identity);
  ++counters_.nodes_expired;
  counters_.nodes = nodes_.size();
}

bool RedisCluster::read_channel() {
  if (redisBufferRead(subscriber_) != REDIS_OK) {
    disconnect(subscriber_->errstr[0] != '\0' ? subscriber_->errstr : "connection lost");
    return false;
  }
  bool changed = false;
  for (;;) {
    void *raw = nullptr;
    if (redisGetReplyFromReader(subscriber_, &raw) != REDIS_OK) {
      disconnect(subscriber_->errstr);
      return changed;
    }
    if (raw == nullptr) return changed;
    Reply message(static_cast<redisReply *>(raw));
    std::optional<std::string> kind, text;
    if (message->type == REDIS_REPLY_ARRAY && message->elements == 3) {
      kind = text_of(message->element[0]);
      text = text_of(message->element[2]);
    }
    if (kind == "message" && text && (text->starts_with("join ") || text->starts_with("leave "))) {
      changed |= text->substr(text->find(' ') + 1) != self_.identity;
    } else {
      bad_reply("a cluster announcement", message.get());
    }
  }
}

void RedisCluster::leave() {
  std::lock_guard lock(mutex_);
  queue([this] {
    pipeline({{"DEL", key("node", self_.identity)},
              {"SREM", key("nodes"), self_.identity},
              {"PUBLISH", key("cluster"), "leave " + self_.identity}});
  });
}

void RedisCluster::claim(const std::string &alias, const std::string &fingerprint,
                         std::function<void(std::optional<Store::ClaimResult>, const Now &)> done) {
  queue([this, alias, fingerprint, done = std::move(done)] {
    auto replies = pipeline({{"EVAL", kClaimScript, "2", key("alias", alias),
                              key("alias-of", fingerprint), fingerprint, alias}});
    std::optional<Store::ClaimResult> result;
    if (!replies.empty()) {
      auto text = text_of(replies.front().get());
      if (text == "claimed") result = Store::ClaimResult::kClaimed;
      if (text == "yours") result = Store::ClaimResult::kAlreadyYours;
      if (text == "taken") result = Store::ClaimResult::kTaken;
      if (text == "held") result = Store::ClaimResult::kOwnerHasAnother;
      if (!result) bad_reply("the alias claim", replies.front().get());
    }
    std::lock_guard lock(mutex_);
    done(result, wall_and_steady_now());
  });
}

void RedisCluster::release(
    const std::string &alias, const std::string &fingerprint,
    std::function<void(std::optional<Store::ReleaseResult>, const Now &)> done) {
  queue([this, alias, fingerprint, done = std::move(done)] {
    auto replies = pipeline({{"EVAL", kReleaseScript, "2", key("alias", alias),
                              key("alias-of", fingerprint), fingerprint}});
    std::optional<Store::ReleaseResult> result;
    if (!replies.empty()) {
      auto text = text_of(replies.front().get());
      if (text == "released") result = Store::ReleaseResult::kReleased;
      if (text == "unknown") result = Store::ReleaseResult::kUnknown;
      if (text == "not_owner") result = Store::ReleaseResult::kNotOwner;
      if (!result) bad_reply("the alias release", replies.front().get());
    }
    std::lock_guard lock(mutex_);
    done(result, wall_and_steady_now());
  });
}

void RedisCluster::alias_of(
    const std::string &fingerprint,
    std::function<void(std::optional<std::optional<std::string>>, const Now &)> done) {
  queue([this, fingerprint, done = std::move(done)] {
    auto replies = pipeline({{"GET", key("alias-of", fingerprint)}});
    std::optional<std::optional<std::string>> result;
    if (!replies.empty()) {
      const redisReply *reply = replies.front().get();
      if (reply->type == REDIS_REPLY_NIL) {
        result.emplace(std::nullopt);
      } else if (auto text = text_of(reply); text && normalize_alias(*text) == *text) {
        result.emplace(*text);
      } else {
        bad_reply("GET alias", reply);
      }
    }
    std::lock_guard lock(mutex_);
    done(result, wall_and_steady_now());
  });
}

void RedisCluster::add_missed_call(const std::string &callee, const signal::MissedCall &call) {
  // Each entry is a missed_calls message of one call: the signal parser,
  // fuzzed already, reads it back.
  queue([this, callee, entry = signal::serialize(signal::MissedCalls{{call}})] {
    auto replies = pipeline(
        {{"EVAL", kMissedAddScript, "2", key("seen", callee), key("missed", callee), entry,
          std::to_string(signal::kMaxMissedCalls), std::to_string(kMissedCallLifetimeSeconds)}});
    if (!replies.empty() && replies.front()->type != REDIS_REPLY_INTEGER) {
      bad_reply("a missed call", replies.front().get());
    }
  });
}

void RedisCluster::take_missed_calls(
    const std::string &callee, uint64_t now_unix,
    std::function<void(std::optional<std::vector<signal::MissedCall>>, const Now &)> done) {
  queue([this, callee, now_unix, done = std::move(done)] {
    auto replies =
        pipeline({{"EVAL", kMissedTakeScript, "2", key("seen", callee), key("missed", callee)}});
    std::optional<std::vector<signal::MissedCall>> result;
    if (!replies.empty() && replies.front()->type != REDIS_REPLY_ARRAY) {
      bad_reply("the missed calls", replies.front().get());
    } else if (!replies.empty()) {
      result.emplace();
      const uint64_t oldest =
          now_unix > kMissedCallLifetimeSeconds ? now_unix - kMissedCallLifetimeSeconds : 0;
      const redisReply *entries = replies.front().get();
      for (size_t i = 0; i < entries->elements; ++i) {
        auto text = text_of(entries->element[i]);
        auto parsed = signal::parse(text.value_or(""));
        auto *calls = parsed.message ? std::get_if<signal::MissedCalls>(&*parsed.message) : nullptr;
        if (calls == nullptr) {
          bad_reply("a missed call", entries->element[i]);
          continue;
        }
        for (auto &call : calls->calls) {
          if (call.at_unix >= oldest) result->push_back(std::move(call));
        }
      }
      // The newest, should the list hold more than a message carries.
      if (result->size() > signal::kMaxMissedCalls) {
        result->erase(result->begin(), result->end() - signal::kMaxMissedCalls);
      }
    }
    std::lock_guard lock(mutex_);
    done(std::move(result), wall_and_steady_now());
  });
}

}  // namespace wzp::signald
