#include "libwzp/nat/mapping.hpp"

#include <gtest/gtest.h>

#include "tests/unit/nat/address_literal.hpp"

namespace wzp::nat {
namespace {

TEST(NatMapping, OneAddressForBothDestinationsIsACone) {
  auto b = classify_mapping(40000, at("11.15.0.11:40000"), at("11.15.0.11:40000"));
  EXPECT_EQ(b.kind, MappingKind::kEndpointIndependent);
  EXPECT_TRUE(b.port_preserving);
  EXPECT_EQ(to_string(b), "endpoint-independent, port-preserving");
  auto predicted = predict_mappings(b, at("11.15.0.11:40000"), 4);
  ASSERT_EQ(predicted.size(), 1u);
  EXPECT_EQ(predicted[0], at("11.15.0.11:40000"));
}

TEST(NatMapping, NearbyPortsAreSequentialAndPredictTheNextSteps) {
  auto b = classify_mapping(40000, at("11.15.0.12:20001"), at("11.15.0.12:20002"));
  EXPECT_EQ(b.kind, MappingKind::kSequential);
  EXPECT_FALSE(b.port_preserving);
  EXPECT_EQ(b.step, 1);
  EXPECT_EQ(to_string(b), "sequential (step 1)");
  auto predicted = predict_mappings(b, at("11.15.0.12:20002"), 3);
  ASSERT_EQ(predicted.size(), 3u);
  EXPECT_EQ(predicted[0], at("11.15.0.12:20003"));
  EXPECT_EQ(predicted[2], at("11.15.0.12:20005"));
  // A downward step wraps below the unprivileged range to its top.
  auto down = classify_mapping(40000, at("11.15.0.12:1026"), at("11.15.0.12:1024"));
  EXPECT_EQ(down.step, -2);
  EXPECT_EQ(predict_mappings(down, at("11.15.0.12:1024"), 1)[0], at("11.15.0.12:65534"));
  auto up = classify_mapping(40000, at("11.15.0.12:65533"), at("11.15.0.12:65535"));
  EXPECT_EQ(predict_mappings(up, at("11.15.0.12:65535"), 1)[0], at("11.15.0.12:1025"));
}

TEST(NatMapping, FarPortsOrAnotherAddressAreRandomAndPredictNothing) {
  auto b = classify_mapping(40000, at("11.15.0.12:40000"), at("11.15.0.12:52117"));
  EXPECT_EQ(b.kind, MappingKind::kRandom);
  EXPECT_TRUE(b.port_preserving);  // the first mapping kept the port, the second did not
  EXPECT_TRUE(predict_mappings(b, at("11.15.0.12:52117"), 8).empty());
  auto pool = classify_mapping(40000, at("11.15.0.12:20001"), at("11.15.0.13:20002"));
  EXPECT_EQ(pool.kind, MappingKind::kRandom);
  EXPECT_EQ(classify_mapping(40000, at("11.15.0.12:20017"), at("11.15.0.12:20001")).kind,
            MappingKind::kSequential);
  EXPECT_EQ(classify_mapping(40000, at("11.15.0.12:20018"), at("11.15.0.12:20001")).kind,
            MappingKind::kRandom);
}

}  // namespace
}  // namespace wzp::nat
