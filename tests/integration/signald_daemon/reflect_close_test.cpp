// Over real QUIC: reflection answers the address the daemon sees, and a
// refusal's error reaches the client before the close it explains (the
// daemon closes right after sending it; libwzp/quic flushes first).
#include <gtest/gtest.h>

#include "tests/integration/signald_daemon/daemon.hpp"
#include "tests/support/paths.hpp"

namespace wzp::signald::test {
namespace {

using namespace wzp::signal;

class SignaldTransport : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = wzp::test::make_temp_dir("signald-transport");
    daemon_ = std::make_unique<Daemon>(dir_);
    ASSERT_TRUE(daemon_->ready());
  }
  void TearDown() override {
    daemon_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<Daemon> daemon_;
};

TEST_F(SignaldTransport, ReflectionAnswersTheClientsObservedAddress) {
  Client client(*daemon_);
  ASSERT_TRUE(client.login(crypto::Identity::generate()));
  client.send(ReflectRequest{}, 7);
  auto reflected = client.wait_for<ReflectResponse>();
  ASSERT_TRUE(reflected);
  EXPECT_EQ(reflected->address, "127.0.0.1:" + std::to_string(client.local_port()));
}

TEST_F(SignaldTransport, RefusalErrorArrivesBeforeTheClose) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    Client client(*daemon_);
    client.send(AliasClaim{"early"});  // anything but hello is refused
    ASSERT_TRUE(client.wait_closed());
    // Nothing arrives after a close: the error must already be here.
    auto error = client.wait_for<Error>(0ms);
    ASSERT_TRUE(error) << "closed without the error: " << client.close_error();
    EXPECT_EQ(error->code, "not_authenticated");
    EXPECT_NE(client.close_error().find("expected hello"), std::string::npos)
        << client.close_error();
  }
}

}  // namespace
}  // namespace wzp::signald::test
