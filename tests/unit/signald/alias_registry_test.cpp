// A Server whose aliases a cluster's registry decides (docs/signal.md "A
// cluster on Redis"): the registry here is the rule Redis's script applies,
// kept in memory, answering when the test lets it, as Redis answers later.
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>

#include "tests/unit/signald/harness.hpp"

namespace wzp::signald::testing {
namespace {

using namespace wzp::signal;
using namespace std::chrono_literals;

class Registry : public AliasRegistry {
 public:
  void claim(const std::string &alias, const std::string &fingerprint,
             std::function<void(std::optional<Store::ClaimResult>, const Now &)> done) override {
    pending_.push_back([this, alias, fingerprint, done](const Now &now) {
      if (!reachable) return done(std::nullopt, now);
      auto owner = owners.find(alias);
      if (owner != owners.end()) {
        return done(owner->second == fingerprint ? Store::ClaimResult::kAlreadyYours
                                                 : Store::ClaimResult::kTaken,
                    now);
      }
      if (aliases.contains(fingerprint)) return done(Store::ClaimResult::kOwnerHasAnother, now);
      owners[alias] = fingerprint;
      aliases[fingerprint] = alias;
      done(Store::ClaimResult::kClaimed, now);
    });
  }
  void release(
      const std::string &alias, const std::string &fingerprint,
      std::function<void(std::optional<Store::ReleaseResult>, const Now &)> done) override {
    pending_.push_back([this, alias, fingerprint, done](const Now &now) {
      if (!reachable) return done(std::nullopt, now);
      auto owner = owners.find(alias);
      if (owner == owners.end()) return done(Store::ReleaseResult::kUnknown, now);
      if (owner->second != fingerprint) return done(Store::ReleaseResult::kNotOwner, now);
      owners.erase(owner);
      aliases.erase(fingerprint);
      done(Store::ReleaseResult::kReleased, now);
    });
  }
  void alias_of(
      const std::string &fingerprint,
      std::function<void(std::optional<std::optional<std::string>>, const Now &)> done) override {
    pending_.push_back([this, fingerprint, done](const Now &now) {
      if (!reachable) return done(std::nullopt, now);
      auto found = aliases.find(fingerprint);
      done(found == aliases.end() ? std::optional<std::string>() : found->second, now);
    });
  }
  // Answers what was asked so far, in order.
  bool answer(const Now &now) {
    bool any = !pending_.empty();
    while (!pending_.empty()) {
      auto next = std::move(pending_.front());
      pending_.pop_front();
      next(now);
    }
    return any;
  }

  bool reachable = true;
  std::map<std::string, std::string> owners, aliases;  // alias -> owner, owner -> alias

 private:
  std::deque<std::function<void(const Now &)>> pending_;
};

class AliasRegistryTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    server_->set_alias_registry(&registry_);
  }
  void TearDown() override {
    server_->set_alias_registry(nullptr);
    ServerTest::TearDown();
  }
  // Lets the registry answer, then the store's writes finish.
  void answer() {
    while (registry_.answer(now_)) settle();
  }
  // The reply to request `id`: "ok", the error's code, or "none".
  std::string reply(ConnectionId conn, uint64_t id) const {
    for (const auto &sent : out_.sent) {
      if (sent.to != conn || sent.request_id != id) continue;
      if (std::holds_alternative<Ok>(sent.message)) return "ok";
      if (auto *error = std::get_if<Error>(&sent.message)) return error->code;
    }
    return "none";
  }

  Registry registry_;
};

TEST_F(AliasRegistryTest, TheRegistryDecidesAndTheStoreKeepsItsDecision) {
  auto alice = crypto::Identity::generate();
  ConnectionId a = login(alice);
  answer();
  // Claimed on another node: this node's store has never heard of it.
  registry_.owners["bob"] = "0000:0000:0000:0000:0000:0000:0000:0001";
  send(a, AliasClaim{"bob"}, 1);
  EXPECT_EQ(reply(a, 1), "none") << "answered before the registry decided";
  answer();
  EXPECT_EQ(reply(a, 1), "alias_taken");
  EXPECT_EQ(store_->alias_owner("bob"), std::nullopt);

  send(a, AliasClaim{"alice"}, 2);
  answer();
  EXPECT_EQ(reply(a, 2), "ok");
  EXPECT_EQ(registry_.owners["alice"], fingerprint(alice));
  EXPECT_EQ(store_->alias_of(fingerprint(alice)), "alice");
  send(a, AliasClaim{"other"}, 3);
  answer();
  EXPECT_EQ(reply(a, 3), "alias_held");

  send(a, AliasRelease{"alice"}, 4);
  answer();
  EXPECT_EQ(reply(a, 4), "ok");
  EXPECT_FALSE(registry_.owners.contains("alice"));
  EXPECT_EQ(store_->alias_of(fingerprint(alice)), std::nullopt);
}

TEST_F(AliasRegistryTest, AnUnansweredRegistryFailsClaimsAndReleasesCleanly) {
  auto alice = crypto::Identity::generate();
  ConnectionId a = login(alice);
  answer();
  registry_.reachable = false;
  send(a, AliasClaim{"alice"}, 1);
  send(a, AliasRelease{"alice"}, 2);
  answer();
  EXPECT_EQ(reply(a, 1), "internal");
  EXPECT_EQ(reply(a, 2), "internal");
  EXPECT_EQ(store_->alias_of(fingerprint(alice)), std::nullopt);
  EXPECT_TRUE(out_.closed.empty());
}

TEST_F(AliasRegistryTest, ALoginTakesTheAliasClaimedOnAnotherNode) {
  auto alice = crypto::Identity::generate(), mallory = crypto::Identity::generate();
  // This node's copy is stale: it still gives "alice" to someone who
  // released it elsewhere, after which alice claimed it on another node.
  ASSERT_EQ(store_->claim_alias("alice", fingerprint(mallory), 1), Store::ClaimResult::kClaimed);
  registry_.owners["alice"] = fingerprint(alice);
  registry_.aliases[fingerprint(alice)] = "alice";
  ConnectionId watcher = login(crypto::Identity::generate());
  answer();
  out_.clear();
  advance(2s);
  server_->tick(now_);
  login(alice);
  answer();
  advance(2s);
  server_->tick(now_);
  EXPECT_EQ(store_->alias_owner("alice"), fingerprint(alice));
  EXPECT_EQ(store_->alias_of(fingerprint(mallory)), std::nullopt);
  auto updates = out_.to<PresenceUpdate>(watcher);
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().user.fingerprint, fingerprint(alice));
  EXPECT_EQ(updates.back().user.alias, "alice");
  EXPECT_EQ(server_->resolve("@alice").fingerprint, fingerprint(alice));
}

}  // namespace
}  // namespace wzp::signald::testing
