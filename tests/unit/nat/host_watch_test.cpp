// Re-gathering host candidates on explicit times (libwzp/nat/host_watch.hpp).
#include "libwzp/nat/host_watch.hpp"

#include <gtest/gtest.h>

namespace wzp::nat {
namespace {

using namespace std::chrono_literals;

const HostWatch::Time watch_t0 = HostWatch::Time{} + 100s;

std::vector<Candidate> hosts_at(std::initializer_list<const char *> addresses) {
  std::vector<InterfaceAddress> interfaces;
  for (const char *a : addresses) interfaces.push_back({"eth0", *IpAddress::parse(a)});
  return host_candidates(interfaces, 4000);
}

std::vector<std::string> wire_of(const std::vector<Candidate> &candidates) {
  return to_wire(candidates);
}

TEST(HostWatch, ListsEveryIntervalAndOffersOnlyWhatThePeerHasNot) {
  HostWatch watch(watch_t0);
  EXPECT_FALSE(watch.due(watch_t0 + 499ms));
  ASSERT_TRUE(watch.due(watch_t0 + 500ms));
  const auto offered = hosts_at({"10.0.0.5"});
  EXPECT_TRUE(watch.update(watch_t0 + 500ms, hosts_at({"10.0.0.5"}), offered, 16).empty());
  EXPECT_FALSE(watch.due(watch_t0 + 999ms));
  ASSERT_TRUE(watch.due(watch_t0 + 1s));
  // A new interface: its addresses, IPv6 first (host_candidates' ranking).
  EXPECT_EQ(wire_of(watch.update(
                watch_t0 + 1s, hosts_at({"10.0.0.5", "192.168.7.2", "2001:db8::7"}), offered, 16)),
            (std::vector<std::string>{"[2001:db8::7]:4000", "192.168.7.2:4000"}));
}

TEST(HostWatch, AnAddressThatCameBackOrWentAwayIsNoNews) {
  HostWatch watch(watch_t0);
  auto offered = hosts_at({"10.0.0.5", "2001:db8::7"});
  // The IPv6 address went away: nothing to send (the peer's check of it fails).
  EXPECT_TRUE(watch.update(watch_t0 + 500ms, hosts_at({"10.0.0.5"}), offered, 16).empty());
  // It came back: the peer has it already.
  EXPECT_TRUE(
      watch.update(watch_t0 + 1s, hosts_at({"10.0.0.5", "2001:db8::7"}), offered, 16).empty());
}

TEST(HostWatch, NeverOffersMoreThanTheBoundOverAllLists) {
  HostWatch watch(watch_t0);
  const auto offered = hosts_at({"10.0.0.1", "10.0.0.2", "10.0.0.3"});
  auto fresh =
      watch.update(watch_t0 + 500ms, hosts_at({"10.0.1.1", "10.0.1.2", "10.0.1.3"}), offered, 4);
  EXPECT_EQ(fresh.size(), 1u);
  auto all = offered;
  all.insert(all.end(), fresh.begin(), fresh.end());
  EXPECT_TRUE(watch.update(watch_t0 + 1s, hosts_at({"10.0.2.1"}), all, 4).empty());
}

}  // namespace
}  // namespace wzp::nat
