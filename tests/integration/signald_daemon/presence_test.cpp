#include <gtest/gtest.h>
#include <sodium.h>

#include <map>
#include <thread>

#include "libwzp/crypto/identity.hpp"
#include "tests/integration/signald_daemon/daemon.hpp"
#include "tests/support/paths.hpp"

namespace wzp::signald::test {
namespace {

using namespace wzp::signal;

// The audit (issue 13): connections claiming and releasing an alias within
// the message rate limit made the daemon send every user an update per
// change (364 a second from 20 connections). The daemon now sends at most
// one update per user per second (PresenceCoalescer), and the last one
// says where the user ended up.
TEST(SignaldPresence, AliasChurnCostsOthersOneUpdatePerUserPerSecond) {
  ASSERT_GE(sodium_init(), 0);
  auto dir = wzp::test::make_temp_dir("signald-presence-churn");
  Daemon daemon(dir);
  ASSERT_TRUE(daemon.ready());
  Client observer(daemon);
  ASSERT_TRUE(observer.login(crypto::Identity::generate()));
  constexpr int kChurners = 5;
  std::vector<std::unique_ptr<Client>> churners;
  for (int i = 0; i < kChurners; ++i) {
    churners.push_back(std::make_unique<Client>(daemon));
    ASSERT_TRUE(churners.back()->login(crypto::Identity::generate()));
  }
  // Their logins are announced; what follows is the churn alone.
  for (int i = 0; i < kChurners; ++i) ASSERT_TRUE(observer.wait_for<PresenceUpdate>());

  // 20 messages a second each, the rate limit: claim, release, claim, ...
  constexpr int kMessages = 60;
  const auto start = std::chrono::steady_clock::now();
  for (int m = 0; m < kMessages; ++m) {
    std::this_thread::sleep_until(start + m * 50ms);  // pacing, not synchronisation
    for (int i = 0; i < kChurners; ++i) {
      const std::string alias = "churn" + std::to_string(i);
      if (m % 2 == 0) {
        churners[i]->send(AliasClaim{alias}, m + 1);
      } else {
        churners[i]->send(AliasRelease{alias}, m + 1);
      }
    }
  }
  // A last, distinct alias each, which the observer must end up seeing.
  for (int i = 0; i < kChurners; ++i) {
    churners[i]->send(AliasClaim{"settled" + std::to_string(i)}, kMessages + 1);
  }
  const auto churned = std::chrono::steady_clock::now() - start;
  std::map<std::string, std::optional<std::string>> latest;
  size_t updates = 0;
  auto settled = [&] {
    int count = 0;
    for (const auto &[fingerprint, alias] : latest) {
      count += alias && alias->starts_with("settled");
    }
    return count == kChurners;
  };
  while (!settled()) {
    auto update = observer.wait_for<PresenceUpdate>(5s);
    ASSERT_TRUE(update) << "the latest state never arrived";
    latest[update->user.fingerprint] = update->user.alias;
    ++updates;
  }
  for (const auto &churner : churners) {
    EXPECT_EQ(churner->wait_for<Error>(100ms), std::nullopt) << "none rate limited";
  }
  const double seconds = std::chrono::duration<double>(churned).count();
  std::printf("%d users, %d alias changes each in %.1f s: the observer got %zu updates\n",
              kChurners, kMessages + 1, seconds, updates);
  // One a user per second, plus each user's first change and its last.
  EXPECT_LE(updates, static_cast<size_t>(kChurners * (seconds + 2)));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wzp::signald::test
