// The real wzp-signald without --cert/--key: the certificate it makes on
// its first start is kept beside its database, so the SHA-256 pin its
// clients hold stays valid across restarts.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/integration/signald_daemon/daemon.hpp"
#include "tests/support/paths.hpp"

namespace wzp::signald::test {
namespace {

class SignaldCertificate : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = wzp::test::make_temp_dir("signald-cert"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path certificate_file() const { return dir_ / "signald.db.cert.pem"; }
  std::filesystem::path key_file() const { return dir_ / "signald.db.key.pem"; }
  std::filesystem::path dir_;
};

TEST_F(SignaldCertificate, TheGeneratedCertificateSurvivesARestart) {
  std::string pin;
  {
    Daemon first(dir_);
    ASSERT_TRUE(first.ready());
    pin = first.certificate();
    Client client(first);
    ASSERT_TRUE(client.login(crypto::Identity::generate()));
  }
  ASSERT_TRUE(std::filesystem::exists(certificate_file()));
  struct stat key {};
  ASSERT_EQ(stat(key_file().c_str(), &key), 0);
  EXPECT_EQ(key.st_mode & 0777, 0600u);

  Daemon restarted(dir_);
  ASSERT_TRUE(restarted.ready());
  EXPECT_EQ(restarted.certificate(), pin);
  // A client still holding the old pin gets in (Client pins certificate()).
  Client client(restarted);
  ASSERT_TRUE(client.connected());
  EXPECT_TRUE(client.login(crypto::Identity::generate()));
}

TEST_F(SignaldCertificate, AKeyWithoutItsCertificateIsAClearErrorNotANewPin) {
  {
    Daemon first(dir_);
    ASSERT_TRUE(first.ready());
  }
  std::filesystem::remove(certificate_file());
  Daemon broken(dir_);
  EXPECT_FALSE(broken.ready());
  EXPECT_TRUE(broken.process().wait_exit(std::chrono::seconds(5)).has_value());
  bool explained = false;
  for (const auto &line : broken.process().lines()) {
    explained =
        explained || line.find("without " + certificate_file().string()) != std::string::npos;
  }
  EXPECT_TRUE(explained);
  EXPECT_FALSE(std::filesystem::exists(certificate_file()));
}

}  // namespace
}  // namespace wzp::signald::test
