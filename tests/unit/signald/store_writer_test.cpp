#include "signald/core/store_writer.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "tests/support/paths.hpp"
#include "tests/unit/signald/sync_latch_vfs.hpp"

namespace wzp::signald::testing {
namespace {

using namespace std::chrono_literals;

const std::string kAlice = "aaaa:0000:0000:0000:0000:0000:0000:0001";

class StoreWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = wzp::test::make_temp_dir("signald-writer"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<Store> open() {
    std::string error;
    auto store = Store::open(dir_ / "state.db", error);
    EXPECT_TRUE(store) << error;
    return store;
  }
  SyncLatchVfs vfs_;
  std::filesystem::path dir_;
};

// Writes queued while a batch syncs share the next batch's one sync, and
// complete in order.
TEST_F(StoreWriterTest, WritesQueuedDuringASyncShareOne) {
  StoreWriter writer(open(), [] {});
  std::vector<Store::ClaimResult> results;
  auto claim = [&](const std::string &alias, const std::string &fingerprint) {
    writer.submit([=](Store &store) { return store.claim_alias(alias, fingerprint, 1); },
                  [&results](std::optional<Store::ClaimResult> result, const Now &) {
                    results.push_back(result.value_or(Store::ClaimResult::kFailed));
                  });
  };
  writer.submit([](Store &store) { store.note_seen(kAlice, 1); });  // the WAL's first commit
  writer.wait_until_written();
  vfs_.hold_syncs();
  claim("first", kAlice);
  ASSERT_TRUE(vfs_.wait_for_held_sync(10s));
  const int syncs_before = vfs_.syncs();
  for (int i = 0; i < 10; ++i) {
    claim("alias" + std::to_string(i),
          "bbbb:0000:0000:0000:0000:0000:0000:" + std::to_string(1000 + i));
  }
  claim("first", "cccc:0000:0000:0000:0000:0000:0000:0001");  // decided after the first claim
  vfs_.release_syncs();
  writer.wait_until_written();
  EXPECT_EQ(vfs_.syncs() - syncs_before, 1);
  writer.run_completions(Now{});
  ASSERT_EQ(results.size(), 12u);
  EXPECT_EQ(results.front(), Store::ClaimResult::kClaimed);
  EXPECT_EQ(std::count(results.begin(), results.end(), Store::ClaimResult::kClaimed), 11);
  EXPECT_EQ(results.back(), Store::ClaimResult::kTaken);
}

// What a completion reports (the reply to the client) is durable: the
// process killed right after it loses nothing.
TEST_F(StoreWriterTest, ACompletedClaimSurvivesKill9) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string error;
    auto store = Store::open(dir_ / "state.db", error);
    if (!store) _exit(1);
    StoreWriter writer(std::move(store), [] {});
    writer.submit([](Store &s) { return s.claim_alias("carol", kAlice, 1); },
                  [](std::optional<Store::ClaimResult> result, const Now &) {
                    if (result == Store::ClaimResult::kClaimed) raise(SIGKILL);
                  });
    writer.wait_until_written();
    writer.run_completions(Now{});
    _exit(2);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_EQ(open()->alias_owner("carol"), kAlice);
}

// A batch that cannot commit (here: another writer holds the file past the
// busy timeout) is reported as not written: the client hears "internal",
// never "ok".
TEST_F(StoreWriterTest, AnUncommittedClaimIsReportedAsFailed) {
  auto blocker = open();
  ASSERT_TRUE(blocker->begin());
  StoreWriter writer(open(), [] {});
  std::optional<Store::ClaimResult> outcome = Store::ClaimResult::kClaimed;
  writer.submit(
      [](Store &s) { return s.claim_alias("dave", kAlice, 1); },
      [&outcome](std::optional<Store::ClaimResult> result, const Now &) { outcome = result; });
  writer.wait_until_written();
  writer.run_completions(Now{});
  EXPECT_EQ(outcome, std::nullopt);
  blocker->rollback();
  EXPECT_EQ(blocker->alias_owner("dave"), std::nullopt);
}

}  // namespace
}  // namespace wzp::signald::testing
