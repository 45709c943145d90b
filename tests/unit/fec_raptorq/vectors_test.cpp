// The RFC 6330 conformance vectors in tests/data/rfc6330 and the checked-in
// tables generated from the same CSV files.
#include <gtest/gtest.h>
#include <sodium.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "libwzp/fec/raptorq.hpp"
#include "libwzp/fec/rfc6330_tables.hpp"
#include "tests/support/paths.hpp"

namespace wzp::fec {
namespace {

std::vector<std::vector<std::string>> read_csv(const std::string &name, bool header) {
  std::ifstream in(wzp::test::source_dir() / "tests" / "data" / "rfc6330" / name);
  EXPECT_TRUE(in.good()) << "cannot open tests/data/rfc6330/" << name;
  std::vector<std::vector<std::string>> rows;
  std::string line;
  if (header) std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, ',')) fields.push_back(field);
    rows.push_back(fields);
  }
  return rows;
}

std::string sha256_hex(std::span<const uint8_t> data) {
  uint8_t digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, data.data(), data.size());
  std::string hex;
  char buf[3];
  for (uint8_t b : digest) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    hex += buf;
  }
  return hex;
}

TEST(Rfc6330Tables, MatchCsvFiles) {
  const auto table2 = read_csv("systematic_indices.csv", true);
  ASSERT_EQ(table2.size(), rfc6330::kSystematicIndices.size());
  for (size_t i = 0; i < table2.size(); ++i) {
    const auto &row = rfc6330::kSystematicIndices[i];
    EXPECT_EQ(std::stoul(table2[i][0]), row.k_prime);
    EXPECT_EQ(std::stoul(table2[i][1]), row.j);
    EXPECT_EQ(std::stoul(table2[i][2]), row.s);
    EXPECT_EQ(std::stoul(table2[i][3]), row.h);
    EXPECT_EQ(std::stoul(table2[i][4]), row.w);
  }
  const std::array<const std::array<uint32_t, 256> *, 4> v = {&rfc6330::kV0, &rfc6330::kV1,
                                                              &rfc6330::kV2, &rfc6330::kV3};
  for (int t = 0; t < 4; ++t) {
    const auto values = read_csv("v" + std::to_string(t) + ".csv", false);
    ASSERT_EQ(values.size(), 256u);
    for (size_t i = 0; i < 256; ++i) EXPECT_EQ(std::stoul(values[i][0]), (*v[t])[i]);
  }
  const auto degree = read_csv("degree_distribution.csv", true);
  ASSERT_EQ(degree.size(), rfc6330::kDegreeThresholds.size());
  for (size_t i = 0; i < degree.size(); ++i) {
    EXPECT_EQ(std::stoul(degree[i][1]), rfc6330::kDegreeThresholds[i]);
  }
}

TEST(Rfc6330Vectors, EncoderMatchesAllVectors) {
  ASSERT_GE(sodium_init(), 0);
  const auto rows = read_csv("test_vectors.csv", true);
  ASSERT_EQ(rows.size(), 42u);
  BlockEncoder encoder;
  int checked = 0;
  for (const auto &row : rows) {
    const auto k = static_cast<uint16_t>(std::stoul(row[0]));
    const auto t = static_cast<uint16_t>(std::stoul(row[1]));
    const auto esi = static_cast<uint32_t>(std::stoul(row[2]));
    std::vector<uint8_t> source(size_t{k} * t);
    for (size_t i = 0; i < source.size(); ++i) source[i] = static_cast<uint8_t>((i * 31 + 7) % 256);
    ASSERT_TRUE(encoder.prepare(source, k, t));
    std::vector<uint8_t> symbol(t);
    encoder.symbol(esi, symbol);
    EXPECT_EQ(sha256_hex(symbol), row[3]) << "K=" << k << " T=" << t << " ESI=" << esi;
    ++checked;
  }
  EXPECT_EQ(checked, 42);
}

}  // namespace
}  // namespace wzp::fec
