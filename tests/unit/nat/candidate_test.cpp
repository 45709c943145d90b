#include "libwzp/nat/candidate.hpp"

#include <gtest/gtest.h>

#include "tests/unit/nat/address_literal.hpp"

namespace wzp::nat {
namespace {

IpAddress ip(const char *text) { return *IpAddress::parse(text); }

TEST(NatPriority, FollowsRfc8445Formula) {
  // 2^24 * 126 + 2^8 * 65535 + 255
  EXPECT_EQ(candidate_priority(CandidateType::kHost, 65535), 2130706431u);
  EXPECT_EQ(candidate_priority(CandidateType::kReflexive, 65535), 1694498815u);
  EXPECT_EQ(candidate_priority(CandidateType::kMapped, 0), (110u << 24) + 255);
  // Type dominates: the worst host beats the best mapped, which beats the
  // best reflexive.
  EXPECT_GT(candidate_priority(CandidateType::kHost, 0),
            candidate_priority(CandidateType::kMapped, 65535));
  EXPECT_GT(candidate_priority(CandidateType::kMapped, 0),
            candidate_priority(CandidateType::kReflexive, 65535));
}

TEST(NatHostCandidates, OffersUsableAddressesOfUpInterfaces) {
  std::vector<InterfaceAddress> interfaces = {
      {"lo", ip("127.0.0.1"), true, true},       {"lo", ip("::1"), true, true},
      {"eth0", ip("192.168.1.20"), true, false}, {"eth0", ip("fe80::1"), true, false},
      {"eth0", ip("2001:db8::20"), true, false}, {"eth1", ip("169.254.9.9"), true, false},
      {"eth2", ip("10.0.0.5"), false, false},  // down
      {"wg0", ip("fd00::5"), true, false},       {"eth3", ip("198.51.100.8"), true, false},
      {"eth3", ip("198.51.100.8"), true, false},  // listed twice
  };
  auto host = host_candidates(interfaces, 5000);
  std::vector<std::string> wire = to_wire(host);
  // IPv6 and IPv4 interleaved, IPv6 first (RFC 8421), each in kernel order.
  EXPECT_EQ(wire, (std::vector<std::string>{"[2001:db8::20]:5000", "192.168.1.20:5000",
                                            "[fd00::5]:5000", "198.51.100.8:5000"}));
  for (size_t i = 0; i < host.size(); ++i) {
    EXPECT_EQ(host[i].type, CandidateType::kHost);
    EXPECT_EQ(host[i].base, host[i].address);
    EXPECT_EQ(host[i].priority, candidate_priority(CandidateType::kHost, 65535 - i));
  }
}

TEST(NatOutsideCandidate, RefusesAddressesNoPeerCanReach) {
  EXPECT_FALSE(outside_candidate(CandidateType::kReflexive, at("127.0.0.1:4000"), 4000));
  EXPECT_FALSE(outside_candidate(CandidateType::kMapped, at("0.0.0.0:4000"), 4000));
  auto reflexive = outside_candidate(CandidateType::kReflexive, at("203.0.113.9:61000"), 4000);
  ASSERT_TRUE(reflexive);
  EXPECT_EQ(reflexive->base.port, 4000);
  EXPECT_EQ(reflexive->priority, candidate_priority(CandidateType::kReflexive, 65534));
  // A carrier-grade NAT's address is private, but still our mapping.
  EXPECT_TRUE(outside_candidate(CandidateType::kReflexive, at("100.64.1.1:61000"), 4000));
}

TEST(NatRank, SortsDeduplicatesAndBounds) {
  std::vector<Candidate> all;
  all.push_back(*outside_candidate(CandidateType::kReflexive, at("203.0.113.9:4000"), 4000));
  all.push_back(*outside_candidate(CandidateType::kMapped, at("203.0.113.9:4000"), 4000));
  auto host = host_candidates({{"eth0", ip("192.168.1.2"), true, false}}, 4000);
  all.insert(all.end(), host.begin(), host.end());
  auto ranked = rank(all, 16);
  ASSERT_EQ(ranked.size(), 2u);
  EXPECT_EQ(ranked[0].type, CandidateType::kHost);
  // Port-preserving NAT: the mapping and the reflection are one address,
  // kept once, as the higher-ranked mapped candidate.
  EXPECT_EQ(ranked[1].type, CandidateType::kMapped);
  EXPECT_EQ(rank(all, 1).size(), 1u);
}

TEST(NatRemoteCandidates, AcceptsUsableAddressesInTheirOrder) {
  auto checked = check_remote_candidates(
      {"203.0.113.9:4000", "[2001:db8::9]:4000", "192.168.1.9:4000"}, RemotePolicy{true});
  ASSERT_EQ(checked.accepted.size(), 3u);
  EXPECT_EQ(checked.accepted[1].address.to_string(), "[2001:db8::9]:4000");
  EXPECT_EQ(checked.accepted[2].rank, 2u);
  EXPECT_EQ(checked.rejected.total(), 0u);
}

TEST(NatRemoteCandidates, RejectsAndCountsEachBadEntry) {
  auto checked = check_remote_candidates(
      {
          "not an address",             // malformed
          "evil.example:53",            // malformed: a name
          "0.0.0.0:4000",               // unusable: unspecified
          "224.0.0.1:4000",             // unusable: multicast
          "255.255.255.255:9",          // unusable: broadcast
          "127.0.0.1:22",               // unusable: loopback
          "[fe80::1]:4000",             // unusable: link-local
          "10.0.0.1:22",                // private, peer not accepted
          "[fd00::1]:22",               // private
          "203.0.113.9:4000",           // ok
          "203.0.113.9:4000",           // duplicate
          "[::ffff:203.0.113.9]:4000",  // malformed spelling of the same host
      },
      RemotePolicy{});
  ASSERT_EQ(checked.accepted.size(), 1u);
  EXPECT_EQ(checked.accepted[0].address.to_string(), "203.0.113.9:4000");
  EXPECT_EQ(checked.rejected.malformed, 3u);
  EXPECT_EQ(checked.rejected.unusable, 5u);
  EXPECT_EQ(checked.rejected.private_, 2u);
  EXPECT_EQ(checked.rejected.duplicate, 1u);
  EXPECT_EQ(checked.rejected.too_many, 0u);
  EXPECT_EQ(checked.reasons.size(), 11u);
  EXPECT_NE(checked.reasons[7].find("private"), std::string::npos);
}

TEST(NatRemoteCandidates, BoundsTheCountAndTheLog) {
  std::vector<std::string> flood;
  for (int i = 0; i < 5000; ++i) flood.push_back("198.51.100.1:" + std::to_string(1 + i));
  flood.push_back(std::string(100000, 'x'));
  auto checked = check_remote_candidates(flood, RemotePolicy{false, 16});
  EXPECT_EQ(checked.accepted.size(), 16u);
  EXPECT_EQ(checked.rejected.too_many, 5000u - 16);
  EXPECT_EQ(checked.rejected.malformed, 1u);
  EXPECT_EQ(checked.reasons.size(), 16u);
  for (const auto &reason : checked.reasons) EXPECT_LT(reason.size(), 200u);
}

TEST(NatRemoteCandidates, PrivateAddressesPassForAnAcceptedPeer) {
  auto checked = check_remote_candidates({"10.0.0.1:4000", "[fd00::1]:4000"}, RemotePolicy{true});
  EXPECT_EQ(checked.accepted.size(), 2u);
  EXPECT_EQ(checked.rejected.total(), 0u);
}

TEST(NatRemoteCandidates, LateCandidatesFollowTheFirstAndShareTheirBound) {
  auto checked = check_remote_candidates({"198.51.100.1:4000", "10.0.0.1:4000"}, RemotePolicy{});
  ASSERT_EQ(checked.accepted.size(), 1u);
  EXPECT_EQ(add_remote_candidates(checked, {"198.51.100.1:4001", "198.51.100.1:4000", "10.0.0.2:1"},
                                  RemotePolicy{}),
            1u);
  ASSERT_EQ(checked.accepted.size(), 2u);
  EXPECT_EQ(checked.accepted[1].address, at("198.51.100.1:4001"));
  EXPECT_EQ(checked.accepted[1].rank, 1u);
  EXPECT_EQ(checked.rejected.duplicate, 1u);
  EXPECT_EQ(checked.rejected.private_, 2u);
  // A peer sending list after list gets no more than one list's worth.
  for (int round = 0; round < 100; ++round) {
    std::vector<std::string> more;
    for (int i = 0; i < 16; ++i)
      more.push_back("203.0.113.9:" + std::to_string(1 + round * 16 + i));
    add_remote_candidates(checked, more, RemotePolicy{});
  }
  EXPECT_EQ(checked.accepted.size(), 16u);
  EXPECT_EQ(checked.rejected.too_many, 1600u - 14);
  EXPECT_EQ(checked.reasons.size(), 16u);
}

}  // namespace
}  // namespace wzp::nat
