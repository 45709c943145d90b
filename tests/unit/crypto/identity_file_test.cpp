// Identity files on a real filesystem: round trip, permissions, wrong
// passphrase, corruption of every byte, and no overwrite on failure.
#include "libwzp/crypto/identity_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <vector>

#include "tests/support/paths.hpp"

namespace wzp::crypto {
namespace {

// Argon2id at its minimum cost keeps the many-file tests quick.
constexpr KdfParams kCheapKdf{.opslimit = 1, .memlimit_kib = 8};

std::vector<uint8_t> read_bytes(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
void write_bytes(const std::filesystem::path &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

class IdentityFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = wzp::test::make_temp_dir("crypto-identity");
    seed_ = Identity::generate().seed();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  Seed seed_;
};

TEST_F(IdentityFile, RoundTripsWithOwnerOnlyPermissions) {
  auto path = dir_ / "identity";
  ASSERT_EQ(save_identity_file(path, seed_, "correct horse", false, kCheapKdf),
            IdentityFileError::kOk);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(read_bytes(path).size(), kIdentityFileSize);
  Seed loaded{};
  ASSERT_EQ(load_identity_file(path, "correct horse", loaded), IdentityFileError::kOk);
  EXPECT_EQ(loaded, seed_);
  // No temporary files are left beside it.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), {}), 1);
}

TEST_F(IdentityFile, DefaultParametersRoundTrip) {
  auto path = dir_ / "identity";
  ASSERT_EQ(save_identity_file(path, seed_, "pw"), IdentityFileError::kOk);
  Seed loaded{};
  ASSERT_EQ(load_identity_file(path, "pw", loaded), IdentityFileError::kOk);
  EXPECT_EQ(loaded, seed_);
}

TEST_F(IdentityFile, WrongPassphraseIsAClearError) {
  auto path = dir_ / "identity";
  ASSERT_EQ(save_identity_file(path, seed_, "right", false, kCheapKdf), IdentityFileError::kOk);
  Seed loaded{};
  IdentityFileError error = load_identity_file(path, "wrong", loaded);
  EXPECT_EQ(error, IdentityFileError::kWrongPassphrase);
  EXPECT_STREQ(to_string(error), "wrong passphrase, or the identity file is corrupted");
  EXPECT_EQ(loaded, Seed{});
}

TEST_F(IdentityFile, EveryCorruptedByteIsRejected) {
  auto path = dir_ / "identity";
  ASSERT_EQ(save_identity_file(path, seed_, "pw", false, kCheapKdf), IdentityFileError::kOk);
  const auto good = read_bytes(path);
  for (size_t i = 0; i < good.size(); ++i) {
    auto bad = good;
    bad[i] ^= 0x04;
    Seed loaded{};
    IdentityFileError error = open_identity(bad, "pw", loaded);
    EXPECT_NE(error, IdentityFileError::kOk) << "byte " << i;
  }
  Seed loaded{};
  EXPECT_EQ(open_identity(std::span(good).first(50), "pw", loaded),
            IdentityFileError::kNotAnIdentityFile);
  auto longer = good;
  longer.push_back(0);
  write_bytes(dir_ / "longer", longer);
  EXPECT_EQ(load_identity_file(dir_ / "longer", "pw", loaded),
            IdentityFileError::kNotAnIdentityFile);
}

TEST_F(IdentityFile, HugeKdfParametersAreRefusedBeforeAllocating) {
  auto path = dir_ / "identity";
  ASSERT_EQ(save_identity_file(path, seed_, "pw", false, kCheapKdf), IdentityFileError::kOk);
  auto bytes = read_bytes(path);
  bytes[12] = 0xff;  // memlimit in KiB, big-endian: now ~4 TiB
  Seed loaded{};
  EXPECT_EQ(open_identity(bytes, "pw", loaded), IdentityFileError::kBadParameters);
}

TEST_F(IdentityFile, NeverOverwritesUnlessAsked) {
  auto path = dir_ / "identity";
  ASSERT_EQ(save_identity_file(path, seed_, "pw", false, kCheapKdf), IdentityFileError::kOk);
  const auto before = read_bytes(path);
  Seed other = Identity::generate().seed();
  EXPECT_EQ(save_identity_file(path, other, "pw", false, kCheapKdf), IdentityFileError::kExists);
  EXPECT_EQ(read_bytes(path), before);
  // Failing parameters leave the old file in place even with overwrite.
  EXPECT_EQ(save_identity_file(path, other, "pw", true, KdfParams{.opslimit = 0}),
            IdentityFileError::kBadParameters);
  EXPECT_EQ(read_bytes(path), before);
  ASSERT_EQ(save_identity_file(path, other, "pw", true, kCheapKdf), IdentityFileError::kOk);
  Seed loaded{};
  ASSERT_EQ(load_identity_file(path, "pw", loaded), IdentityFileError::kOk);
  EXPECT_EQ(loaded, other);
}

TEST_F(IdentityFile, UnwritableFolderIsAnIoError) {
  EXPECT_EQ(save_identity_file(dir_ / "missing" / "identity", seed_, "pw", false, kCheapKdf),
            IdentityFileError::kIo);
  Seed loaded{};
  EXPECT_EQ(load_identity_file(dir_ / "absent", "pw", loaded), IdentityFileError::kIo);
}

}  // namespace
}  // namespace wzp::crypto
