#include "signald/core/store_writer.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "libwzp/wire/header.hpp"
#include "tests/unit/signald/harness.hpp"
#include "tests/unit/signald/store_file_test.hpp"
#include "tests/unit/signald/sync_latch_vfs.hpp"

namespace wzp::signald::testing {
namespace {

using namespace std::chrono_literals;

const std::string kAlice = "aaaa:0000:0000:0000:0000:0000:0000:0001";

class StoreWriterTest : public StoreFileTest {
 protected:
  SyncLatchVfs vfs_;
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

// On the caller's thread nothing is written until wait_until_written(),
// which writes everything queued as one batch there, in order.
TEST_F(StoreWriterTest, OnTheCallersThreadWaitingWritesTheQueueAsOneBatch) {
  int batches = 0;
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<Store::ClaimResult> results;
  StoreWriter writer(
      open(), [&] { ++batches; }, StoreWriter::Thread::kCallers);
  for (const char *fingerprint :
       {"aaaa:0000:0000:0000:0000:0000:0000:0001", "bbbb:0000:0000:0000:0000:0000:0000:0001"}) {
    writer.submit(
        [&, fingerprint](Store &store) {
          EXPECT_EQ(std::this_thread::get_id(), caller);
          return store.claim_alias("first", fingerprint, 1);
        },
        [&results](std::optional<Store::ClaimResult> result, const Now &) {
          results.push_back(result.value_or(Store::ClaimResult::kFailed));
        });
  }
  writer.run_completions(Now{});
  EXPECT_TRUE(results.empty());
  EXPECT_EQ(batches, 0);
  writer.wait_until_written();
  EXPECT_EQ(batches, 1);
  writer.run_completions(Now{});
  EXPECT_EQ(results, (std::vector{Store::ClaimResult::kClaimed, Store::ClaimResult::kTaken}));
  writer.wait_until_written();  // nothing queued: no batch
  EXPECT_EQ(batches, 1);
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

class CoreLockTest : public ServerTest {
 protected:
  SyncLatchVfs vfs_;  // before SetUp opens the database
};

std::vector<uint8_t> media_packet() {
  wire::MediaHeader header;
  header.codec = wire::codec::kOpus;
  std::vector<uint8_t> packet(wire::kMaxPacketSize);
  packet.resize(wire::write_full(header, nullptr, packet));
  packet.resize(packet.size() + 60, 0x5a);
  return packet;
}

// Issue 13: alias churn made the daemon fdatasync under the lock that also
// forwards media. Here a claim's sync is held on a latch: the core lock must
// be free meanwhile, and the claim unanswered until the sync is done.
TEST_F(CoreLockTest, MediaIsForwardedWhileAClaimSyncs) {
  auto alice = crypto::Identity::generate();
  auto bob = crypto::Identity::generate();
  ConnectionId a = login(alice);
  ConnectionId b = login(bob);
  const std::string room = "00112233445566778899aabbccddeeff";
  send(a, signal::RoomJoin{room, {}}, 1);
  send(b, signal::RoomJoin{room, {}}, 1);
  ASSERT_EQ(out_.to<signal::Ok>(b).size(), 1u);
  out_.clear();

  std::timed_mutex core;
  vfs_.hold_syncs();
  std::thread claimer([&] {  // as the daemon's QUIC thread does
    std::lock_guard lock(core);
    server_->on_message(a, signal::serialize(signal::AliasClaim{"alice"}, 7), now_);
  });
  ASSERT_TRUE(vfs_.wait_for_held_sync(10s));
  const bool core_free = core.try_lock_for(5s);
  if (core_free) {
    server_->on_datagram(b, media_packet(), now_.steady);
    EXPECT_EQ(out_.forwarded.size(), 1u);
    EXPECT_TRUE(out_.to<signal::Ok>(a).empty()) << "answered before the claim was durable";
    // Reads see what is durable, hence acknowledged.
    server_->on_message(b, signal::serialize(signal::AliasResolve{"@alice"}, 8), now_);
    EXPECT_EQ(out_.last<signal::Error>(b).code, "not_found");
    core.unlock();
  }
  vfs_.release_syncs();
  claimer.join();
  ASSERT_TRUE(core_free) << "the core lock was held through the sync";
  settle();
  ASSERT_EQ(out_.to<signal::Ok>(a).size(), 1u);
  EXPECT_EQ(out_.sent.back().request_id, 7u);
  EXPECT_EQ(store_->alias_owner("alice"), fingerprint(alice));
}

}  // namespace
}  // namespace wzp::signald::testing
